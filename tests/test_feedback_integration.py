"""Feedback on routed decisions, shadow evaluation and capture against two real proxies sharing one
real Redis (issue 19).

One module, two proxies (module-scoped): every surface's response id, read by the openai and
anthropic SDKs from what they return, is reported to the OTHER replica and counts there; the bad
inputs; who may call `/router/feedback` and `/router/classify` (custom-auth keys carrying
`allowed_routes` and `team_id`, as database keys would: router_hooks/route_access.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml

from plugins.cli import main as cli_main
from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.key_auth import KEYS_ENV
from tests.support.redis_db import empty_redis
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

REDIS_DB = 11  # this issue's own database on the shared Redis; only it is flushed
ROUTES = ["llm_api_routes", "/router/feedback", "/router/classify"]
MODELS = ["agent-router-models"]
OWNER = "sk-test-feedback-owner"
TEAMMATE = "sk-test-feedback-teammate"
OTHER = "sk-test-feedback-other-team"
PLAIN = "sk-test-feedback-plain"  # an ordinary key the operator granted no /router/* route
KEYS = {
    OWNER: {"models": MODELS, "allowed_routes": ROUTES, "team_id": "team-a"},
    TEAMMATE: {"models": MODELS, "allowed_routes": ROUTES, "team_id": "team-a"},
    OTHER: {"models": MODELS, "allowed_routes": ROUTES, "team_id": "team-b"},
    PLAIN: MODELS,
}
CODE = "Write a Python function that reverses a linked list and fix this bug: ```x = [1,2```"


def replica_config(path: Path) -> Path:
    doc = yaml.safe_load(CONFIG.read_text())
    doc["router_settings"].update(redis_host="127.0.0.1", redis_port=6379, cache_kwargs={"db": REDIS_DB})
    doc.setdefault("general_settings", {}).update(
        custom_auth="tests.support.key_auth.user_api_key_auth", custom_auth_run_common_checks=True)
    doc["litellm_settings"]["enable_post_custom_auth_checks"] = True
    # The live classifier is `learned`; the candidate `keyword` sees every routed request after its response.
    doc["agent_router"]["shadow"] = {"classifier": "keyword", "sample_rate": 1.0, "queue": 64}
    # Both replicas capture into one directory, each worker into its own file.
    doc["agent_router"]["capture"] = {"dir": str(path.parent / "capture"), "max_mb": 1, "max_files": 2}
    doc["agent_router"]["metadata_in_body"] = True
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="module")
def replicas(backends: dict[str, Backend], log_dir: Path, config_dir: Path) -> Iterator[tuple[Proxy, Proxy]]:
    config = replica_config(config_dir / "litellm_config.yaml")
    env = {KEYS_ENV: json.dumps(KEYS)}
    key = "sk-test-" + secrets.token_hex(12)  # one master key: an admin of either replica is one of both
    with empty_redis(REDIS_DB), ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        # Started side by side: each start is mostly the proxy's own import time, in its own process.
        starts = [pool.submit(launch_proxy, backends, log_dir, config=config, name=f"litellm-feedback-{n}",
                              extra_env=env, master_key=key) for n in ("a", "b")]
        wait(starts)
        # Every proxy that started is stopped by the stack, also when the other one failed to start.
        for start in starts:
            if start.exception() is None:
                stack.enter_context(start.result())
        a, b = (start.result() for start in starts)  # raises the first start-up failure
        yield a, b


def report(proxy: Proxy, key: str, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return proxy.client.post("/router/feedback", content=content, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def openai_client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.base_url}/v1", api_key=OWNER, max_retries=0, timeout=60)


# Each returns the response id and the `routing_metadata` the SDK hands back from the body
# (`agent_router.metadata_in_body`): top level when whole; on streams, the event named per surface.
Seen = tuple[str, Any]


def extra(obj: Any) -> Any:
    return (getattr(obj, "model_extra", None) or {}).get("routing_metadata")


def chat(proxy: Proxy, stream: bool) -> Seen:
    with openai_client(proxy) as client:
        messages: Any = [{"role": "user", "content": CODE}]
        if not stream:
            resp = client.chat.completions.create(model="agent-router", messages=messages, max_tokens=8)
            return resp.id, extra(resp)
        chunks = list(client.chat.completions.create(model="agent-router", messages=messages, max_tokens=8,
                                                     stream=True))
        final = [extra(c) for c in chunks if c.choices and c.choices[0].finish_reason]
        return chunks[0].id, final[0] if final else None


def completions(proxy: Proxy, stream: bool) -> Seen:
    with openai_client(proxy) as client:
        if not stream:
            resp = client.completions.create(model="agent-router", prompt=CODE, max_tokens=8)
            return resp.id, extra(resp)
        chunks = list(client.completions.create(model="agent-router", prompt=CODE, max_tokens=8, stream=True))
        final = [extra(c) for c in chunks if c.choices and c.choices[0].finish_reason]
        return chunks[0].id, final[0] if final else None


def responses(proxy: Proxy, stream: bool) -> Seen:
    with openai_client(proxy) as client:
        if not stream:
            resp = client.responses.create(model="agent-router", input=CODE, max_output_tokens=16)
            return resp.id, extra(resp)
        events = list(client.responses.create(model="agent-router", input=CODE, max_output_tokens=16, stream=True))
        created = next(e for e in events if e.type == "response.created")
        # max_output_tokens ends these echo answers with `response.incomplete`: the terminal event carries it.
        ended = next(e for e in events if e.type in ("response.completed", "response.incomplete"))
        return created.response.id, extra(ended)


def messages(proxy: Proxy, stream: bool) -> Seen:
    with anthropic.Anthropic(base_url=proxy.base_url, api_key=OWNER, max_retries=0, timeout=60) as client:
        turns: Any = [{"role": "user", "content": CODE}]
        if not stream:
            resp = client.messages.create(model="agent-router", max_tokens=8, messages=turns)
            return resp.id, extra(resp)
        events = list(client.messages.create(model="agent-router", max_tokens=8, messages=turns, stream=True))
        start = next(e for e in events if e.type == "message_start")
        delta = next(e for e in events if e.type == "message_delta")
        return start.message.id, extra(delta)


SURFACES: dict[str, Callable[[Proxy, bool], Seen]] = {
    "chat": chat, "completions": completions, "responses": responses, "messages": messages}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_response_id_takes_feedback_on_the_other_replica_and_carries_the_metadata(
    replicas: tuple[Proxy, Proxy], healthy_backends: dict[str, Backend], surface: str, stream: bool,
) -> None:
    a, b = replicas
    response_id, metadata = SURFACES[surface](a, stream)
    assert metadata is not None and metadata["intent"] == "code" and metadata["model_id"] == "qwen-coder", metadata
    first = report(b, OWNER, {"id": response_id, "intent": "general", "source": "reviewer"})
    assert first.status_code == 200, first.text
    assert first.json()["counted"] is True and first.json()["predicted_intent"] == "code"
    again = report(a, OWNER, {"id": response_id, "intent": "code"})
    assert again.status_code == 200 and again.json()["counted"] is False


def test_bad_reports_get_clear_errors_and_only_owners_count(
    replicas: tuple[Proxy, Proxy], healthy_backends: dict[str, Backend],
) -> None:
    a, b = replicas
    response_id, _ = chat(a, stream=False)
    cases = [
        (OWNER, {"id": "chatcmpl-never-issued", "intent": "code"}, 404, "not_found_error", "id"),
        (OWNER, {"id": response_id, "intent": "poetry"}, 400, "invalid_request_error", "intent"),
        (OWNER, {"id": response_id, "intent": "code", "source": "boss"}, 400, "invalid_request_error", "source"),
        (OWNER, {"intent": "code"}, 400, "invalid_request_error", "id"),
        # LiteLLM's auth reads the body first and answers this 400 itself (1.108.7), same format.
        (OWNER, b"{not json", 400, "invalid_request_error", "request_body"),
        (OWNER, {"id": response_id, "intent": "code", "pad": "x" * 20000}, 413, "invalid_request_error", None),
        (OTHER, {"id": response_id, "intent": "code"}, 403, "permission_error", "id"),
    ]
    for key, body, status, kind, param in cases:
        resp = report(b, key, body)
        assert resp.status_code == status, (body if isinstance(body, bytes) else str(body)[:80], resp.text)
        assert resp.json()["error"]["type"] == kind and resp.json()["error"]["param"] == param
    assert report(b, TEAMMATE, {"id": response_id, "intent": "code"}).json()["counted"] is True
    admin = b.client.post("/router/feedback", json={"id": response_id, "intent": "general"})  # master key
    assert admin.status_code == 200 and admin.json()["counted"] is False
    # None of it failed a routed request.
    assert a.chat(CODE).status_code == 200


def test_router_routes_are_granted_per_key(replicas: tuple[Proxy, Proxy],
                                           healthy_backends: dict[str, Backend]) -> None:
    a, _ = replicas
    body = {"surface": "chat", "body": {"model": "agent-router", "messages": [{"role": "user", "content": CODE}]}}
    for path, payload in (("/router/feedback", {"id": "x", "intent": "code"}), ("/router/classify", body)):
        denied = a.client.post(path, json=payload, headers={"Authorization": f"Bearer {PLAIN}"})
        assert denied.status_code == 401, denied.text
    granted = a.client.post("/router/classify", json=body, headers={"Authorization": f"Bearer {OWNER}"})
    assert granted.status_code == 200 and granted.json()["intent"] == "code"
    # Granted routes only: a route the key's allowed_routes leave out is 403 (LiteLLM 1.108.7,
    # is_virtual_key_allowed_to_call_route), so the operator views stay admin-only; LLM calls still work.
    assert a.client.get("/router/info", headers={"Authorization": f"Bearer {OWNER}"}).status_code == 403
    assert a.client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {PLAIN}"}, json={
        "model": "agent-router", "max_tokens": 8, "messages": [{"role": "user", "content": CODE}]}).status_code == 200


def test_info_shows_the_cluster_totals_and_the_exporter_the_matrix(
    replicas: tuple[Proxy, Proxy], healthy_backends: dict[str, Backend],
) -> None:
    a, b = replicas
    response_id, _ = chat(b, stream=False)
    assert report(a, OWNER, {"id": response_id, "intent": "code", "source": "model"}).json()["counted"] is True
    infos = [p.client.get("/router/info").json()["feedback"] for p in (a, b)]
    assert infos[0] == infos[1]  # one matrix, whichever replica answers
    info = infos[0]
    assert info["scope"] == "cluster" and info["total"] >= 1 and info["by_source"]["model"] >= 1
    assert info["agreement_rate"] == round(info["agreed"] / info["total"], 4)
    body = httpx.get(f"http://127.0.0.1:{a.metrics_port}/metrics", timeout=10).text
    line = 'agent_router_feedback_total{correct_intent="code",predicted_intent="code",source="model"}'
    assert any(row.startswith(line) and float(row.split()[-1]) >= 1 for row in body.splitlines())


def test_the_shadow_classifier_decides_after_the_response_and_is_counted(
    replicas: tuple[Proxy, Proxy], healthy_backends: dict[str, Backend],
) -> None:
    a, _ = replicas
    assert a.chat(CODE).status_code == 200
    with a.client.stream("POST", "/v1/chat/completions", json={
            "model": "agent-router", "max_tokens": 8, "stream": True,
            "messages": [{"role": "user", "content": CODE}]}) as streamed:
        assert streamed.status_code == 200 and "".join(streamed.iter_text())

    def shadow() -> dict[str, Any]:
        return dict(a.client.get("/router/info").json()["shadow"])

    seen = eventually(shadow, 10, "the shadow worker's count", until=lambda s: s["evaluated"] >= 2)
    assert seen["classifier"] == "keyword" and seen["dropped"] == 0 and seen["running"] is True
    body = httpx.get(f"http://127.0.0.1:{a.metrics_port}/metrics", timeout=10).text
    line = 'agent_router_shadow_decisions_total{live_intent="code",shadow_intent="code"}'
    assert any(row.startswith(line) and float(row.split()[-1]) >= 2 for row in body.splitlines())


def test_capture_writes_scrubbed_owner_only_lines_that_eval_scores(
    replicas: tuple[Proxy, Proxy], healthy_backends: dict[str, Backend], config_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = replicas
    secret = "sk-live-9f8e7d6c5b4a39281706"
    resp = a.chat(f"My key is {secret}; write a Python function that retries on 429")
    assert resp.status_code == 200
    response_id = resp.json()["id"]
    assert report(b, a.master_key, {"id": response_id, "intent": "code", "source": "reviewer"}).status_code == 200
    capture = config_dir / "capture"

    def captured() -> list[dict[str, Any]]:
        return [json.loads(line) for path in capture.glob("*.jsonl") for line in path.read_text().splitlines()]

    rows = eventually(captured, 10, "the capture lines", until=lambda rows: {"decision", "feedback"} <= {
        r["kind"] for r in rows if r["id"] == response_id})
    decision = next(r for r in rows if r["id"] == response_id and r["kind"] == "decision")
    assert "[REDACTED:api_key]" in decision["messages"][-1]["content"]
    assert decision["surface"] == "chat" and decision["decision"]["intent"] == "code"
    assert all(secret not in path.read_text() for path in capture.glob("*.jsonl"))
    assert oct(capture.stat().st_mode & 0o777) == "0o700"
    assert {oct(path.stat().st_mode & 0o777) for path in capture.glob("*.jsonl")} == {"0o600"}
    assert len({path.name.split("-")[1] for path in capture.glob("*.jsonl")}) == 2  # one file per proxy process
    assert cli_main(["eval", "--config", str(CONFIG), "--data", str(capture), "--json", "--bootstrap", "0"]) == 0
    assert "rows with feedback scored" in capsys.readouterr().err
