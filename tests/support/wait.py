"""Waiting for a condition: one helper that polls, and on timeout says what it last saw.

Used for everything that happens after the call a test makes (a success callback logged after the
response is sent, a probe round, a scrape), instead of hand-written loops or bare sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Short enough that a condition met is seen at once, long enough that polling a proxy's endpoint
# does not take a visible share of a 2-core host. Probes of costly endpoints pass a longer one.
INTERVAL = 0.1


def eventually(
    probe: Callable[[], T],
    timeout: float,
    what: str,
    *,
    until: Callable[[T], object] = bool,
    interval: float = INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `probe` until `until(value)` holds (by default: the value is truthy); return that value.

    A probe that raises counts as "not yet" (a server restarting refuses connections, a key is not
    there yet). After `timeout` seconds it fails with an AssertionError naming `what`, the last
    value the probe returned and, when the last call raised, that exception (chained as its cause).
    """
    if timeout < 0 or interval <= 0:
        raise ValueError(f"eventually({what!r}): timeout must be >= 0 and interval > 0")
    deadline = clock() + timeout
    seen: list[T] = []  # the last value returned, if any (a value may itself be None)
    while True:
        error: Exception | None = None
        try:
            value = probe()
        except Exception as exc:  # any failure of the probe is "not yet"; reported on timeout
            error = exc
        else:
            if until(value):
                return value
            seen[:] = [value]
        remaining = deadline - clock()
        if remaining <= 0:
            last = f"last value: {seen[0]!r}" if seen else "the probe never returned a value"
            if error is not None:
                last += f"; last call raised {type(error).__name__}: {error}"
            raise AssertionError(f"not {what} within {timeout:g}s; {last}") from error
        sleep(min(interval, remaining))
