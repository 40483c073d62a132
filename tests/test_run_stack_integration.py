"""`make run` as an operator runs it: the real `python -m scripts.run_stack` (three MAX Serve echo
backends and the proxy) on free ports, one backend SIGKILLed by its pid from `stack.json`, the
supervisor's console report and restart, the proxy serving through it, and Ctrl-C stopping every
process it started (checked by pid and process group) and freeing every port.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.ports import session_pool
from scripts.stack import ROOT, answers_200, free_port
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CODE = "Write a Python function that merges two sorted lists"
START_TIMEOUT = 300.0  # compile check + three MAX start-ups + the proxy's import, on a busy 2-core host


@dataclass
class RunningStack:
    """`python -m scripts.run_stack` started by this test, with the ports it was given."""

    process: subprocess.Popen[bytes]
    console_path: Path
    run_dir: Path
    port: int
    metrics_port: int  # the bundle's exporter
    ports: tuple[int, ...]  # every port the stack listens on
    client: httpx.Client

    def console(self) -> str:
        return self.console_path.read_text(errors="replace")

    def state(self) -> dict[str, Any]:
        path = self.run_dir / "stack.json"
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def pid(self, name: str) -> int:
        return int(self.state()["processes"][name]["pid"])

    def await_console(self, text: str, timeout: float) -> str:
        def seen() -> str:
            if self.process.poll() is not None:
                raise AssertionError(f"run_stack exited ({self.process.returncode}):\n{self.console()}")
            return self.console()

        return eventually(seen, timeout, f"{text!r} on the console", until=lambda console: text in console)

    def chat(self) -> tuple[int, dict[str, Any]]:
        body = {"model": "agent-router", "messages": [{"role": "user", "content": CODE}], "max_tokens": 8}
        resp = self.client.post("/v1/chat/completions", json=body)
        return resp.status_code, dict(json.loads(resp.headers.get("x-routing-metadata", "{}")))


def qwen_health_gauge(stack: RunningStack) -> str:
    text = httpx.get(f"http://127.0.0.1:{stack.metrics_port}/metrics", timeout=10).text
    return next(line.rsplit(" ", 1)[1] for line in text.splitlines()
                if line.startswith('agent_router_model_health{model="qwen-coder"}'))


def group_members(groups: set[int]) -> list[int]:
    """Pids of live (not zombie) processes whose process group is one of `groups`."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited while we looked
            if fields[0] != "Z" and int(fields[2]) in groups:
                members.append(int(entry.name))
    return members


def listening(port: int) -> bool:
    """Would a server fail to bind `port`? (SO_REUSEADDR, as servers bind: TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    # The supervisor restarts each process on the ports it had: all of them from outside the
    # ephemeral range, where no other process can be handed one while its owner is down.
    pool = session_pool()
    take = pool.take if pool is not None else free_port
    port, metrics_port = take(), take()
    backend_ports = tuple(take() for _ in range(3))
    backend_metrics = tuple(take() for _ in range(3))
    key = "sk-test-" + secrets.token_hex(12)
    env = {
        **os.environ, "PORT": str(port), "LITELLM_MASTER_KEY": key, "AGENT_ROUTER_RUN_DIR": str(tmp_path),
        "AGENT_ROUTER_BACKEND_PORTS": ",".join(map(str, backend_ports)),
        "AGENT_ROUTER_BACKEND_METRICS_PORTS": ",".join(map(str, backend_metrics)),
        "AGENT_ROUTER_METRICS_PORT": str(metrics_port), "AGENT_ROUTER_METRICS_HOST": "127.0.0.1",
    }
    for var in ("LLAMA_API_BASE", "QWEN_API_BASE", "DEEPSEEK_API_BASE"):
        env.pop(var, None)  # all three backends local
    console_path = tmp_path / "console.log"
    with open(console_path, "wb") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.run_stack"], cwd=ROOT, env=env, stdout=console,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {key}"})
    running = RunningStack(process, console_path, tmp_path, port, metrics_port,
                           (port, metrics_port, *backend_ports, *backend_metrics), client)
    try:
        yield running
    finally:
        client.close()
        groups = {p["pid"] for p in running.state().get("processes", {}).values() if p["pid"]}
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                # run_stack died without stopping its children: stop them by the pids it recorded.
                for pid in groups:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)


def test_a_killed_backend_is_restarted_while_the_proxy_serves_and_ctrl_c_stops_everything(
    stack: RunningStack,
) -> None:
    started = time.monotonic()
    stack.await_console("agent-router proxy ready on", START_TIMEOUT)
    ready_after = time.monotonic() - started
    first = stack.state()
    assert first["pid"] == stack.process.pid and first["running"] is True
    assert {name: p["phase"] for name, p in first["processes"].items()} == {
        "max-llama": "ready", "max-qwen": "ready", "max-deepseek": "ready", "litellm": "ready"
    }
    status, meta = stack.chat()
    assert (status, meta["model_id"], meta["fallback_used"]) == (200, "qwen-coder", False)

    victim = stack.pid("max-qwen")
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    stack.await_console(f"max-qwen (pid {victim}) exited (signal SIGKILL)", 30)
    assert "restarting in 1.0s (restart 1/5)" in stack.console()

    # While qwen-coder's backend is down or still starting, code requests are served by the fallback,
    # and the health monitor (fed by those requests' failures) reports the model unhealthy.
    served: list[tuple[int, str, bool]] = []
    seen_health: set[tuple[str, str]] = set()
    while "max-qwen ready again" not in stack.console() and time.monotonic() - killed_at < 180:
        status, meta = stack.chat()
        served.append((status, meta.get("model_id", ""), meta.get("fallback_used", False)))
        seen_health.add((stack.client.get("/router/health").json()["models"]["qwen-coder"]["status"],
                         qwen_health_gauge(stack)))
        time.sleep(0.5)
    stack.await_console("max-qwen ready again", 5)
    back_after = time.monotonic() - killed_at
    assert served and all(s == (200, "llama", True) for s in served), served
    assert ("unhealthy", "0.0") in seen_health, seen_health

    after = stack.state()["processes"]["max-qwen"]
    assert (after["phase"], after["restarts"]) == ("ready", 1) and after["pid"] != victim
    assert answers_200(f"http://127.0.0.1:{after['port']}/health")
    status, _ = stack.chat()
    assert status == 200

    pids = {stack.process.pid, victim, *(p["pid"] for p in stack.state()["processes"].values())}
    stack.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert stack.process.wait(timeout=60) == 0, stack.console()
    console = stack.console()
    assert "stopping every process of the stack" in console and "stack stopped" in console
    assert all(p["phase"] == "stopped" for p in stack.state()["processes"].values())
    assert group_members(pids) == [], "processes left behind"
    assert [port for port in stack.ports if listening(port)] == []
    print(f"\nrun_stack: ready after {ready_after:.1f}s, max-qwen back {back_after:.1f}s after its SIGKILL,"
          f" {len(served)} requests served meanwhile (all by the fallback)")
