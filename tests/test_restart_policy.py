"""The supervisor's restart policy: back-off growth and cap, giving up, forgiveness after a long run."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.restart_policy import Backoff, GiveUp, Restart, RestartPolicy
from tests.support.clock import FakeClock

POLICY = RestartPolicy(initial_delay=1.0, factor=2.0, max_delay=5.0, max_failures=4, stable_after=60.0)


def run_for(backoff: Backoff, clock: FakeClock, seconds: float) -> Restart | GiveUp:
    backoff.started()
    clock.advance(seconds)
    return backoff.exited()


def test_delays_double_from_the_initial_delay_up_to_the_cap() -> None:
    assert [POLICY.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_short_runs_back_off_then_give_up_after_max_failures_restarts() -> None:
    clock = FakeClock()
    backoff = Backoff(POLICY, clock)
    decisions = [run_for(backoff, clock, 3.0) for _ in range(4)]
    assert [(d.attempt, d.delay) for d in decisions if isinstance(d, Restart)] == [
        (1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0)
    ]
    assert run_for(backoff, clock, 3.0) == GiveUp(restarts=4, uptime=3.0)


def test_restart_time_is_the_exit_time_plus_the_delay() -> None:
    clock = FakeClock(500.0)
    backoff = Backoff(POLICY, clock)
    assert run_for(backoff, clock, 10.0) == Restart(attempt=1, delay=1.0, at=511.0, uptime=10.0)


def test_a_run_longer_than_stable_after_forgives_earlier_failures() -> None:
    clock = FakeClock()
    backoff = Backoff(POLICY, clock)
    for _ in range(3):
        run_for(backoff, clock, 1.0)
    assert backoff.failures == 3
    decision = run_for(backoff, clock, 60.0)
    assert isinstance(decision, Restart) and (decision.attempt, decision.delay) == (1, 1.0)
    # ...and counting starts again from there: four more short runs before giving up.
    outcomes = [run_for(backoff, clock, 1.0) for _ in range(4)]
    assert [type(o) for o in outcomes] == [Restart, Restart, Restart, GiveUp]


def test_the_first_exit_of_a_long_running_process_restarts_at_once() -> None:
    clock = FakeClock()
    decision = run_for(Backoff(POLICY, clock), clock, 3600.0)
    assert decision == Restart(attempt=1, delay=1.0, at=clock.now + 1.0, uptime=3600.0)


def test_exit_without_start_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="before started"):
        Backoff(POLICY, FakeClock()).exited()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("initial_delay", -1.0, "initial_delay"),
    ("max_delay", 0.5, "max_delay"),
    ("factor", 0.5, "factor"),
    ("max_failures", 0, "max_failures"),
    ("stable_after", 0.0, "stable_after"),
])
def test_bad_policies_fail_when_defined(field: str, value: float, message: str) -> None:
    settings: dict[str, Any] = {field: value}
    with pytest.raises(ValueError, match=message):
        RestartPolicy(**settings)
