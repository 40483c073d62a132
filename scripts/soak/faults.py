"""The soak's faults: one backend SIGKILLed and restarted, another answering 500 for a while.

The schedule scales with the load's duration, so the 30 s CI run and the 5 min run see the same
story: a kill early on, the restart after `down_seconds`, the 500 window in between kills, a
second kill later (when `restarts` is 2). Every onset and end is recorded as an event: requests
sent within the grace period after one are allowed to fail, later ones are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from scripts.fault_proxy import FaultProxy
from scripts.stack import Managed


class Backend(Protocol):
    """A MAX Serve process behind its fault proxy (tests.support.cluster.Backend is one)."""

    group: str
    fault: FaultProxy
    process: Managed | None

    def start(self) -> None: ...

    def wait(self, timeout: float = 240) -> None: ...


@dataclass(frozen=True)
class FaultPlan:
    killed: str = "qwen-coder"
    failing: str = "deepseek-r1"
    restarts: int = 2
    #: From the SIGKILL to the restart (the model is gone meanwhile).
    down_seconds: float = 10.0
    #: When (from the start of the load) each kill happens.
    kill_at: tuple[float, ...] = ()
    error_at: float = 0.0
    error_seconds: float = 0.0

    @classmethod
    def for_duration(cls, seconds: float, restarts: int = 2) -> FaultPlan:
        # Kills at 10 % and (second) 50 %; the 500 window in between, 15 % of the run.
        kill_at = tuple(seconds * f for f in (0.1, 0.5)[:restarts])
        return cls(restarts=restarts, down_seconds=min(10.0, max(2.0, seconds * 0.05)),
                   kill_at=kill_at, error_at=seconds * 0.3, error_seconds=max(4.0, seconds * 0.15))


@dataclass(frozen=True)
class FaultEvent:
    kind: str  # "sigkill", "restart", "ready", "error500-start", "error500-end"
    group: str
    at: float


def sigkill(process: Managed) -> None:
    """SIGKILL the whole process group (MAX Serve's model worker included), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.proc.pid, signal.SIGKILL)
    process.proc.wait(timeout=30)


async def run_faults(backends: Mapping[str, Backend], plan: FaultPlan, t0: float,
                     events: list[FaultEvent]) -> None:
    """Carry out `plan` (times from `t0`, monotonic), appending to `events` as it goes."""

    def note(kind: str, group: str) -> None:
        events.append(FaultEvent(kind, group, round(time.monotonic() - t0, 3)))

    async def until(offset: float) -> None:
        await asyncio.sleep(max(0.0, t0 + offset - time.monotonic()))

    async def kills() -> None:
        backend = backends[plan.killed]
        for at in plan.kill_at:
            await until(at)
            if backend.process is not None:
                await asyncio.to_thread(sigkill, backend.process)
            note("sigkill", plan.killed)
            await asyncio.sleep(plan.down_seconds)
            backend.start()
            note("restart", plan.killed)
            await asyncio.to_thread(backend.wait)
            note("ready", plan.killed)

    async def errors() -> None:
        if plan.error_seconds <= 0:
            return
        backend = backends[plan.failing]
        await until(plan.error_at)
        backend.fault.mode = "error500"
        note("error500-start", plan.failing)
        try:
            await asyncio.sleep(plan.error_seconds)
        finally:
            backend.fault.mode = "pass"
            note("error500-end", plan.failing)

    await asyncio.gather(kills(), errors())
