"""The soak's own logic without processes: fault schedule, stream check, grace windows, goals."""

from __future__ import annotations

import subprocess

import pytest

from scripts.soak.faults import FaultEvent, FaultPlan
from scripts.soak.load import Outcome, served_model
from scripts.soak.report import Counters, affected, build_report, render
from scripts.soak.resources import Resources, resources
from scripts.soak.surfaces import good_stream


def outcome(sent: float, latency: float = 0.5, ok: bool = True, model: str | None = "llama") -> Outcome:
    return Outcome("chat", sent, latency, 200 if ok else 0, ok, True, None if ok else "boom", model)


def test_the_schedule_scales_with_the_duration() -> None:
    long = FaultPlan.for_duration(300)
    assert long.kill_at == (30.0, 150.0) and long.down_seconds == 10.0
    assert (long.error_at, long.error_seconds) == (90.0, 45.0)
    short = FaultPlan.for_duration(30, restarts=1)
    assert short.kill_at == (3.0,) and short.down_seconds == 2.0 and short.error_seconds == 4.5


@pytest.mark.parametrize(
    ("body", "good"),
    [
        (b'data: {"id": 1}\n\ndata: [DONE]\n\n', True),
        (b'data: {"id": 1}\n\n', False),  # cut before the end
        (b'data: {"error": {"message": "x"}}\n\ndata: [DONE]\n\n', False),
        (b"", False),
    ],
)
def test_good_stream(body: bytes, good: bool) -> None:
    assert good_stream(body) is good


def test_served_model_reads_the_routing_header() -> None:
    assert served_model('{"model_id": "qwen-coder"}') == "qwen-coder"
    assert served_model(None) is None and served_model("not json") is None


def test_a_request_in_flight_at_a_fault_or_sent_within_the_grace_is_exempt() -> None:
    events = [FaultEvent("sigkill", "qwen-coder", 10.0)]
    assert affected(outcome(9.0, latency=1.5), events, 2.0)  # in flight at the kill
    assert affected(outcome(11.9), events, 2.0)  # sent within 2 s after
    assert not affected(outcome(12.1), events, 2.0)
    assert not affected(outcome(8.0, latency=1.0), events, 2.0)  # done before it


def test_report_goals_and_the_return_of_the_killed_model() -> None:
    events = [FaultEvent("sigkill", "qwen-coder", 10.0), FaultEvent("ready", "qwen-coder", 20.0)]
    outcomes = [outcome(1.0), outcome(10.5, ok=False), outcome(21.0, model="qwen-coder"),
                outcome(30.0, ok=False)]
    report = build_report(outcomes, events, 2.0, Resources(400.0, 40), Resources(430.0, 40),
                          Counters({"success": 2, "error": 2}, {"success": 2, "error": 2}),
                          {"duration_seconds": 30.0, "concurrency": 16, "grace_seconds": 2.0}, ["chat"])
    assert report["errors"] == 2 and report["errors_after_grace"] == 1
    assert report["killed_model_serving_again_seconds"] == {"after_ready_at_20.0s": 1.5}
    assert report["goals"] == {"no_errors_after_grace": False, "rss_within_10_percent": True,
                               "fds_back_to_start": True, "requests_total_matches_clients": True}
    assert report["passed"] is False and "FAILED" in render(report)


@pytest.mark.process  # starts a short `true` process
def test_a_gone_process_is_an_error_not_zero_descriptors() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the pid is free
    with pytest.raises(ProcessLookupError, match="is gone"):
        resources(proc.pid)
