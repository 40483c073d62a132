"""One daemon thread draining a bounded queue: the shadow classifier's and the capture writer's
worker (issue 19). Offering never blocks the caller (a full queue answers False); `stop` ends the
thread after what is already queued; `drain` waits until the queue is empty; the thread's own CPU
time (`time.thread_time`) is kept apart from the request path's."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Final

_STOP: Final = object()


class QueueWorker:
    def __init__(self, name: str, handle: Callable[[Any], None], queue_size: int,
                 on_exit: Callable[[], None] | None = None) -> None:
        self.name = name
        self._handle = handle
        self._on_exit = on_exit
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        #: CPU seconds the thread spent handling items.
        self.cpu_seconds = 0.0

    @property
    def size(self) -> int:
        return self._queue.maxsize

    @property
    def running(self) -> bool:
        return self._thread is not None

    def offer(self, item: Any) -> bool:
        """Queue `item` without waiting; False when the queue is full."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread after the items already queued."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued item was handled (tests, and callers that need the counts)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not _STOP:
                began = time.thread_time()
                try:
                    self._handle(item)
                finally:
                    self.cpu_seconds += time.thread_time() - began
                    self._queue.task_done()
            self._queue.task_done()
        finally:
            if self._on_exit is not None:
                self._on_exit()
