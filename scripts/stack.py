"""Start and stop the local stack's processes: MAX Serve (echo mode) backends and the LiteLLM proxy.

Shared by `make run` (scripts/run_stack.py), the benchmarks and the integration tests, so that
what the tests exercise is what an operator runs. Every process gets its own session, so stopping
it by its own handle also stops the children it forked (MAX Serve's model worker).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_MAX_BIN = ROOT / ".venv-max" / "bin" / "max"
# The `litellm` CLI of the environment this code runs in.
LITELLM_BIN = str(Path(sys.executable).parent / "litellm")

# The three deployments of litellm_config.yaml: env var, served model name, local port.
BACKENDS: tuple[tuple[str, str, int], ...] = (
    ("LLAMA_API_BASE", "meta-llama/Llama-3.1-8B-Instruct", 8080),
    ("QWEN_API_BASE", "Qwen/Qwen2.5-Coder-7B-Instruct", 8081),
    ("DEEPSEEK_API_BASE", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 8082),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Managed:
    """A process we started, with its log; `stop()` ends it and its children."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def terminate(self) -> None:
        """Ask the process and its group to exit (SIGTERM) without waiting; `stop()` waits."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is not None:
            # The leader is gone but its group may not be: SIGKILLed, MAX Serve leaves its model
            # worker and resource tracker behind (seen with 26.7), each holding ~0.5 GB.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # The group may outlive its leader (a forked worker): make sure it is gone too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def spawn(name: str, argv: list[str], env: Mapping[str, str], log_dir: Path, append: bool = False) -> Managed:
    """Start `argv` in its own session, output to `<log_dir>/<name>.log` (kept on `append`: restarts)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab" if append else "wb") as log:
        proc = subprocess.Popen(
            argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    return Managed(name, proc, log_path)


def answers_200(url: str, timeout: float = 2.0) -> bool:
    """One GET: does `url` answer 200 within `timeout` seconds?"""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def wait_http(url: str, managed: Managed, timeout: float) -> float:
    """Poll `url` until it answers 200; return the seconds waited. Raise if the process dies."""
    start = time.monotonic()
    while True:
        if not managed.alive:
            raise RuntimeError(f"{managed.name} exited during start-up:\n{managed.log_tail()}")
        if answers_200(url):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{managed.name} not ready at {url} after {timeout:.0f}s:\n{managed.log_tail()}")
        time.sleep(0.25)


def exporter_url(base_url: str, key: str) -> str:
    """The serving exporter's /metrics, as the proxy's /router/health reports it (this run's key:
    only this run's proxy answers it)."""
    request = urllib.request.Request(base_url + "/router/health", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # 503: no model healthy yet; the body is the same
        body = json.loads(exc.read())
    exporter = body["exporter"]
    if exporter["state"] != "serving":
        raise RuntimeError(f"the proxy's metrics exporter does not serve: {exporter}")
    return f"http://127.0.0.1:{exporter['port']}/metrics"


def ensure_echo_model(model_dir: Path) -> Path:
    """The tiny model directory echo mode needs (config, tokenizer, one small weight file)."""
    if not (model_dir / "model.safetensors").exists():
        from scripts.make_echo_model import write_model

        write_model(model_dir)
    return model_dir


# MAX compiles its Mojo extension modules (in 26.7: `max._kv_cache_ops`) on first import into an
# in-tree `__mojocache__`, without a lock or an atomic rename: MAX processes started together on a
# fresh environment race, and one can load another's half-written `.so` ("file too short"). Importing
# them once, alone, before starting several processes leaves a complete cache for all of them.
_COMPILE_MOJO_MODULES = """
import importlib, pathlib, max
root = pathlib.Path(next(iter(max.__path__)))  # a namespace package: no __file__
for package in sorted({source.parent for source in root.rglob("*.mojo")}):
    if (package / "__init__.py").exists():
        importlib.import_module(".".join(("max", *package.relative_to(root).parts)))
"""


def compile_max_extensions(max_bin: Path = VENV_MAX_BIN, timeout: float = 600) -> None:
    """Build MAX's Mojo extension cache once, before several MAX Serve processes start at once.

    Sessions that start together (the two test workers) take turns on a lock file in the MAX
    environment: the second finds the cache complete instead of loading a half-written one."""
    python = max_bin.parent / "python"
    with (max_bin.parent.parent / ".mojo-compile.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = subprocess.run(
            [str(python), "-c", _COMPILE_MOJO_MODULES], capture_output=True, text=True, timeout=timeout
        )
    if done.returncode != 0:
        raise RuntimeError(f"compiling MAX's Mojo extensions failed:\n{done.stderr[-4000:]}")


def start_max_serve(
    name: str,
    served_model: str,
    port: int,
    metrics_port: int,
    model_dir: Path,
    log_dir: Path,
    max_bin: Path = VENV_MAX_BIN,
    base_env: Mapping[str, str] | None = None,
    append_log: bool = False,
) -> Managed:
    env = dict(os.environ if base_env is None else base_env)
    env.update(
        MAX_SERVE_DUMMY_MODEL="1",  # echo token generator: the real HTTP stack, no weights
        HF_HUB_OFFLINE="1",
        OTEL_SDK_DISABLED="true",  # no vendor telemetry; metrics stay on
        MAX_SERVE_METRICS_ENDPOINT_PORT=str(metrics_port),
    )
    argv = [
        str(max_bin), "serve", "--model-path", str(model_dir), "--served-model-name", served_model,
        "--host", "127.0.0.1", "--port", str(port), "--devices", "cpu",
    ]
    return spawn(name, argv, env, log_dir, append=append_log)


def start_proxy(
    config: Path,
    port: int,
    env: Mapping[str, str],
    log_dir: Path,
    name: str = "litellm",
    workers: int = 1,
    litellm_bin: str = LITELLM_BIN,
    extra_args: Sequence[str] = (),
) -> Managed:
    argv = [litellm_bin, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        argv += ["--num_workers", str(workers)]
    argv += extra_args
    return spawn(name, argv, env, log_dir)


def proxy_env(base: Mapping[str, str], master_key: str, api_bases: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(api_bases)
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no remote cost-map fetch offline
    env["LITELLM_MASTER_KEY"] = master_key
    # This checkout's bundle wins over any other installed copy (worktrees, CI clones).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env
