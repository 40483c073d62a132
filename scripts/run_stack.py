"""`make run`: three MAX Serve echo backends on 127.0.0.1:8080-8082, then the LiteLLM proxy with
the bundle on 127.0.0.1:$PORT (4000), supervised: a backend that exits is restarted with back-off
while the proxy serves through its fallbacks; the proxy's own exit stops the stack. Backends whose
*_API_BASE is set are not started locally. Ctrl-C stops everything this script started.
Settings: scripts/stack_settings.py; pids and phases: `<run dir>/stack.json`.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from scripts.restart_policy import RestartPolicy
from scripts.stack import (
    BACKENDS,
    ROOT,
    Managed,
    compile_max_extensions,
    ensure_echo_model,
    proxy_env,
    start_max_serve,
    start_proxy,
)
from scripts.stack_settings import StackSettings
from scripts.stack_state import write_state
from scripts.supervisor import ChildSpec, StartCancelled, Supervisor

# Restarts after 1, 2, 4, 8, 16 s; a backend dying again within a minute of each start is given up
# after the fifth restart, about 31 s of waiting plus five start-ups (~15-25 s each on 2 cores).
POLICY = RestartPolicy(initial_delay=1.0, factor=2.0, max_delay=30.0, max_failures=5, stable_after=60.0)


def say(message: str, err: bool = False) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr if err else sys.stdout, flush=True)


def backend_spec(settings: StackSettings, index: int, model_dir: Path) -> ChildSpec:
    var, served, _ = BACKENDS[index]
    name = "max-" + var.removesuffix("_API_BASE").lower()
    port, metrics_port = settings.backend_ports[index], settings.metrics_ports[index]
    log_dir = settings.run_dir / "logs"

    def start(restart: bool) -> Managed:
        return start_max_serve(name, served, port, metrics_port, model_dir, log_dir, append_log=restart)

    return ChildSpec(name, start, f"http://127.0.0.1:{port}/health", port)


def main(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    t0 = time.monotonic()
    try:
        settings = StackSettings.from_env(env)
    except ValueError as exc:
        say(f"bad setting: {exc}", err=True)
        return 2
    master_key = settings.master_key
    if not master_key:
        master_key = "sk-" + secrets.token_urlsafe(24)
        say(f"LITELLM_MASTER_KEY not set; generated one for this run: {master_key}")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True  # the loops notice within a tick; nothing is interrupted halfway

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    state_file = settings.run_dir / "stack.json"
    supervisor = Supervisor(POLICY, report=say, on_change=lambda state: write_state(state_file, state))
    try:
        model_dir = ensure_echo_model(settings.run_dir / "echo-model")
        api_bases = dict(settings.external_api_bases)
        for var, base in api_bases.items():
            say(f"{var}={base} (external, not started)")
        local = [index for index, (var, _, _) in enumerate(BACKENDS) if var not in api_bases]
        if local:
            compile_max_extensions()  # once, before several MAX processes import it (see stack.py)
        if stopping:
            raise StartCancelled()
        for index in local:
            spec = backend_spec(settings, index, model_dir)
            supervisor.launch(spec)
            api_bases[BACKENDS[index][0]] = f"http://127.0.0.1:{spec.port}/v1"
        supervisor.wait_ready(300, lambda: stopping)
        penv = proxy_env(env, master_key, api_bases)
        logs = settings.run_dir / "logs"
        supervisor.launch(ChildSpec(
            "litellm", lambda restart: start_proxy(ROOT / "litellm_config.yaml", settings.port, penv, logs),
            f"http://127.0.0.1:{settings.port}/health/liveliness", settings.port, essential=True,
        ))
        supervisor.wait_ready(180, lambda: stopping)
        say(f"agent-router proxy ready on http://127.0.0.1:{settings.port} after {time.monotonic() - t0:.1f}s"
            f" (logs in {logs}, state in {state_file}); Ctrl-C stops it")
        ended = supervisor.run(lambda: stopping)
        if ended is not None:
            say(ended.render(), err=True)
            return 1
        return 0
    except StartCancelled:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        say(f"start-up failed: {exc}", err=True)
        return 1
    finally:
        if stopping:
            say("stopping every process of the stack")
        supervisor.stop_all()
        say("stack stopped")


if __name__ == "__main__":
    sys.exit(main())
