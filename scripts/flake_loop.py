"""The soak test and its neighbours, `--runs` times over in one pytest session (issue 22's evidence loop).

One session, as in CI: the three MAX Serve backends start once and keep their ports while the
tests kill and restart them; every repetition starts its own proxies. The neighbours are the tests
around the soak in CI's order that kill a backend or start a proxy with a planted log config.
Per repetition: each test's outcome and seconds (from pytest's JUnit XML); exit status 0 when
every repetition passed. Logs and the XML stay in `--out`.

Usage: .venv/bin/python -m scripts.flake_loop [--runs 20] [--out .run/flake-loop] [tests ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.stack import ROOT

NEIGHBOURS = (
    "tests/test_recovery_integration.py",  # kills and restarts qwen-coder's backend
    "tests/test_secrets_integration.py",  # a proxy with an INFO log config, just before the soak
    "tests/test_soak_integration.py",
    "tests/test_surfaces_faults_integration.py",  # faults on every surface, just after it
)


@dataclass(frozen=True)
class Case:
    name: str
    outcome: str  # passed, failed, error, skipped
    seconds: float


def cases(junit: Path) -> list[Case]:
    found = []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        outcome = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
        found.append(Case(f"{case.get('classname')}::{case.get('name')}", outcome,
                          float(case.get("time") or 0.0)))
    return found


def by_repetition(found: Sequence[Case]) -> list[list[Case]]:
    """The session's cases in run order, cut where the first test comes round again (so an
    interrupted loop still reports the repetitions it finished, and the one it was in)."""
    runs: list[list[Case]] = []
    for case in found:
        if not runs or case.name == found[0].name:
            runs.append([])
        runs[-1].append(case)
    return runs


def render(repetitions: Sequence[Sequence[Case]]) -> str:
    lines = []
    for index, run in enumerate(repetitions, 1):
        bad = [c for c in run if c.outcome in ("failed", "error")]
        soak = [c for c in run if "soak" in c.name]
        soak_text = ", ".join(f"soak {c.outcome} {c.seconds:.1f} s" for c in soak)
        lines.append(f"run {index:2d}: {'FAIL' if bad else 'pass'}  {sum(c.seconds for c in run):6.1f} s  "
                     f"{soak_text}" + "".join(f"\n        {c.outcome}: {c.name}" for c in bad))
    passed = sum(not any(c.outcome in ("failed", "error") for c in run) for run in repetitions)
    lines.append(f"{passed}/{len(repetitions)} repetitions passed")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.flake_loop", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "flake-loop")
    parser.add_argument("tests", nargs="*", default=list(NEIGHBOURS))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    junit = args.out / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--keep-duplicates",
               f"--junitxml={junit}", f"--basetemp={args.out / 'tmp'}", *(args.tests * args.runs)]
    started = time.monotonic()
    with open(args.out / "pytest.log", "wb") as log:
        done = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    report = render(by_repetition(cases(junit))) if junit.exists() else "no JUnit XML written"
    report += f"\npytest exit status {done.returncode}, {time.monotonic() - started:.0f} s in all"
    (args.out / "report.txt").write_text(report + "\n")
    print(report)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
