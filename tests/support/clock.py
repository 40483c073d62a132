"""A fake clock for code that takes an injected clock (and sleep): time moves only when a test says so."""

from __future__ import annotations


class FakeClock:
    """Callable like `time.monotonic`/`time.time`; `sleep` and `async_sleep` advance it, and record
    what was asked, instead of waiting."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock does not go back ({seconds} s)")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
