"""Session fixtures: MAX Serve backends and the proxy start once per test session (2-core hosts)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.ports import PortPool, session_pool
from scripts.stack import ensure_echo_model
from tests.support.cluster import Backend, Proxy, launch_proxy, start_backends
from tests.support.wait import eventually

# Importing litellm would otherwise fetch its model-cost map from the internet: tests stay local.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def echo_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_echo_model(tmp_path_factory.mktemp("echo-model"))


@pytest.fixture(scope="session")
def backends(echo_model: Path, log_dir: Path) -> Iterator[dict[str, Backend]]:
    started = start_backends(echo_model, log_dir, worker_pool())
    try:
        yield started
    finally:
        for backend in started.values():
            backend.kill()
            backend.fault.stop()


@pytest.fixture()
def healthy_backends(backends: dict[str, Backend], request: pytest.FixtureRequest) -> dict[str, Backend]:
    """Backends as a test expects them: all running, no fault injected, and, for a test that uses
    the shared proxy, that proxy seeing every model healthy and none cooled down (a fault another
    test injected through the shared backends is seen by the shared proxy's monitor too)."""
    for backend in backends.values():
        backend.fault.mode = "pass"
        backend.ensure_running()
    if "proxy" in request.fixturenames:
        shared: Proxy = request.getfixturevalue("proxy")
        eventually(lambda: _sees_all_healthy(shared), 60, "the shared proxy seeing every model healthy")
    return backends


def worker_pool() -> PortPool | None:
    """This session's ports for restartable backends: with pytest-xdist (`make test` runs two
    workers, each with its own backends and proxies) worker gwN takes share N of the range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return session_pool(int(worker.removeprefix("gw")), count)


def _sees_all_healthy(proxy: Proxy) -> bool:
    models = proxy.client.get("/router/health").json()["models"]
    return all(m["status"] == "healthy" and not m["cooldown"]["active"] for m in models.values())


@pytest.fixture(scope="session")
def proxy(backends: dict[str, Backend], log_dir: Path) -> Iterator[Proxy]:
    """The shared proxy: tests using it must leave backends healthy (no cooldown-causing faults)."""
    with launch_proxy(backends, log_dir) as running:
        yield running


@pytest.fixture()
def pool() -> Iterator[ThreadPoolExecutor]:
    """A one-thread pool for the encoder's dispatcher (tests/test_dispatch.py, test_hook_dispatch.py),
    shut down, its thread joined, by the test that used it."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-encoder")
    yield executor
    executor.shutdown(wait=True)
