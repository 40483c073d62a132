"""The encoder off the event loop: a bounded thread pool, a deadline, and the fast classifier inline
when the encoder cannot answer in time.

onnxruntime releases the GIL while it runs, so a pool thread classifies while the event loop serves
other requests. A request gives the encoder until `deadline` seconds after routing began; when that
passes, when `queue_size` encoder calls are already admitted, when the calls already admitted and its
own would take it past its deadline (at the recent mean time of one call), or when the encoder raises,
the fast classifier (`learned`) decides that request on the loop (~0.1-0.4 ms) and `on_fallback`
counts why. Refusing at admission what could not finish in time keeps the pool's work for requests
it can still answer: under saturation the encoder decides the share it has time for, instead of
running every call late for requests that have already given up on it.
An answer that is ready when the loop gets back to the request is used even if the deadline's timer
is due too (a loop running late under load sees both at once): it costs the request no further wait.
If the fast classifier raises too, the error reaches the hook, which routes to the default model.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future

from plugins.classify.decision import Classifier, Decided, Decision
from plugins.metrics.series import FallbackReason
from plugins.prompt import Prompt

logger = logging.getLogger(__name__)

#: While calls take longer than the deadline allows, a free thread still takes a call when none was admitted
#: for this many seconds: its time is the new estimate.
PROBE_S = 1.0


class Dispatcher:
    """`clock` is the hook's (routing began at `started` on it); the loop's timer does the waiting."""

    def __init__(
        self,
        primary: Classifier,
        fast: Classifier,
        executor: Executor,
        deadline: float,
        queue_size: int,
        clock: Callable[[], float],
        on_fallback: Callable[[FallbackReason], None],
        threads: int = 1,
    ) -> None:
        if deadline <= 0 or queue_size < 1:
            raise ValueError(f"deadline ({deadline} s) must be positive and queue_size ({queue_size}) >= 1")
        self.kind = primary.kind
        self._primary = primary
        self._fast = fast
        self._executor = executor
        self._deadline = deadline
        self._queue_size = queue_size
        self._clock = clock
        self._on_fallback = on_fallback
        self._threads = max(1, threads)
        # Recent mean wall time of one encoder call in its pool thread (exponentially weighted; 0 until the first
        # call ends): the wait a new call would have is the calls ahead of it, shared by the threads, times this.
        self._call_s = 0.0
        self._admitted_at = float("-inf")  # when the last call was admitted
        # Admitted encoder calls not yet finished: waiting, running, or running for a request that
        # already gave up on them (a thread cannot be stopped). Released from pool threads: locked.
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def decide(self, prompt: Prompt, started: float, observed: bool = True) -> Decided:
        remaining = self._deadline - (self._clock() - started)
        if remaining <= 0:
            return self._fall_back(prompt, "deadline", observed)
        if not self._admit(remaining):
            return self._fall_back(prompt, "queue_full", observed)
        try:
            future: Future[Decision] = self._executor.submit(self._timed, prompt)
        except RuntimeError:  # the pool is shut down (the bundle is stopping)
            self._release()
            return self._fall_back(prompt, "error", observed)
        future.add_done_callback(self._released)
        try:
            # On timeout wait_for cancels the wrapper, which cancels a call still waiting in the
            # pool (it never runs and leaves the queue); a running call finishes and then leaves.
            decision = await asyncio.wait_for(asyncio.wrap_future(future), remaining)
        except TimeoutError:
            if not future.done() or future.cancelled():
                return self._fall_back(prompt, "deadline", observed)
            if future.exception() is not None:  # the encoder's own TimeoutError: an error, not a missed deadline
                return self._fall_back(prompt, "error", observed)
            # A loop running late finds the answer and the deadline due together: the answer is there and
            # costs no further wait, so it decides instead of being thrown away.
            return Decided(future.result(), self._primary.kind)
        except Exception:
            logger.exception("agent-router: the %s classifier failed; %s decides", self.kind, self._fast.kind)
            return self._fall_back(prompt, "error", observed)
        return Decided(decision, self._primary.kind)

    def _fall_back(self, prompt: Prompt, reason: FallbackReason, observed: bool) -> Decided:
        if observed:
            self._on_fallback(reason)
        return Decided(self._fast.classify(prompt), self._fast.kind)

    def _timed(self, prompt: Prompt) -> Decision:
        """The encoder's call, in a pool thread, timed on the hook's clock."""
        began = self._clock()
        try:
            return self._primary.classify(prompt)
        finally:
            elapsed = self._clock() - began
            with self._lock:
                self._call_s = elapsed if self._call_s == 0.0 else 0.8 * self._call_s + 0.2 * elapsed

    def _admit(self, remaining: float) -> bool:
        with self._lock:
            if self._in_flight >= self._queue_size:
                return False
            # At the recent mean time per call, this one would end after the calls ahead of it (shared by
            # the threads) and its own: refused when that is past its deadline. A free thread still takes
            # such a call when none was admitted for PROBE_S, so the estimate is measured again and the
            # encoder comes back when the host has time for it.
            now = self._clock()
            too_late = (self._in_flight // self._threads + 1) * self._call_s > remaining
            if too_late and (self._in_flight >= self._threads or now - self._admitted_at < PROBE_S):
                return False
            self._admitted_at = now
            self._in_flight += 1
            return True

    def _released(self, _: Future[Decision]) -> None:
        self._release()

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
