"""The benchmark's derived configs, stub backend and statistics (no network, no processes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from plugins.config import load_config
from scripts.bench import stub_backend
from scripts.bench.checks import fallback_counts
from scripts.bench.configs import bundle_config, default_config, tuned_config, write_configs
from scripts.bench.load import decider, percentile, request_body
from scripts.bench.loop import loop_config
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


def test_write_configs_ships_the_bundle_file_itself_where_it_names_the_classifier(tmp_path: Path) -> None:
    paths = write_configs(SHIPPED, tmp_path)
    shipped_classifier = shipped()["agent_router"]["classifier"]
    for name, classifier in (("bundle_learned", "learned"), ("bundle_encoder", "encoder")):
        written = yaml.safe_load(paths[name].read_text())
        assert written["agent_router"]["classifier"] == classifier
        assert (paths[name] == SHIPPED) == (classifier == shipped_classifier)
    for name in ("litellm_default", "litellm_tuned"):
        assert yaml.safe_load(paths[name].read_text())["model_list"]


def test_bundle_configs_differ_from_the_shipped_file_only_in_the_classifier() -> None:
    original = shipped()
    original["agent_router"] = {**original["agent_router"], "classifier": "hybrid", "hybrid_keyword_weight": 0.3,
                                "encoder": {"threads": 2}}
    learned = bundle_config(original, "learned")
    encoder = bundle_config(original, "encoder", "/tmp/model")
    assert {k: v for k, v in learned.items() if k != "agent_router"} == {
        k: v for k, v in original.items() if k != "agent_router"}
    # Keys the config refuses for another classifier are dropped; the rest stay as shipped.
    assert "hybrid_keyword_weight" not in learned["agent_router"] and "encoder" not in learned["agent_router"]
    assert encoder["agent_router"]["encoder"] == {"threads": 2, "model": "/tmp/model"}
    kept = {k: v for k, v in original["agent_router"].items()
            if k not in ("classifier", "hybrid_keyword_weight", "encoder")}
    assert {k: v for k, v in encoder["agent_router"].items() if k in kept} == kept


def test_fallback_counts_reads_the_counter_by_reason_and_nothing_else() -> None:
    exposition = (
        "# HELP agent_router_classifier_fallbacks_total Requests ...\n"
        'agent_router_classifier_fallbacks_total{reason="deadline"} 3.0\n'
        'agent_router_classifier_fallbacks_total{reason="queue_full"} 12.0\n'
        'agent_router_classifier_fallbacks_created{reason="deadline"} 1.7e+09\n'
        'agent_router_requests_total{model="llama",intent="general",status="success"} 9.0\n'
    )
    assert fallback_counts(exposition) == {"deadline": 3.0, "queue_full": 12.0}
    assert fallback_counts("") == {}


def test_decider_is_the_headers_classifier_field() -> None:
    assert decider(json.dumps({"classifier": "learned", "model_id": "llama"})) == "learned"
    assert decider(None) is None
    assert decider("not json") is None
    assert decider("[1, 2]") is None


def test_request_bodies_cycle_the_mix_and_never_repeat() -> None:
    bodies = [json.loads(request_body(index, "agent-router", ("a", "b"))) for index in range(6)]
    contents = [b["messages"][0]["content"] for b in bodies]
    assert [c.rstrip() for c in contents] == ["a", "b"] * 3
    assert len(set(contents)) == 6


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


def test_the_loop_bench_config_validates_with_shadow_and_capture_on(tmp_path: Path) -> None:
    learned = write_configs(SHIPPED, tmp_path / "configs")["bundle_learned"]
    config = load_config(loop_config(learned, tmp_path / "capture", tmp_path / "loop.yaml"))
    assert config.classifier == "learned"
    assert config.shadow is not None and config.shadow.classifier == "learned" and config.shadow.sample_rate == 1.0
    assert config.capture is not None and config.capture.dir == str(tmp_path / "capture")
