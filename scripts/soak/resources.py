"""The proxy's resident memory and open file descriptors, read from /proc (Linux only)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scripts.bench.proc import descendants

_PROC = Path("/proc")


@dataclass(frozen=True)
class Resources:
    rss_mb: float
    fds: int


def resources(root: int) -> Resources:
    """Summed over the process tree (one proxy worker is one process; N workers are N + 1).

    Raises ProcessLookupError when `root` is gone: reading nothing must not pass for "alive" (a
    proxy that died of SIGSEGV mid-soak once read as 0 descriptors, and the soak failed later with
    a puzzling "connection refused" on its exporter; issue 22)."""
    if not (_PROC / str(root)).exists():
        raise ProcessLookupError(f"process {root} is gone (crashed or killed; see its log and dmesg)")
    rss_kb, fds = 0, 0
    for pid in descendants(root):
        try:
            for line in (_PROC / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kb += int(line.split()[1])
            fds += len(os.listdir(_PROC / str(pid) / "fd"))
        except OSError:
            continue
    return Resources(round(rss_kb / 1024.0, 1), fds)
