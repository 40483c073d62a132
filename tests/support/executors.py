"""An executor a test drives by hand: submitted calls wait until the test starts, finishes or fails
them, so a dispatcher's queue and deadline are tested without threads or timing."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any


@dataclass
class Submitted:
    call: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any]

    def start(self) -> None:
        """The call is running: it can no longer be cancelled (as in a real pool's thread)."""
        assert self.future.set_running_or_notify_cancel(), "the call was cancelled while waiting"

    def finish(self) -> None:
        """Run the call now, on the test's thread, and settle its future with the result."""
        if not self.future.running():
            self.start()
        try:
            self.future.set_result(self.call(*self.args))
        except Exception as exc:
            self.future.set_exception(exc)


class ManualExecutor(Executor):
    def __init__(self) -> None:
        self.submitted: list[Submitted] = []
        self.closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[Any] = Future()
        self.submitted.append(Submitted(fn, args, future))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.closed = True
