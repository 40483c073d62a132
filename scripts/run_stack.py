"""`make run`: three MAX Serve echo backends on 127.0.0.1:8080-8082, then the LiteLLM proxy with
the bundle on 127.0.0.1:$PORT (4000). Backends whose *_API_BASE is set are not started locally.
Ctrl-C stops everything this script started.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time

from scripts.stack import (
    BACKENDS,
    ROOT,
    Managed,
    compile_max_extensions,
    ensure_echo_model,
    proxy_env,
    start_max_serve,
    start_proxy,
    wait_http,
)

STATE = ROOT / ".run"


def main() -> int:
    t0 = time.monotonic()
    port = int(os.environ.get("PORT", "4000"))
    master_key = os.environ.get("LITELLM_MASTER_KEY") or ""
    if not master_key:
        master_key = "sk-" + secrets.token_urlsafe(24)
        print(f"LITELLM_MASTER_KEY not set; generated one for this run: {master_key}", flush=True)
    started: list[Managed] = []
    api_bases: dict[str, str] = {}
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        model_dir = ensure_echo_model(STATE / "echo-model")
        waits: list[tuple[str, Managed]] = []
        if not all(os.environ.get(var) for var, _, _ in BACKENDS):
            compile_max_extensions()
        for index, (var, served, backend_port) in enumerate(BACKENDS):
            if os.environ.get(var):
                api_bases[var] = os.environ[var]
                print(f"{var}={api_bases[var]} (external, not started)", flush=True)
                continue
            name = var.removesuffix("_API_BASE").lower()
            managed = start_max_serve(
                f"max-{name}", served, backend_port, 8101 + index, model_dir, STATE / "logs"
            )
            started.append(managed)
            waits.append((f"http://127.0.0.1:{backend_port}/health", managed))
            api_bases[var] = f"http://127.0.0.1:{backend_port}/v1"
        for url, managed in waits:
            wait_http(url, managed, timeout=300)
            print(f"{managed.name} ready ({url})", flush=True)
        env = proxy_env(os.environ, master_key, api_bases)
        proxy = start_proxy(ROOT / "litellm_config.yaml", port, env, STATE / "logs")
        started.append(proxy)
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", proxy, timeout=180)
        print(
            f"agent-router proxy ready on http://127.0.0.1:{port} after {time.monotonic() - t0:.1f}s"
            f" (logs in {STATE / 'logs'}); Ctrl-C stops it",
            flush=True,
        )
        while not stopping and all(m.alive for m in started):
            time.sleep(0.5)
        dead = [m.name for m in started if not m.alive]
        if dead and not stopping:
            print(f"stopped because {', '.join(dead)} exited; see {STATE / 'logs'}", file=sys.stderr)
            return 1
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for managed in reversed(started):
            managed.stop()


if __name__ == "__main__":
    sys.exit(main())
