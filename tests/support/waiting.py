"""Waiting for a condition: one bounded poll that fails saying what it last saw, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(fetch: Callable[[], T], accept: Callable[[T], bool], timeout: float, what: str,
               interval: float = 0.1) -> T:
    """Call `fetch` until `accept` takes its value; return that value, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout:.0f}s; last seen: {value!r}")
        time.sleep(interval)
