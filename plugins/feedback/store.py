"""Where decision handles live until their TTL: this process's memory, bounded by `max_entries`.

`RedisStore` (redis_store.py) is the same interface on a shared Redis, so any replica can take the
feedback for a decision another one made. Both also keep the feedback matrix's totals.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Literal, Protocol

from plugins.feedback.handle import DecisionHandle

# Where the totals of /router/info come from: this process only, or every replica sharing Redis.
Scope = Literal["process", "cluster"]


def cell(predicted: str, correct: str, source: str) -> str:
    """The matrix cell's name in `totals()`; intents are slugs and sources fixed, so `|` is safe."""
    return f"{predicted}|{correct}|{source}"


class DecisionStore(Protocol):
    scope: Scope

    async def put(self, handle: DecisionHandle) -> None: ...

    async def get(self, response_id: str) -> DecisionHandle | None: ...

    async def claim(self, response_id: str) -> bool:
        """True for the first feedback on `response_id`, False for every later one."""
        ...

    async def tally(self, predicted: str, correct: str, source: str) -> None: ...

    async def totals(self) -> Mapping[str, int]:
        """Counted feedback per `cell(...)`."""
        ...


class MemoryStore:
    """An insertion-ordered map: with one TTL for all, the oldest entry is also the first to expire,
    so expiry and the size bound both trim from the front, O(1) per put."""

    scope: Scope = "process"

    def __init__(self, ttl_seconds: float, max_entries: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds <= 0 or max_entries < 1:
            raise ValueError(f"MemoryStore needs ttl_seconds > 0 and max_entries >= 1, not {ttl_seconds}, "
                             f"{max_entries}")
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[DecisionHandle, float]] = OrderedDict()
        self._claimed: set[str] = set()
        self._totals: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._entries)

    async def put(self, handle: DecisionHandle) -> None:
        now = self._clock()
        self._entries.pop(handle.id, None)
        self._entries[handle.id] = (handle, now + self.ttl)
        self._trim(now)

    async def get(self, response_id: str) -> DecisionHandle | None:
        entry = self._entries.get(response_id)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def claim(self, response_id: str) -> bool:
        if response_id in self._claimed or await self.get(response_id) is None:
            return False
        self._claimed.add(response_id)
        return True

    async def tally(self, predicted: str, correct: str, source: str) -> None:
        self._totals[cell(predicted, correct, source)] += 1

    async def totals(self) -> Mapping[str, int]:
        return dict(self._totals)

    def _trim(self, now: float) -> None:
        while self._entries:
            oldest, (_, expires) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self.max_entries:
                return
            del self._entries[oldest]
            self._claimed.discard(oldest)
