"""The separate Prometheus endpoint (`http://host:8001/metrics` by default) and the background
refresh of windowed gauges.

With several proxy workers (`PROMETHEUS_MULTIPROC_DIR` set) every worker builds the bundle, so the
workers elect one exporter with an exclusive lock file in that directory; it serves the samples
of all workers, summed, read back from the directory. Label values never carry URL credentials
(plugins/metrics/redacting.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

from plugins.metrics.redacting import redacting_registry

logger = logging.getLogger(__name__)

LOCK_NAME = "agent_router_exporter.lock"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


class MetricsExporter:
    """Serves `registry` (or, in multi-process mode, every worker's samples) on its own port."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry | None = None,
        multiproc_dir: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._multiproc_dir = multiproc_dir
        self._lock: IO[str] | None = None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def serving(self) -> bool:
        return self._server is not None

    def start(self) -> bool:
        """Bind and serve; False when another worker serves or the port is taken (logged)."""
        if self._multiproc_dir is not None and not self._elect(Path(self._multiproc_dir)):
            logger.info("agent-router: another worker serves the metrics exporter")
            return False
        try:
            self._server, self._thread = start_http_server(
                self.port, addr=self.host, registry=self._collecting_registry()
            )
        except OSError as exc:
            # Not fatal: the proxy's own /metrics still serves every series.
            logger.warning(
                "agent-router: metrics exporter cannot bind %s:%d (%s); only the proxy's /metrics "
                "serves the agent_router_* series", self.host, self.port, exc,
            )
            self._release()
            return False
        logger.info("agent-router: metrics exporter on http://%s:%d/metrics", self.host, self.port)
        return True

    def stop(self) -> None:
        server = self._server
        if server is not None:
            server.shutdown()
            server.server_close()
            self._server = None
        self._release()

    def _collecting_registry(self) -> CollectorRegistry:
        return redacting_registry(collecting_registry(self._registry, self._multiproc_dir))

    def _elect(self, directory: Path) -> bool:
        """Take the directory's exporter lock; the kernel drops it if this worker dies."""
        handle = open(directory / LOCK_NAME, "a")  # noqa: SIM115  # held for the process lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle
        return True

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the descriptor releases the flock
            self._lock = None


def collecting_registry(registry: CollectorRegistry | None, multiproc_dir: str | None) -> CollectorRegistry:
    """What a scrape should read: `registry` (default: the global one), or every worker's samples."""
    if multiproc_dir is None:
        return registry if registry is not None else REGISTRY
    collecting = CollectorRegistry()
    multiprocess.MultiProcessCollector(collecting, path=multiproc_dir)  # type: ignore[no-untyped-call]  # untyped in 0.26
    return collecting


class Refresher:
    """Calls `refresh` every `interval` s on a daemon thread between `start()` and `stop()`."""

    def __init__(self, refresh: Callable[[], None], interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"refresh interval must be positive, got {interval}")
        self._refresh = refresh
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="agent-router-metrics-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._refresh()
            except Exception:  # a failed refresh must not end the thread for good
                logger.exception("agent-router: metrics refresh failed")


def forget_dead_workers(multiproc_dir: str) -> list[int]:
    """Drop the live-gauge files of workers that no longer run; return their pids.

    uvicorn (unlike gunicorn) never calls `mark_process_dead`, so a restarted worker's last
    `livemin`/`livemax` values would be merged into the gauges forever. Counters stay: their
    counts really happened.
    """
    dead = set()
    for path in Path(multiproc_dir).iterdir():
        match = _LIVE_GAUGE_FILE.match(path.name)
        if match and not _alive(int(match.group(1))):
            dead.add(int(match.group(1)))
    for pid in dead:
        multiprocess.mark_process_dead(pid, multiproc_dir)  # type: ignore[no-untyped-call]
    return sorted(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
