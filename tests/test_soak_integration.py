"""The 30-second soak (scripts/soak) in CI: the issue's goals asserted on a fresh proxy.

It reuses the session's MAX Serve backends (the soak SIGKILLs and restarts qwen-coder's once and
makes deepseek-r1's answer 500 for a few seconds) and starts its own proxy with the shipped config,
so the counters and the process measurements start from nothing. `make soak` runs 5 minutes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from scripts.soak.run import SoakSettings, Target, soak
from tests.support.cluster import Backend, launch_proxy

pytestmark = pytest.mark.integration

CI = SoakSettings(duration_seconds=30.0, concurrency=16, restarts=1, warmup_seconds=3.0,
                  settle_seconds=20.0)


def test_thirty_second_soak_meets_the_goals(healthy_backends: dict[str, Backend], log_dir: Path) -> None:
    try:
        with launch_proxy(healthy_backends, log_dir, name="litellm-soak") as proxy:
            target = Target(proxy.base_url, proxy.master_key,
                            f"http://127.0.0.1:{proxy.metrics_port}/metrics", proxy.process.proc.pid)
            report = asyncio.run(soak(target, healthy_backends, CI))
    finally:
        for backend in healthy_backends.values():
            backend.fault.mode = "pass"
            backend.ensure_running()
    (log_dir / "soak_report.json").write_text(json.dumps(report, indent=2))
    kinds = [f["kind"] for f in report["faults"]]
    assert kinds.count("sigkill") == 1 and "ready" in kinds and "error500-start" in kinds
    assert {"chat", "chat-stream"} <= set(report["surfaces"])
    assert report["requests"] > 100
    assert report["errors_after_grace"] == 0, report["error_examples"]
    assert report["goals"] == dict.fromkeys(report["goals"], True), report
