"""Supervise the local stack's processes (`make run`): a backend that exits is reported and started
again after a back-off, and given up once it keeps failing (scripts/restart_policy.py decides); an
essential process (the proxy) that exits ends supervision with its log's tail.

Each `tick()` looks once at every process; `run()` ticks until asked to stop. The clock, the health
probe and the reporting are injected, so the loop runs in tests without sleeping.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scripts.restart_policy import Backoff, GiveUp, RestartPolicy
from scripts.stack import Managed, answers_200
from scripts.stack_state import Phase, ProcessState, StackState


class StartCancelled(Exception):
    """A stop was requested while the stack was still starting."""


@dataclass(frozen=True)
class ChildSpec:
    name: str
    #: starts a new process; the argument is True for a restart (keep the log, append to it)
    start: Callable[[bool], Managed]
    health_url: str  # answers 200 once the process is ready
    port: int
    essential: bool = False  # its exit stops the stack instead of being restarted


@dataclass(frozen=True)
class StackExit:
    """Why supervision ended: an essential process exited."""

    name: str
    returncode: int | None
    log_path: Path
    log_tail: str

    def render(self) -> str:
        return (f"{self.name} exited ({describe_exit(self.returncode)}); stopping the stack."
                f" Last lines of {self.log_path}:\n{self.log_tail}")


def describe_exit(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"code {returncode}"


class _Child:
    """One supervised slot: the spec, its current process and its restart bookkeeping."""

    def __init__(self, spec: ChildSpec, backoff: Backoff, now: float) -> None:
        self.spec = spec
        self.backoff = backoff
        self.process: Managed | None = None
        self.phase = Phase.STARTING
        self.since = now  # when the current phase began
        self.restart_at = 0.0
        self.restarts = 0
        self.log = ""  # the log of the current or, once none runs, the last process

    def state(self) -> ProcessState:
        pid = self.process.proc.pid if self.process is not None else None
        return ProcessState(self.spec.name, pid, self.spec.port, self.phase, self.restarts, self.log)


class Supervisor:
    def __init__(
        self,
        policy: RestartPolicy,
        report: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[str], bool] = lambda url: answers_200(url, timeout=1.0),
        on_change: Callable[[StackState], None] = lambda state: None,
        ready_timeout: float = 300.0,
    ) -> None:
        self.policy = policy
        self._report = report
        self._clock = clock
        self._probe = probe
        self._on_change = on_change
        self.ready_timeout = ready_timeout  # for restarts; start-up has its own in wait_ready()
        self._children: list[_Child] = []
        self._running = True

    # -- lifecycle -------------------------------------------------------------------------

    def launch(self, spec: ChildSpec) -> Managed:
        child = _Child(spec, Backoff(self.policy, self._clock), self._clock())
        self._children.append(child)
        self._start(child, restart=False)
        return self._current(child)

    def wait_ready(self, timeout: float, stopping: Callable[[], bool], interval: float = 0.25,
                   sleep: Callable[[float], None] = time.sleep) -> None:
        """Start-up: wait until every process is ready; any exit now is fatal, not restarted."""
        started = self._clock()
        while True:
            for child in self._children:
                process = self._current(child)
                if not process.alive:
                    raise RuntimeError(f"{child.spec.name} exited during start-up"
                                       f" ({describe_exit(process.proc.returncode)}):\n{process.log_tail()}")
                if child.phase is Phase.STARTING and self._probe(child.spec.health_url):
                    self._set(child, Phase.READY)
                    self._report(f"{child.spec.name} ready ({child.spec.health_url})")
            if all(c.phase is Phase.READY for c in self._children):
                return
            if stopping():
                raise StartCancelled()
            if self._clock() - started > timeout:
                late = [c.spec.name for c in self._children if c.phase is not Phase.READY]
                raise TimeoutError(f"{', '.join(late)} not ready after {timeout:.0f}s:\n"
                                   + "\n".join(self._current(c).log_tail() for c in self._children
                                               if c.spec.name in late))
            sleep(interval)

    def run(self, stopping: Callable[[], bool], interval: float = 0.5,
            sleep: Callable[[float], None] = time.sleep) -> StackExit | None:
        """Supervise until `stopping()` or an essential process exits (returned)."""
        while not stopping():
            ended = self.tick()
            if ended is not None:
                return ended
            sleep(interval)
        return None

    def stop_all(self) -> None:
        """Stop every current process by its own handle, the last launched (the proxy) first."""
        self._running = False
        current = [c.process for c in reversed(self._children) if c.process is not None]
        for process in current:  # all at once: shutting down one after another took 14 s
            process.terminate()
        for child in reversed(self._children):
            if child.process is not None:
                child.process.stop()
            self._set(child, Phase.STOPPED)

    # -- one look at every process ---------------------------------------------------------

    def tick(self) -> StackExit | None:
        for child in self._children:
            if child.phase in (Phase.STARTING, Phase.READY):
                process = self._current(child)
                if not process.alive:
                    ended = self._exited(child, process)
                    if ended is not None:
                        return ended
                elif child.phase is Phase.STARTING:
                    self._check_restarted(child, process)
            elif child.phase is Phase.RESTARTING and self._clock() >= child.restart_at:
                self._start(child, restart=True)
        return None

    def _exited(self, child: _Child, process: Managed, why: str | None = None) -> StackExit | None:
        returncode = process.proc.returncode
        process.stop()  # the leader is gone; this reaps what it left in its process group
        child.process = None
        why = why or f"exited ({describe_exit(returncode)})"
        if child.spec.essential:
            return StackExit(child.spec.name, returncode, process.log_path, process.log_tail(20))
        decision = child.backoff.exited()
        if isinstance(decision, GiveUp):
            self._set(child, Phase.GAVE_UP)
            self._report(
                f"{child.spec.name} (pid {process.proc.pid}) {why} after {decision.uptime:.1f}s; giving up:"
                f" its last {decision.restarts} restarts each exited within {self.policy.stable_after:.0f}s."
                f" The proxy keeps serving through the other models. Last lines of"
                f" {process.log_path}:\n{process.log_tail(15)}"
            )
            return None
        child.restart_at = decision.at
        self._set(child, Phase.RESTARTING)
        tail = ""
        if returncode is None or returncode > 0:  # a crash says why in its log; a kill does not
            tail = f"\n{process.log_tail(10)}"
        self._report(
            f"{child.spec.name} (pid {process.proc.pid}) {why} after {decision.uptime:.1f}s;"
            f" restarting in {decision.delay:.1f}s (restart {decision.attempt}/{self.policy.max_failures}){tail}"
        )
        return None

    def _check_restarted(self, child: _Child, process: Managed) -> None:
        waited = self._clock() - child.since
        if self._probe(child.spec.health_url):
            self._set(child, Phase.READY)
            self._report(f"{child.spec.name} ready again (pid {process.proc.pid}) {waited:.1f}s after its restart")
        elif waited > self.ready_timeout:
            process.stop()
            self._exited(child, process, why=f"was not ready within {self.ready_timeout:.0f}s and was stopped")

    def _start(self, child: _Child, restart: bool) -> None:
        child.process = child.spec.start(restart)
        child.log = str(child.process.log_path)
        child.backoff.started()
        if restart:
            child.restarts += 1
            self._report(f"{child.spec.name} restarted (pid {child.process.proc.pid}); waiting for"
                         f" {child.spec.health_url}")
        self._set(child, Phase.STARTING)

    # -- state -----------------------------------------------------------------------------

    def process(self, name: str) -> Managed | None:
        """The process currently running under `name`, if any."""
        return next(c.process for c in self._children if c.spec.name == name)

    def _current(self, child: _Child) -> Managed:
        if child.process is None:
            raise RuntimeError(f"{child.spec.name} has no process in phase {child.phase.value}")
        return child.process

    def _set(self, child: _Child, phase: Phase) -> None:
        child.phase = phase
        child.since = self._clock()
        self._on_change(self.state())

    def state(self) -> StackState:
        return StackState(os.getpid(), self._running, tuple(c.state() for c in self._children))
