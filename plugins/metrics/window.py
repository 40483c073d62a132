"""Sliding-window share of requests that a fallback served, per primary model.

The window is time-based (default the last 300 s) with one-second buckets, so memory stays
bounded whatever the traffic. The clock is injected for tests. Thread-safe: requests are recorded
on the proxy's event loop while a background thread refreshes the gauge as requests age out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FallbackWindow:
    def __init__(self, seconds: int = 300, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError(f"window seconds must be positive, got {seconds}")
        self.seconds = seconds
        self._clock = clock
        # per model: deque of [second, total, fell_back]
        self._buckets: dict[str, deque[list[int]]] = {}
        self._lock = threading.Lock()

    def record(self, model: str, fell_back: bool) -> None:
        now = int(self._clock())
        with self._lock:
            buckets = self._buckets.setdefault(model, deque())
            if buckets and buckets[-1][0] == now:
                buckets[-1][1] += 1
                buckets[-1][2] += int(fell_back)
            else:
                buckets.append([now, 1, int(fell_back)])
            self._expire(buckets, now)

    def rate(self, model: str) -> float:
        """Fallbacks / requests with primary `model` in the window; 0.0 when there were none."""
        with self._lock:
            buckets = self._buckets.get(model)
            if not buckets:
                return 0.0
            self._expire(buckets, int(self._clock()))
            total = sum(b[1] for b in buckets)
            return sum(b[2] for b in buckets) / total if total else 0.0

    def _expire(self, buckets: deque[list[int]], now: int) -> None:
        while buckets and buckets[0][0] <= now - self.seconds:
            buckets.popleft()
