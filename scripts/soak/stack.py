"""The soak's own stack: three MAX Serve echo backends behind fault proxies, and the proxy.

Built from scripts/stack.py (what `make run` and the tests use) on free 127.0.0.1 ports, so a
soak can run beside `make run`; everything it starts is stopped by its handle in `stop()`. The
backends' ports come from outside the kernel's ephemeral range (scripts/ports.py: the killed
backend comes back on the ports it had), the exporter binds a port of the kernel's choice
(`AGENT_ROUTER_METRICS_PORT=auto`) read back from `/router/health`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from scripts.fault_proxy import FaultProxy
from scripts.ports import session_pool
from scripts.stack import (
    BACKENDS,
    ROOT,
    Managed,
    compile_max_extensions,
    ensure_echo_model,
    exporter_url,
    free_port,
    proxy_env,
    start_max_serve,
    start_proxy,
    wait_http,
)

GROUPS = {"llama": 0, "qwen-coder": 1, "deepseek-r1": 2}  # model group -> index in BACKENDS


@dataclass
class LocalBackend:
    group: str
    served_model: str
    port: int
    model_dir: Path
    log_dir: Path
    fault: FaultProxy
    metrics_port: int
    process: Managed | None = None

    def start(self) -> None:
        self.process = start_max_serve(f"max-{self.group}", self.served_model, self.port,
                                       self.metrics_port, self.model_dir, self.log_dir)

    def wait(self, timeout: float = 240) -> None:
        assert self.process is not None
        wait_http(f"http://127.0.0.1:{self.port}/health", self.process, timeout)


@dataclass
class Stack:
    backends: dict[str, LocalBackend]
    proxy: Managed
    base_url: str
    key: str
    metrics_url: str

    def stop(self) -> None:
        self.proxy.stop()
        for backend in self.backends.values():
            if backend.process is not None:
                backend.process.stop()
            backend.fault.stop()


def start_stack(log_dir: Path) -> Stack:
    model_dir = ensure_echo_model(ROOT / ".run" / "echo-model")
    pool = session_pool()
    take = pool.take if pool is not None else free_port
    backends: dict[str, LocalBackend] = {}
    for group, index in GROUPS.items():
        port = take()
        backends[group] = LocalBackend(group, BACKENDS[index][1], port, model_dir, log_dir,
                                       FaultProxy(port), take())
    proxy: Managed | None = None
    try:
        compile_max_extensions()
        for backend in backends.values():
            backend.start()
        for backend in backends.values():
            backend.wait()
        key = "sk-soak-" + secrets.token_hex(12)
        bases = {BACKENDS[GROUPS[g]][0]: b.fault.api_base for g, b in backends.items()}
        env = proxy_env(os.environ, key, bases)
        port = free_port()
        # PYTHONFAULTHANDLER: a crash leaves the threads' Python stacks in the log (issue 22).
        env.update(AGENT_ROUTER_METRICS_PORT="auto", AGENT_ROUTER_METRICS_HOST="127.0.0.1",
                   PYTHONFAULTHANDLER="1")
        proxy = start_proxy(ROOT / "litellm_config.yaml", port, env, log_dir, name="litellm-soak")
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", proxy, 180)
        base_url = f"http://127.0.0.1:{port}"
        return Stack(backends, proxy, base_url, key, exporter_url(base_url, key))
    except BaseException:
        if proxy is not None:
            proxy.stop()
        for backend in backends.values():
            if backend.process is not None:
                backend.process.stop()
            backend.fault.stop()
        raise
