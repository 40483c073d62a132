"""Capture files (issue 19): one JSON object a line, written by one thread per worker process, never
on the event loop. A routed request's line holds `id`, `surface`, the scrubbed `messages` the
classifier read and the decision; a report on it is appended later as a `feedback` line (joined by
id when read, capture_rows.py).

Files are `capture-<pid>-<seq>.jsonl`, owner-only (0600, directory 0700), one at a time per worker,
rotated past `max_bytes` and pruned to the newest `max_files` of this worker. A full disk or an
unwritable directory stops capture for the worker's life and every line lost is counted in
`agent_router_capture_dropped_total{reason}`; nothing here raises into a request.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from plugins.background import QueueWorker
from plugins.capture.rows import messages_of
from plugins.capture.scrub import scrub
from plugins.config import ConfigError
from plugins.metrics.loop import CaptureDrop, LoopMetrics
from plugins.prompt import Prompt
from plugins.record import RoutingRecord

logger = logging.getLogger(__name__)

_FULL: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class CaptureError(ConfigError):
    """The capture directory cannot be used at start-up; the message names it (and stops the proxy)."""


class CaptureWriter:
    def __init__(self, directory: Path, max_bytes: int, max_files: int, sample_rate: float, metrics: LoopMetrics,
                 queue_size: int = 1024, pid: int | None = None, sample: Callable[[], float] = random.random,
                 clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.sample_rate = sample_rate
        self.metrics = metrics
        self.pid = os.getpid() if pid is None else pid
        self._sample = sample
        self._clock = clock
        self._worker = QueueWorker("agent-router-capture", self._write, queue_size, on_exit=self._close)
        self._fd: int | None = None
        self._seq = 0
        self._size = 0
        #: Why capture stopped (a `CaptureDrop` reason), None while it runs.
        self.stopped: CaptureDrop | None = None
        self.written = 0

    def prepare(self) -> None:
        """Create the directory owner-only and prove it writable; CaptureError naming it if not."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory.chmod(0o700)
            probe = self.directory / f".capture-probe-{self.pid}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            probe.unlink()
        except OSError as exc:
            raise CaptureError(f"agent_router.capture.dir: {str(self.directory)!r} is not a writable directory: "
                               f"{exc.strerror or exc}") from exc

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._worker.stop(timeout)

    def drain(self, timeout: float = 5.0) -> None:
        self._worker.drain(timeout)

    def decision(self, response_id: str, surface: str, record: RoutingRecord, prompt: Prompt) -> None:
        """Queue a sampled routed request's line (scrubbed and written on the worker)."""
        if self.sample_rate < 1.0 and self._sample() >= self.sample_rate:
            return
        self._put({"kind": "decision", "id": response_id, "surface": surface, "prompt": prompt,
                   "decision": {"intent": record.intent, "confidence": record.confidence,
                                "top_intents": [{"intent": i, "score": s} for i, s in record.top],
                                "primary_model": record.chosen_model, "routed_model": record.routed_model,
                                "reason": record.route_reason, "defaulted": record.defaulted,
                                "classifier": record.classifier}})

    def feedback(self, response_id: str, intent: str, source: str) -> None:
        self._put({"kind": "feedback", "id": response_id, "intent": intent, "source": source})

    def _put(self, line: dict[str, Any]) -> None:
        if self.stopped is not None:
            self.metrics.capture_drop(self.stopped)
            return
        line["time"] = round(self._clock(), 3)
        if not self._worker.offer(line):
            self.metrics.capture_drop("queue_full")

    def _write(self, item: dict[str, Any]) -> None:
        if self.stopped is not None:
            self.metrics.capture_drop(self.stopped)
            return
        prompt = item.pop("prompt", None)
        if isinstance(prompt, Prompt):
            item["messages"] = [{**m, "content": scrub(m["content"])[0]} for m in messages_of(prompt)]
        data = (json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            if self._fd is None or self._size + len(data) > self.max_bytes:
                self._rotate()
            assert self._fd is not None
            os.write(self._fd, data)
            self._size += len(data)
            self.written += 1
        except OSError as exc:
            reason: CaptureDrop = "disk_full" if exc.errno in _FULL else "unwritable"
            logger.error("agent-router: capture stopped (%s) writing in %s: %s", reason, self.directory, exc.strerror)
            self.stopped = reason
            self.metrics.capture_drop(reason)
            self._close()
        except Exception:
            logger.exception("agent-router: a capture line could not be written")
            self.metrics.capture_drop("error")

    def _rotate(self) -> None:
        self._close()
        self._seq += 1
        path = self.directory / f"capture-{self.pid}-{self._seq:05d}.jsonl"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = os.fstat(self._fd).st_size
        mine = sorted(self.directory.glob(f"capture-{self.pid}-*.jsonl"))
        for old in mine[:-self.max_files]:
            old.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def as_json(self) -> dict[str, Any]:
        return {"dir": str(self.directory), "sample_rate": self.sample_rate, "written": self.written,
                "stopped": self.stopped, "cpu_seconds": round(self._worker.cpu_seconds, 6)}
