"""Which backend served a request, as the backends themselves saw it (the fault proxies' counters)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from tests.support.cluster import Backend

# Every surface reaches MAX Serve through one of these (Responses and Messages are bridged to chat).
GENERATION_PATHS = ("/v1/chat/completions", "/v1/completions")


def generations(backends: Mapping[str, Backend]) -> dict[str, int]:
    return {group: sum(b.fault.count(p) for p in GENERATION_PATHS) for group, b in backends.items()}


class Served:
    """Filled in when the `served_by` block ends: generation calls per backend during the block."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    @property
    def only(self) -> str:
        """The one backend that was called, exactly once (fails otherwise, showing the counts)."""
        called = {g: n for g, n in self.calls.items() if n}
        assert len(called) == 1 and next(iter(called.values())) == 1, called
        return next(iter(called))


@contextmanager
def served_by(backends: Mapping[str, Backend]) -> Iterator[Served]:
    before = generations(backends)
    served = Served()
    try:
        yield served
    finally:
        after = generations(backends)
        served.calls = {g: after[g] - before[g] for g in after}
