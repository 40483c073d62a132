"""Test-session processes: real MAX Serve echo backends behind fault proxies, and real proxies."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.bench.proc import descendants
from scripts.fault_proxy import FaultProxy
from scripts.ports import PortPool, session_pool
from scripts.stack import (
    BACKENDS,
    LITELLM_BIN,
    ROOT,
    Managed,
    compile_max_extensions,
    free_port,
    proxy_env,
    start_max_serve,
    start_proxy,
    wait_http,
)

# model group in litellm_config.yaml -> index in scripts.stack.BACKENDS
GROUPS = {"llama": 0, "qwen-coder": 1, "deepseek-r1": 2}
CONFIG = ROOT / "litellm_config.yaml"


@dataclass
class Backend:
    group: str
    served_model: str
    port: int
    metrics_port: int
    model_dir: Path
    log_dir: Path
    fault: FaultProxy
    process: Managed | None = None

    def start(self) -> None:
        self.process = start_max_serve(
            f"max-{self.group}", self.served_model, self.port, self.metrics_port,
            self.model_dir, self.log_dir,
        )

    def wait(self, timeout: float = 240) -> None:
        assert self.process is not None
        wait_http(f"http://127.0.0.1:{self.port}/health", self.process, timeout)

    def kill(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=5)

    def ensure_running(self) -> None:
        if self.process is None or not self.process.alive:
            self.start()
            self.wait()


def start_backends(model_dir: Path, log_dir: Path, pool: PortPool | None = None) -> dict[str, Backend]:
    """Three MAX Serve backends; their ports come from `pool` (default: outside the ephemeral range,
    scripts/ports.py), so that no proxy, fault proxy or exporter started while a backend is killed
    can be handed the ports it comes back on."""
    pool = pool or session_pool()
    take = pool.take if pool is not None else free_port
    backends: dict[str, Backend] = {}
    for group, index in GROUPS.items():
        _, served, _ = BACKENDS[index]
        port = take()
        backends[group] = Backend(
            group, served, port, take(), model_dir, log_dir, FaultProxy(port)
        )
    compile_max_extensions()
    for backend in backends.values():
        backend.start()
    for backend in backends.values():
        backend.wait()
    return backends


def api_bases(backends: Mapping[str, Backend]) -> dict[str, str]:
    return {BACKENDS[GROUPS[g]][0]: b.fault.api_base for g, b in backends.items()}


@dataclass
class Proxy:
    """A running `litellm` proxy process and an HTTP client bound to it."""

    port: int
    master_key: str
    process: Managed
    metrics_port: int = 0  # the bundle's separate exporter (AGENT_ROUTER_METRICS_PORT)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.base_url, timeout=60,
            headers={"Authorization": f"Bearer {self.master_key}"},
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def chat(self, content: Any, model: str = "agent-router", **extra: Any) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": content}], "max_tokens": 8}
        body.update(extra)
        return self.client.post("/v1/chat/completions", json=body)

    def stop(self) -> None:
        self.client.close()
        self.process.stop()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch_proxy(
    backends: Mapping[str, Backend],
    log_dir: Path,
    config: Path = CONFIG,
    name: str = "litellm",
    extra_env: Mapping[str, str] | None = None,
    workers: int = 1,
    timeout: float = 180,
    master_key: str | None = None,
    extra_args: Sequence[str] = (),
    litellm_bin: str = LITELLM_BIN,
) -> Proxy:
    """A ready proxy on a free port; `with launch_proxy(...) as proxy:` stops it on the way out.

    The bundle's exporter binds a port of the kernel's choosing (`AGENT_ROUTER_METRICS_PORT=auto`)
    and the port is read back from `/router/health`: no port is chosen here for it, so none can be
    lost to another process. The `litellm` CLI needs its port named: a port found free can be taken
    by another process before the proxy binds it ("[Errno 98] ... address already in use", seen in a
    clean-clone run), so such a start is tried again on a new port, at most twice more. Every
    responder is checked, not just a 200: the proxy must accept this run's random key and answer
    from its own process tree, the exporter must serve `agent_router_*` series (MAX Serve, for one,
    serves a `/metrics` too). Any other start-up failure is raised at once.
    """
    key = master_key or "sk-test-" + secrets.token_hex(12)
    for attempt in range(3):
        port = free_port()
        env = proxy_env(os.environ, key, api_bases(backends))
        # Never the configured 8001: parallel proxies (and MAX Serve's default) would collide there.
        env["AGENT_ROUTER_METRICS_PORT"] = "auto"
        env["AGENT_ROUTER_METRICS_HOST"] = "127.0.0.1"
        # A crash (SIGSEGV) leaves every thread's Python stack in the proxy's log (issue 22: a proxy
        # died mid-soak with a segfault in libpython and left no line at all).
        env["PYTHONFAULTHANDLER"] = "1"
        env.update(extra_env or {})
        process = start_proxy(config, port, env, log_dir, name=name, workers=workers, extra_args=extra_args,
                              litellm_bin=litellm_bin)
        try:
            wait_http(f"http://127.0.0.1:{port}/health/liveliness", process, timeout)
        except BaseException:
            process.stop()
            log = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
            if attempt < 2 and "address already in use" in log:
                continue
            raise
        proxy = Proxy(port, key, process)
        try:
            proxy.metrics_port = checked_exporter(proxy)
        except BaseException:
            proxy.stop()
            raise
        return proxy
    raise AssertionError("unreachable: the last attempt returns or raises")


def checked_exporter(proxy: Proxy) -> int:
    """The exporter's bound port (0 when it is off), after checking who answers on both ports."""
    resp = proxy.client.get("/router/health")
    # Only the proxy this run started knows its random key: a 401 means another server answers.
    if resp.status_code not in (200, 503) or "exporter" not in resp.json():
        raise AssertionError(f"{proxy.base_url} is not this run's proxy: {resp.status_code} {resp.text[:200]}")
    exporter = resp.json()["exporter"]
    tree = set(descendants(proxy.process.proc.pid))
    if exporter["answered_by"] not in tree:
        raise AssertionError(f"{proxy.base_url} answered from pid {exporter['answered_by']}, not from {tree}")
    if exporter["state"] == "off":
        return 0
    if exporter["state"] != "serving" or exporter["pid"] not in tree:
        raise AssertionError(f"the proxy's metrics exporter does not serve: {exporter}")
    body = httpx.get(f"http://127.0.0.1:{exporter['port']}/metrics", timeout=10).text
    if "agent_router_" not in body:
        raise AssertionError(f"port {exporter['port']} does not answer with agent_router_* series")
    return int(exporter["port"])
