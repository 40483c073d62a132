"""What `/router/health` says about the metrics exporter, and how workers share it.

With several proxy workers only the elected one serves the exporter; it writes its status to a
small JSON file in the multi-process directory at every change, so whichever worker answers
`/router/health` reports the same exporter (answers do not flap between workers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

#: serving: bound and listening; bind_failed: the bind at start-up failed (logged at WARNING);
#: lost: it was serving and stopped (its server thread ended, its socket was closed, or the
#: elected worker died; logged at WARNING); off: turned off (port 0, `metrics.exporter: false`).
ExporterState = Literal["serving", "bind_failed", "lost", "off"]
STATUS_NAME = "agent_router_exporter.json"


@dataclass(frozen=True)
class ExporterStatus:
    state: ExporterState
    host: str | None = None
    #: The bound port (the one the kernel chose for `AGENT_ROUTER_METRICS_PORT=auto`), else the
    #: configured one.
    port: int | None = None
    #: The process that serves (or last served) the exporter: the elected worker.
    pid: int | None = None

    def as_json(self, answered_by: int) -> dict[str, Any]:
        """The `exporter` object of `/router/health`; `answered_by` is the answering worker."""
        return {**asdict(self), "answered_by": answered_by}


OFF = ExporterStatus("off")


def write_status(directory: Path, status: ExporterStatus) -> None:
    """Replace the shared status atomically (a reader never sees half a file)."""
    partial = directory / f".{STATUS_NAME}.{os.getpid()}"
    partial.write_text(json.dumps(asdict(status)))
    partial.replace(directory / STATUS_NAME)


def read_status(directory: Path, alive: Callable[[int], bool]) -> ExporterStatus:
    """The elected worker's status; `lost` when nobody wrote one or the writer is dead."""
    try:
        raw = json.loads((directory / STATUS_NAME).read_text())
        status = ExporterStatus(raw["state"], raw["host"], raw["port"], raw["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return ExporterStatus("lost")
    if status.state == "serving" and (status.pid is None or not alive(status.pid)):
        # The elected worker died with its exporter; the lock it held is free again and the
        # next worker to check takes it over (MetricsExporter.check).
        return ExporterStatus("lost", status.host, status.port, status.pid)
    return status
