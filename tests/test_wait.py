"""tests/support/wait.py's `eventually`, on a fake clock: what it returns, and what a failure says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tests.support.clock import FakeClock
from tests.support.wait import eventually

T = TypeVar("T")


def answers(*values: T | Exception) -> Callable[[], T]:
    """A probe that returns (or raises) `values` in turn, then keeps giving the last one."""
    stream: Iterator[T | Exception] = iter(values)
    last: list[T | Exception] = []

    def probe() -> T:
        last[:] = [next(stream, *last)]
        if isinstance(last[0], Exception):
            raise last[0]
        return last[0]

    return probe


def test_returns_the_first_value_that_satisfies_the_condition_without_sleeping_after_it() -> None:
    clock = FakeClock()
    got = eventually(answers(0, 0, 3), 10, "counted", clock=clock, sleep=clock.sleep)
    assert got == 3 and clock.sleeps == [0.1, 0.1]


def test_until_decides_and_the_value_is_returned() -> None:
    clock = FakeClock()
    got = eventually(answers({"a": 1}, {"a": 2}), 10, "a is 2", until=lambda v: v == {"a": 2},
                     clock=clock, sleep=clock.sleep)
    assert got == {"a": 2}


def test_a_probe_that_raises_is_retried() -> None:
    clock = FakeClock()
    got = eventually(answers(ConnectionError("refused"), "up"), 10, "up", clock=clock, sleep=clock.sleep)
    assert got == "up" and clock.now == pytest.approx(0.1)


def test_timeout_names_what_and_the_last_value_seen() -> None:
    clock = FakeClock()
    with pytest.raises(AssertionError, match=r"not healthy within 1s; last value: 'unhealthy'$"):
        eventually(answers("starting", "unhealthy"), 1, "healthy", until=lambda s: s == "healthy",
                   interval=0.25, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [0.25] * 4  # polled every interval until the deadline


def test_timeout_reports_the_exception_of_the_last_call_as_the_cause() -> None:
    clock = FakeClock()
    refused = ConnectionError("refused")
    with pytest.raises(AssertionError) as info:
        eventually(answers(503, refused), 0.75, "ready", until=lambda status: status == 200, interval=0.5,
                   clock=clock, sleep=clock.sleep)
    message = str(info.value)
    assert message == "not ready within 0.75s; last value: 503; last call raised ConnectionError: refused"
    assert info.value.__cause__ is refused
    assert clock.sleeps == [0.5, 0.25]  # the last wait ends at the deadline, not an interval past it


def test_a_probe_that_never_returned_says_so() -> None:
    clock = FakeClock()
    with pytest.raises(AssertionError, match="the probe never returned a value; last call raised KeyError"):
        eventually(answers(KeyError("rounds")), 0.3, "probed", clock=clock, sleep=clock.sleep)


def test_a_none_value_is_reported_as_seen() -> None:
    clock = FakeClock()
    with pytest.raises(AssertionError, match=r"last value: None$"):
        eventually(answers(None), 0, "set", clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []  # a zero timeout is one call, no wait


@pytest.mark.parametrize(("timeout", "interval"), [(-1, 0.1), (1, 0)])
def test_nonsense_timings_are_refused(timeout: float, interval: float) -> None:
    with pytest.raises(ValueError, match="timeout must be >= 0 and interval > 0"):
        eventually(lambda: True, timeout, "x", interval=interval)


def test_fake_clock_moves_only_forward_and_records_sleeps() -> None:
    clock = FakeClock(100.0)
    clock.advance(2.5)
    clock.sleep(1.0)
    assert clock() == 103.5 and clock.sleeps == [1.0]
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)
