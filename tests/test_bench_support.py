"""The benchmark's derived configs, stub backend and statistics (no network, no processes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from scripts.bench import stub_backend
from scripts.bench.configs import default_config, tuned_config, write_configs
from scripts.bench.load import percentile
from scripts.stack import ROOT

SHIPPED = ROOT / "litellm_config.yaml"


def shipped() -> dict[str, Any]:
    return dict(yaml.safe_load(SHIPPED.read_text()))


def test_tuned_config_is_the_shipped_file_without_the_bundle() -> None:
    original = shipped()
    tuned = tuned_config(original)
    assert "agent_router" not in tuned
    callbacks = [
        entry
        for key in ("callbacks", "success_callback", "failure_callback")
        for entry in tuned["litellm_settings"].get(key, [])
    ]
    assert not any(str(c).startswith("router_hooks") for c in callbacks)
    # Every other setting is kept as shipped.
    assert tuned["router_settings"] == original["router_settings"]
    assert tuned["general_settings"] == original["general_settings"]
    assert tuned["model_list"] == original["model_list"]
    other = {k: v for k, v in original["litellm_settings"].items() if "callback" not in k}
    assert {k: v for k, v in tuned["litellm_settings"].items() if "callback" not in k} == other


def test_default_config_keeps_only_the_deployments_and_the_key() -> None:
    original = shipped()
    default = default_config(original)
    assert set(default) == {"model_list", "general_settings"}
    assert default["model_list"] == original["model_list"]
    assert set(default["general_settings"]) == {"master_key"}


def test_write_configs_ships_the_bundle_file_itself(tmp_path: Path) -> None:
    paths = write_configs(SHIPPED, tmp_path)
    assert paths["bundle"] == SHIPPED
    for name in ("litellm_default", "litellm_tuned"):
        assert yaml.safe_load(paths[name].read_text())["model_list"]


def _split(raw: bytes) -> tuple[str, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode().split("\r\n")[0], body


def test_stub_answers_chat_stream_health_and_injected_failures() -> None:
    status, body = _split(stub_backend.handle("GET", "/health", b""))
    assert status == "HTTP/1.1 200 OK" and body == b""
    request = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    status, body = _split(stub_backend.handle("POST", "/v1/chat/completions", request))
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(body)["choices"][0]["message"]["content"] == stub_backend.ANSWER
    stream = json.dumps({"model": "m", "stream": True}).encode()
    _, body = _split(stub_backend.handle("POST", "/v1/chat/completions", stream))
    events = [line for line in body.decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[1][len("data: ") :])["choices"][0]["delta"]["content"] == "ok "
    stub_backend.handle("POST", "/control/fail", b'{"models": ["m"]}')
    try:
        status, _ = _split(stub_backend.handle("POST", "/v1/chat/completions", request))
        assert status.startswith("HTTP/1.1 500")
    finally:
        stub_backend.handle("POST", "/control/fail", b'{"models": []}')
    status, _ = _split(stub_backend.handle("POST", "/v1/chat/completions", request))
    assert status == "HTTP/1.1 200 OK"


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) == 0.0
