"""The supervisor's loop over real (tiny Python) processes, with a fake clock and a fake health
probe: restart after the back-off, giving up, the essential process ending the stack, start-up
failures, stopping every process with what it forked, and the state file it keeps."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.restart_policy import RestartPolicy
from scripts.stack import Managed, spawn
from scripts.stack_settings import DEFAULT_BACKEND_PORTS, StackSettings
from scripts.stack_state import Phase, StackState, write_state
from scripts.supervisor import ChildSpec, StartCancelled, Supervisor
from tests.support.clock import FakeClock
from tests.support.wait import eventually

POLICY = RestartPolicy(initial_delay=1.0, factor=2.0, max_delay=10.0, max_failures=2, stable_after=60.0)
SLEEPER = "import time; time.sleep(120)"
# Forks a grandchild into its own process group, prints its pid, then sleeps: like MAX Serve's worker.
FORKER = ("import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
          " print(c.pid, flush=True); time.sleep(120)")


class Harness:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.clock = FakeClock()
        self.healthy = True  # what the fake probe answers
        self.reports: list[str] = []
        self.states: list[StackState] = []
        self.supervisor = Supervisor(
            POLICY, report=self.reports.append, clock=self.clock, probe=lambda url: self.healthy,
            on_change=self.states.append, ready_timeout=30.0,
        )

    def spec(self, name: str, code: str, essential: bool = False) -> ChildSpec:
        def start(restart: bool) -> Managed:
            return spawn(name, [sys.executable, "-c", code], os.environ, self.log_dir, append=restart)

        return ChildSpec(name, start, f"http://127.0.0.1:1/{name}", 1, essential=essential)

    def phase(self, name: str) -> Phase:
        return next(p.phase for p in self.supervisor.state().processes if p.name == name)

    def pid(self, name: str) -> int:
        pid = next(p.pid for p in self.supervisor.state().processes if p.name == name)
        assert pid is not None
        return pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie is gone too: only its parent's wait is missing (the grandchild's parent is dead).
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.fixture()
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        h.supervisor.stop_all()


def kill_and_reap(managed: Managed) -> None:
    os.kill(managed.proc.pid, signal.SIGKILL)
    managed.proc.wait(timeout=10)


def test_an_exited_backend_is_reported_and_restarted_after_the_back_off(harness: Harness) -> None:
    first = harness.supervisor.launch(harness.spec("max-a", SLEEPER))
    harness.supervisor.wait_ready(10, lambda: False)
    kill_and_reap(first)
    harness.clock.advance(5)
    assert harness.supervisor.tick() is None
    assert harness.phase("max-a") is Phase.RESTARTING
    assert harness.reports[-1] == (f"max-a (pid {first.proc.pid}) exited (signal SIGKILL) after 5.0s;"
                                   " restarting in 1.0s (restart 1/2)")
    harness.clock.advance(0.9)
    harness.supervisor.tick()
    assert harness.phase("max-a") is Phase.RESTARTING  # the back-off is not over yet
    harness.healthy = False
    harness.clock.advance(0.1)
    harness.supervisor.tick()
    assert harness.phase("max-a") is Phase.STARTING
    second = harness.pid("max-a")
    assert second != first.proc.pid and harness.reports[-1].startswith(f"max-a restarted (pid {second})")
    harness.healthy = True
    harness.clock.advance(12)
    harness.supervisor.tick()
    assert harness.phase("max-a") is Phase.READY
    assert harness.reports[-1] == f"max-a ready again (pid {second}) 12.0s after its restart"
    assert [p.restarts for p in harness.supervisor.state().processes] == [1]


def test_a_backend_that_keeps_failing_is_given_up_with_its_log(harness: Harness) -> None:
    harness.supervisor.launch(harness.spec("max-bad", "import sys; print('boom: no model here'); sys.exit(3)"))
    pids = []
    for _ in range(POLICY.max_failures + 1):
        process = harness.supervisor.process("max-bad")
        assert process is not None and harness.phase("max-bad") is Phase.STARTING
        pids.append(process.proc.pid)
        process.proc.wait(timeout=10)
        harness.supervisor.tick()  # sees the exit
        harness.clock.advance(30)
        harness.supervisor.tick()  # restarts it, once its back-off is over
    assert harness.phase("max-bad") is Phase.GAVE_UP
    assert len(set(pids)) == POLICY.max_failures + 1
    crash, give_up = harness.reports[0], harness.reports[-1]
    assert "exited (code 3)" in crash and "boom: no model here" in crash
    assert "giving up: its last 2 restarts each exited within 60s." in give_up
    assert "boom: no model here" in give_up
    harness.clock.advance(600)
    harness.supervisor.tick()
    last = harness.supervisor.state().processes[0]
    assert (last.phase, last.pid, last.restarts) == (Phase.GAVE_UP, None, 2)
    assert last.log == str(harness.log_dir / "max-bad.log")


def test_the_essential_process_exiting_ends_supervision_with_its_log_tail(harness: Harness) -> None:
    harness.supervisor.launch(harness.spec("max-a", SLEEPER))
    proxy = harness.supervisor.launch(harness.spec("litellm", SLEEPER, essential=True))
    harness.supervisor.wait_ready(10, lambda: False)
    proxy.log_path.write_text("line 1\nERROR: address already in use\n")
    kill_and_reap(proxy)
    ended = harness.supervisor.run(lambda: False, sleep=harness.clock.advance)
    assert ended is not None and ended.name == "litellm" and ended.returncode == -signal.SIGKILL
    assert ended.render().startswith("litellm exited (signal SIGKILL); stopping the stack.")
    assert ended.render().endswith("ERROR: address already in use")
    assert harness.phase("max-a") is Phase.READY  # the caller stops the rest


def test_an_exit_during_start_up_is_fatal_not_restarted(harness: Harness) -> None:
    harness.healthy = False
    dying = harness.supervisor.launch(harness.spec("max-a", "import sys; print('cannot load'); sys.exit(1)"))
    dying.proc.wait(timeout=10)
    with pytest.raises(RuntimeError, match=r"max-a exited during start-up \(code 1\):\ncannot load"):
        harness.supervisor.wait_ready(10, lambda: False, sleep=harness.clock.advance)


def test_start_up_gives_up_after_its_timeout_and_on_a_stop_request(harness: Harness) -> None:
    harness.healthy = False
    harness.supervisor.launch(harness.spec("max-slow", SLEEPER))
    with pytest.raises(TimeoutError, match="max-slow not ready after 5s"):
        harness.supervisor.wait_ready(5, lambda: False, sleep=harness.clock.advance)
    with pytest.raises(StartCancelled):
        harness.supervisor.wait_ready(5, lambda: True, sleep=harness.clock.advance)


def test_a_restart_that_never_gets_ready_is_stopped_and_counts_as_a_failure(harness: Harness) -> None:
    first = harness.supervisor.launch(harness.spec("max-a", SLEEPER))
    harness.supervisor.wait_ready(10, lambda: False)
    kill_and_reap(first)
    harness.supervisor.tick()
    harness.clock.advance(1)
    harness.healthy = False
    harness.supervisor.tick()
    hung = harness.pid("max-a")
    harness.clock.advance(31)
    harness.supervisor.tick()
    assert gone(hung) and harness.phase("max-a") is Phase.RESTARTING
    assert harness.reports[-1] == (f"max-a (pid {hung}) was not ready within 30s and was stopped after 31.0s;"
                                   " restarting in 2.0s (restart 2/2)")


def test_what_a_killed_backend_forked_is_reaped_and_stop_all_stops_everything(harness: Harness) -> None:
    forker = harness.supervisor.launch(harness.spec("max-a", FORKER))
    other = harness.supervisor.launch(harness.spec("max-b", FORKER))
    harness.supervisor.wait_ready(10, lambda: False)

    def grandchild(managed: Managed) -> int:
        printed = eventually(lambda: managed.log_path.read_text().strip(), 10, f"{managed.name} forked")
        return int(printed)

    orphan, other_child = grandchild(forker), grandchild(other)
    kill_and_reap(forker)
    assert not gone(orphan)  # SIGKILL of the leader alone leaves its child running
    harness.supervisor.tick()
    eventually(lambda: gone(orphan), 10, "the orphan reaped")  # SIGKILL is delivered asynchronously
    harness.supervisor.stop_all()
    assert gone(other.proc.pid)
    eventually(lambda: gone(other_child), 10, "the other grandchild stopped")
    final = harness.states[-1]
    assert not final.running and {p.phase for p in final.processes} == {Phase.STOPPED}


def test_the_state_file_holds_every_process(tmp_path: Path, harness: Harness) -> None:
    harness.supervisor.launch(harness.spec("max-a", SLEEPER))
    harness.supervisor.wait_ready(10, lambda: False)
    path = tmp_path / "run" / "stack.json"
    write_state(path, harness.supervisor.state())
    written = json.loads(path.read_text())
    assert written["pid"] == os.getpid() and written["running"] is True
    assert written["processes"]["max-a"] == {
        "name": "max-a", "pid": harness.pid("max-a"), "port": 1, "phase": "ready", "restarts": 0,
        "log": str(tmp_path / "max-a.log"),
    }
    assert not list(path.parent.glob("*.partial"))


def test_settings_default_to_the_documented_stack() -> None:
    settings = StackSettings.from_env({})
    assert (settings.port, settings.master_key) == (4000, "")
    assert settings.backend_ports == DEFAULT_BACKEND_PORTS == (8080, 8081, 8082)
    assert settings.metrics_ports == (8101, 8102, 8103)
    assert settings.run_dir.name == ".run" and settings.external_api_bases == {}


def test_settings_move_the_stack_aside() -> None:
    settings = StackSettings.from_env({
        "PORT": "4100", "AGENT_ROUTER_RUN_DIR": "/tmp/x", "AGENT_ROUTER_BACKEND_PORTS": "1, 2,3",
        "AGENT_ROUTER_BACKEND_METRICS_PORTS": "4,5,6", "QWEN_API_BASE": "http://10.0.0.2:8000/v1",
    })
    assert (settings.port, str(settings.run_dir)) == (4100, "/tmp/x")
    assert (settings.backend_ports, settings.metrics_ports) == ((1, 2, 3), (4, 5, 6))
    assert settings.external_api_bases == {"QWEN_API_BASE": "http://10.0.0.2:8000/v1"}


@pytest.mark.parametrize(("env", "message"), [
    ({"PORT": "http"}, "PORT: not a port number: 'http'"),
    ({"PORT": "70000"}, "PORT: port 70000 outside 1-65535"),
    ({"AGENT_ROUTER_BACKEND_PORTS": "8080,8081"}, "AGENT_ROUTER_BACKEND_PORTS: expected 3 comma-separated ports"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StackSettings.from_env(env)
