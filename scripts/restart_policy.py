"""When to restart a supervised process that exited, and when to give up on it: pure, clocked.

No processes and no sleeping here: `Backoff` is told when its process started and exited, reads the
injected clock, and answers with a `Restart` (after how long) or a `GiveUp`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    """Exponential back-off between restarts, bounded in delay and in failures in a row."""

    initial_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    #: restarts tried for a process that keeps failing before the supervisor stops trying
    max_failures: int = 5
    #: a run at least this long counts as healthy and forgives the earlier failures; longer than
    #: MAX Serve's start-up (~15-25 s on 2 cores), so a backend that dies while loading keeps failing
    stable_after: float = 60.0

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError(f"need 0 <= initial_delay <= max_delay, got {self.initial_delay}, {self.max_delay}")
        if self.factor < 1:
            raise ValueError(f"factor must be >= 1, got {self.factor}")
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {self.max_failures}")
        if self.stable_after <= 0:
            raise ValueError(f"stable_after must be > 0, got {self.stable_after}")

    def delay(self, failures: int) -> float:
        """The wait before the restart that follows `failures` short runs in a row (1 = the first)."""
        return float(min(self.max_delay, self.initial_delay * self.factor ** (failures - 1)))


@dataclass(frozen=True)
class Restart:
    """Start the process again once `delay` seconds have passed (at clock time `at`)."""

    attempt: int  # 1 for the first restart after a stable run
    delay: float
    at: float
    uptime: float  # how long the run that just ended lasted


@dataclass(frozen=True)
class GiveUp:
    """The process kept failing: `restarts` restarts tried, each run shorter than `stable_after`."""

    restarts: int
    uptime: float


class Backoff:
    """The restart bookkeeping of one supervised process."""

    def __init__(self, policy: RestartPolicy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self._clock = clock
        self._started_at: float | None = None
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures

    def started(self) -> None:
        self._started_at = self._clock()

    def exited(self) -> Restart | GiveUp:
        now = self._clock()
        if self._started_at is None:
            raise RuntimeError("exited() before started()")
        uptime = now - self._started_at
        self._started_at = None
        # A long run means the earlier failures were not this process's steady state.
        self._failures = 1 if uptime >= self.policy.stable_after else self._failures + 1
        if self._failures > self.policy.max_failures:
            return GiveUp(self.policy.max_failures, uptime)
        delay = self.policy.delay(self._failures)
        return Restart(self._failures, delay, now + delay, uptime)
