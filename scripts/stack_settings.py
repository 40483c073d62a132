"""What `make run` reads from its environment, parsed once into a frozen record.

The defaults are the documented local stack (proxy on 4000, backends on 8080-8082, their metrics on
8101-8103, state in `.run/`); the AGENT_ROUTER_* variables move it aside, e.g. for a test run next
to a developer's own `make run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.stack import BACKENDS, ROOT

DEFAULT_BACKEND_PORTS = tuple(port for _, _, port in BACKENDS)
DEFAULT_METRICS_PORTS = (8101, 8102, 8103)


@dataclass(frozen=True)
class StackSettings:
    port: int
    master_key: str  # empty: generate one for this run
    run_dir: Path  # logs, the echo model and stack.json
    backend_ports: tuple[int, ...]  # in BACKENDS order
    metrics_ports: tuple[int, ...]
    external_api_bases: Mapping[str, str]  # *_API_BASE set by the operator: not started locally

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackSettings:
        return cls(
            port=_port("PORT", env.get("PORT", "4000")),
            master_key=env.get("LITELLM_MASTER_KEY", ""),
            run_dir=Path(env.get("AGENT_ROUTER_RUN_DIR") or ROOT / ".run"),
            backend_ports=_ports("AGENT_ROUTER_BACKEND_PORTS", env, DEFAULT_BACKEND_PORTS),
            metrics_ports=_ports("AGENT_ROUTER_BACKEND_METRICS_PORTS", env, DEFAULT_METRICS_PORTS),
            external_api_bases={var: env[var] for var, _, _ in BACKENDS if env.get(var)},
        )


def _port(name: str, text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"{name}: not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{name}: port {port} outside 1-65535")
    return port


def _ports(name: str, env: Mapping[str, str], default: tuple[int, ...]) -> tuple[int, ...]:
    text = env.get(name)
    if not text:
        return default
    ports = tuple(_port(name, part.strip()) for part in text.split(","))
    if len(ports) != len(BACKENDS):
        raise ValueError(f"{name}: expected {len(BACKENDS)} comma-separated ports"
                         f" (llama, qwen, deepseek), got {text!r}")
    return ports
