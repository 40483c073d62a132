"""A process tree's own resource accounting, read from /proc (Linux only).

CPU is utime + stime of the process and of every live descendant, plus cutime + cstime (children
it has already waited for), in clock ticks converted to seconds. Peak RSS is the sum of VmHWM.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    return raw[raw.rindex(")") + 2:].split()


def descendants(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """CPU time used so far by `root`'s tree (see the module docstring)."""
    total = 0
    for pid in descendants(root):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
    return total / _TICKS


def peak_rss_mb(root: int) -> float:
    """Sum of the tree's peak resident set sizes (VmHWM), in MiB."""
    total_kb = 0
    for pid in descendants(root):
        try:
            for line in (_PROC / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024.0


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        for line in (_PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return {"cpu_count": os.cpu_count(), "cpu_model": model,
            "loadavg_at_start": [round(x, 2) for x in load]}
