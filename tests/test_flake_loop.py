"""The evidence loop's report, read from pytest's JUnit XML (no pytest run here)."""

from __future__ import annotations

from pathlib import Path

from scripts.flake_loop import by_repetition, cases, render

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_recovery_integration" name="test_a" time="20.5"/>
<testcase classname="tests.test_soak_integration" name="test_soak" time="61.0"/>
<testcase classname="tests.test_recovery_integration" name="test_a" time="19.0"/>
<testcase classname="tests.test_soak_integration" name="test_soak" time="58.2"><failure message="x"/></testcase>
</testsuite></testsuites>"""


def test_each_repetition_reports_its_outcome_and_times(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    found = cases(junit)
    assert [c.outcome for c in found] == ["passed", "passed", "passed", "failed"]
    runs = by_repetition(found)
    assert [[c.seconds for c in run] for run in runs] == [[20.5, 61.0], [19.0, 58.2]]
    text = render(runs)
    assert "run  1: pass    81.5 s  soak passed 61.0 s" in text
    assert "run  2: FAIL    77.2 s  soak failed 58.2 s" in text
    assert "failed: tests.test_soak_integration::test_soak" in text
    assert text.endswith("1/2 repetitions passed")
