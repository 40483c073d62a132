"""`classifier: encoder` through a real LiteLLM proxy: the header names the encoder when it decides,
and a deadline no call can meet makes `learned` decide, counted by reason.

Two proxies (one per config), on the session's backends, with the packaged artifact
`plugins/models/intent-encoder-v5/`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.scrape import parse, value
from tests.support.wait import eventually

pytestmark = pytest.mark.integration
REASONING = "A bat and a ball cost $1.10 in total; the bat costs $1.00 more. What does the ball cost?"


def encoder_config(tmp: Path, name: str, encoder: dict[str, Any]) -> Path:
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    document["agent_router"]["classifier"] = "encoder"
    document["agent_router"]["encoder"] = encoder
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def encoder_proxy(backends: dict[str, Backend], log_dir: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    # A generous deadline: this proxy checks the plumbing, not the encoder's speed on a busy host
    # (the first call of a fresh onnxruntime session is its slowest).
    config = encoder_config(tmp_path_factory.mktemp("encoder"), "encoder", {"deadline_ms": 2000})
    with launch_proxy(backends, log_dir, config=config, name="litellm-encoder") as running:
        yield running


@pytest.fixture(scope="module")
def missed_deadline_proxy(backends: dict[str, Backend], log_dir: Path,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    # 1 µs: spent before the dispatcher looks, so every request is decided by learned.
    config = encoder_config(tmp_path_factory.mktemp("encoder"), "deadline", {"deadline_ms": 0.001})
    with launch_proxy(backends, log_dir, config=config, name="litellm-encoder-deadline") as running:
        yield running


def routing(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return dict(json.loads(resp.headers["x-routing-metadata"]))


def fallbacks(proxy: Proxy) -> dict[str, float]:
    samples = parse(httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics", timeout=10).text)
    name = "agent_router_classifier_fallbacks_total"
    return {r: value(samples, name, reason=r) for r in ("deadline", "queue_full", "error")}


def test_the_encoder_decides_and_the_header_says_so(encoder_proxy: Proxy,
                                                    healthy_backends: dict[str, Backend]) -> None:
    meta = routing(encoder_proxy.chat(REASONING))
    assert meta["classifier"] == "encoder" and meta["model_id"] == "deepseek-r1"
    assert fallbacks(encoder_proxy) == {"deadline": 0, "queue_full": 0, "error": 0}
    info = encoder_proxy.client.get("/router/info").json()
    assert info["classifier"] == "encoder"


def test_a_missed_deadline_is_decided_by_learned_and_counted(missed_deadline_proxy: Proxy,
                                                             healthy_backends: dict[str, Backend]) -> None:
    meta = routing(missed_deadline_proxy.chat(REASONING))
    assert meta["classifier"] == "learned" and meta["model_id"] == "deepseek-r1"
    explained = missed_deadline_proxy.client.post("/router/classify", json={
        "surface": "chat", "body": {"model": "agent-router", "messages": [{"role": "user", "content": REASONING}]}})
    assert explained.json()["classifier"] == "learned"
    assert explained.json()["configured_classifier"] == "encoder"
    # Counted in the pre-call hook, before the response: no wait for a callback. /router/classify
    # counts nothing.
    assert eventually(lambda: fallbacks(missed_deadline_proxy), 10, "one deadline fallback",
                      until=lambda f: f["deadline"] >= 1) == {"deadline": 1, "queue_full": 0, "error": 0}
