"""Ports for processes that are restarted on the port they had (MAX Serve backends in the tests and
`make soak`), taken outside the kernel's ephemeral range.

A port found free with `bind(port 0)` comes from the ephemeral range
(`/proc/sys/net/ipv4/ip_local_port_range`), the same range every other `bind(0)` and every outgoing
connection draws from. While a killed backend is down, its ports are free in that range: a proxy
started meanwhile could be handed its metrics port, and the restarted MAX Serve (26.7) then runs
without metrics (its metrics server's failed bind ends a thread, silently) or, for its API port,
exits. Ports outside the range are never handed out by the kernel; a `PortPool` never hands out a
port it still owns, so a backend keeps its ports across kills and restarts.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
from pathlib import Path

LOCAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Well below the usual services' ports is crowded (8000, 8080, 5432, 6379, 9090...): take the gap
# above the ephemeral range when it is wide enough, else the one below it down to this floor.
FLOOR = 20000
MIN_POOL = 1000


def local_port_range(path: Path = LOCAL_RANGE) -> tuple[int, int]:
    """The kernel's ephemeral range (Linux default 32768-60999)."""
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def reserved_range(ephemeral: tuple[int, int]) -> range:
    """Ports the kernel never hands to `bind(0)` or `connect()`; empty when there is no such gap."""
    low, high = ephemeral
    if 65535 - high >= MIN_POOL:
        return range(high + 1, 65536)
    if low - FLOOR >= MIN_POOL:
        return range(FLOOR, low)
    return range(0)


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PortPool:
    """Hands out ports from `ports` that bind now and that it has not handed out already."""

    def __init__(self, ports: range, rng: random.Random | None = None,
                 probe: Callable[[int], bool] = bindable) -> None:
        if not ports:
            raise ValueError("PortPool needs a non-empty range of ports (see reserved_range)")
        self._ports = ports
        self._rng = rng or random.Random()
        self._probe = probe
        self._owned: set[int] = set()

    @property
    def owned(self) -> frozenset[int]:
        return frozenset(self._owned)

    def take(self) -> int:
        # A random start: two test sessions on one host rarely probe the same ports first.
        start = self._rng.randrange(len(self._ports))
        for offset in range(len(self._ports)):
            port = self._ports[(start + offset) % len(self._ports)]
            if port not in self._owned and self._probe(port):
                self._owned.add(port)
                return port
        raise RuntimeError(f"no free port left in {self._ports.start}-{self._ports.stop - 1}")

    def give_back(self, port: int) -> None:
        self._owned.discard(port)


def session_pool(share: int = 0, shares: int = 1) -> PortPool | None:
    """A pool outside this host's ephemeral range, or None when the range leaves no gap.

    Sessions that run side by side (the test workers of `pytest -n 2`) each take their own `share`
    of `shares` (every `shares`-th port), so no two of them ever hand out the same port."""
    ports = reserved_range(local_port_range())[share::shares]
    return PortPool(ports) if ports else None
