"""The separate Prometheus endpoint (`http://host:8001/metrics` by default), its watchdog, and the
background refresh of windowed gauges.

With several proxy workers (`PROMETHEUS_MULTIPROC_DIR` set) every worker builds the bundle, so the
workers elect one exporter with an exclusive lock file in that directory; it serves the samples
of all workers, summed, read back from the directory, and publishes its status there for
`/router/health` (plugins/metrics/exporter_status.py). Label values never carry URL credentials
(plugins/metrics/redacting.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

from plugins.metrics.exporter_status import ExporterStatus, read_status, write_status
from plugins.metrics.redacting import redacting_registry

logger = logging.getLogger(__name__)

LOCK_NAME = "agent_router_exporter.lock"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")

#: Binds `(host, port, registry)` and serves it on a thread; raises OSError when it cannot bind.
Bind = Callable[[str, int, CollectorRegistry], tuple[WSGIServer, threading.Thread]]
_Own = Literal["idle", "serving", "bind_failed", "lost", "unelected"]


def bind_http(host: str, port: int, registry: CollectorRegistry) -> tuple[WSGIServer, threading.Thread]:
    return start_http_server(port, addr=host, registry=registry)


class MetricsExporter:
    """Serves `registry` (or, in multi-process mode, every worker's samples) on its own port.

    `port` 0 binds a port the kernel chooses (`AGENT_ROUTER_METRICS_PORT=auto`); `self.port` is
    the bound one once serving. `check()` (the bundle's watchdog calls it every few seconds) finds
    an exporter that was lost while the process lives and binds it again on the same port; a
    failed bind is tried again the same way. Until then `status()` says `lost` or `bind_failed`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry | None = None,
        multiproc_dir: str | None = None,
        bind: Bind = bind_http,
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._multiproc_dir = multiproc_dir
        self._bind = bind
        self._lock: IO[str] | None = None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._state: _Own = "idle"
        self._mutex = threading.Lock()  # start/stop (proxy start-up) vs check (watchdog thread)

    @property
    def serving(self) -> bool:
        return self._server is not None

    def start(self) -> bool:
        """Bind and serve; False when another worker serves or the port is taken (logged)."""
        with self._mutex:
            if self._multiproc_dir is not None and not self._elect(Path(self._multiproc_dir)):
                logger.info("agent-router: another worker serves the metrics exporter")
                self._state = "unelected"
                return False
            return self._serve(on_failure="bind_failed")

    def check(self) -> ExporterStatus:
        """Find a lost exporter (WARNING) and bind it again; retry a failed bind; take over from a
        dead elected worker. Returns the status `/router/health` shows."""
        with self._mutex:
            if self._state == "serving" and (reason := self._lost_reason()) is not None:
                logger.warning(
                    "agent-router: metrics exporter on http://%s:%d/metrics was lost (%s); binding it "
                    "again on the same port", self.host, self.port, reason,
                )
                self._close_server()
                self._state = "lost"
                self._publish()
            if self._state in ("lost", "bind_failed"):
                self._serve(on_failure=self._state, again=True)
            elif (self._state == "unelected" and self._multiproc_dir is not None
                  and self._elect(Path(self._multiproc_dir))):
                logger.warning("agent-router: the worker serving the metrics exporter is gone; "
                               "worker %d takes it over", os.getpid())
                self._serve(on_failure="bind_failed")
        return self.status()

    def status(self) -> ExporterStatus:
        if self._state == "unelected" and self._multiproc_dir is not None:
            return read_status(Path(self._multiproc_dir), _alive)
        return self._own_status()

    def stop(self) -> None:
        with self._mutex:
            self._close_server()
            self._state = "idle"
            self._release()

    def _serve(self, on_failure: Literal["bind_failed", "lost"], again: bool = False) -> bool:
        try:
            self._server, self._thread = self._bind(self.host, self.port, self._collecting_registry())
        except OSError as exc:
            self._state = on_failure
            if again:  # already said at WARNING when it was lost or first failed
                logger.debug("agent-router: metrics exporter still cannot bind %s:%d (%s)",
                             self.host, self.port, exc)
            else:
                # Not fatal: the proxy's own /metrics still serves every series.
                logger.warning(
                    "agent-router: metrics exporter cannot bind %s:%d (%s); only the proxy's /metrics "
                    "serves the agent_router_* series until it can", self.host, self.port, exc,
                )
            self._publish()
            return False
        self.port = int(self._server.server_address[1])  # the kernel's choice for port 0
        self._state = "serving"
        logger.info("agent-router: metrics exporter %son http://%s:%d/metrics (pid %d)",
                    "bound again " if again else "", self.host, self.port, os.getpid())
        self._publish()
        return True

    def _lost_reason(self) -> str | None:
        """Why a started exporter no longer serves, or None. Reads its own socket, so a busy
        scrape thread on a loaded host is never mistaken for a lost one."""
        if self._server is None:
            return "its server is gone"
        if self._thread is not None and not self._thread.is_alive():
            return "its server thread ended"
        sock = self._server.socket
        if sock.fileno() < 0:
            return "its socket was closed"
        try:
            listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            port = sock.getsockname()[1]
        except OSError as exc:  # the descriptor was closed under it (EBADF) or reused (ENOTSOCK)
            return f"its socket is gone: {exc.strerror or exc}"
        if not listening or port != self.port:
            return "its descriptor now holds another socket"
        return None

    def _close_server(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        if thread is not None and thread.is_alive():
            server.shutdown()  # serve_forever returns within its 0.5 s poll
        with contextlib.suppress(OSError):  # its descriptor may have been closed under it
            server.server_close()

    def _own_status(self) -> ExporterStatus:
        state = self._state
        if state == "idle" or state == "unelected":
            return ExporterStatus("off", self.host, self.port, None)
        return ExporterStatus(state, self.host, self.port, os.getpid())

    def _publish(self) -> None:
        if self._multiproc_dir is not None and self._lock is not None:
            try:
                write_status(Path(self._multiproc_dir), self._own_status())
            except OSError as exc:  # the other workers then report it `lost`
                logger.warning("agent-router: cannot publish the exporter's status (%s)", exc)

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
        handle.truncate(0)
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

    def __init__(self, refresh: Callable[[], object], interval: float,
                 name: str = "agent-router-metrics-refresh") -> None:
        if interval <= 0:
            raise ValueError(f"refresh interval must be positive, got {interval}")
        self._refresh = refresh
        self._interval = interval
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
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
                logger.exception("agent-router: %s failed", self._name)


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
