"""The supervised stack's state as a file (`<run dir>/stack.json`): which process has which pid,
port and phase, for operators and tests to read instead of parsing the console.

Written whole and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Phase(StrEnum):
    STARTING = "starting"  # started, its health URL not answering yet
    READY = "ready"
    RESTARTING = "restarting"  # exited; a restart is scheduled after the back-off
    GAVE_UP = "gave_up"  # kept failing: not restarted any more
    STOPPED = "stopped"  # the stack is shutting down or has shut down


@dataclass(frozen=True)
class ProcessState:
    name: str
    pid: int | None  # the current process (its own process group); None while none runs
    port: int
    phase: Phase
    restarts: int  # restarts done since the stack started
    log: str


@dataclass(frozen=True)
class StackState:
    pid: int  # the supervisor's own process
    running: bool
    processes: tuple[ProcessState, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "running": self.running,
            "processes": {p.name: {**asdict(p), "phase": p.phase.value} for p in self.processes},
        }


def write_state(path: Path, state: StackState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
