"""The one way tests wait for a condition: poll a reading until it passes, else fail with the last one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(read: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str,
               interval: float = 0.25) -> T:
    """The first reading that `done` accepts; AssertionError naming `what` and the last reading."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached after {timeout:.0f}s; last reading: {value!r}")
        time.sleep(interval)
