"""scripts/smoke_test.py: for real against the session proxy, and its failure paths against a
stack answered by requests-mock (an injected transport: no patching, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import requests_mock

from scripts.smoke_test import CODE, GENERAL, REASONING, main
from tests.support.cluster import Backend, Proxy

BASE = "http://stack.test:4000"
KEY = "sk-smoke"
INTENT_MODELS = {"code": "qwen-coder", "reasoning": "deepseek-r1", "general": "llama"}
SERVED = {
    "qwen-coder": "Qwen/Qwen2.5-Coder-7B-Instruct", "llama": "meta-llama/Llama-3.1-8B-Instruct",
    "deepseek-r1": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
}
HEALTHY = {m: {"status": "healthy"} for m in SERVED}
METRICS = ('agent_router_requests_total{intent="code",model="qwen-coder",status="success"} 2.0\n'
           'agent_router_model_health{model="llama"} 1.0\n')
Handler = Callable[[Any, Any], Any]


def intent_of(body: dict[str, Any]) -> str:
    last = body["messages"][-1]["content"]
    if last == CODE or "Python" in last:
        return "code"
    if last == GENERAL:
        return "general"
    assert last == REASONING or "how many ways" in last
    return "reasoning"


def routing(routed: str, **override: Any) -> dict[str, str]:
    """The header of a request routed for the intent `routed`; `override` changes its fields."""
    model = INTENT_MODELS[routed]
    meta = {"model_id": model, "model_name": SERVED[model], "intent": routed, "confidence": 0.83,
            "primary_model": model, "fallback_used": False, "total_time_seconds": 0.01}
    meta.update(override)
    return {"x-routing-metadata": json.dumps(meta)}


def completion_body(stream: bool) -> bytes:
    if stream:
        chunk = {"choices": [{"index": 0, "delta": {"content": "def parse(path): ..."}}]}
        return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": "ok"}}]}).encode()


def chat(request: Any, context: Any) -> bytes:
    body = request.json()
    context.headers.update(routing(intent_of(body)))
    return completion_body(bool(body.get("stream")))


def stack(**routes: Any) -> requests.Session:
    """A healthy stack; keyword arguments replace one route's answer (requests-mock kwargs)."""
    adapter = requests_mock.Adapter()
    defaults: dict[str, tuple[str, str, dict[str, Any]]] = {
        "liveliness": ("GET", "/health/liveliness", {"json": "I'm alive!"}),
        "readiness": ("GET", "/health/readiness", {"json": {"status": "ok", "db": "connected"}}),
        "info": ("GET", "/router/info", {"json": {
            "version": "0.1.0", "classifier": "keyword", "intent_models": INTENT_MODELS,
            "models": HEALTHY}}),
        "chat": ("POST", "/v1/chat/completions", {"content": chat}),
        "metrics": ("GET", "/metrics", {"text": METRICS}),
    }
    for name, (method, path, answer) in defaults.items():
        adapter.register_uri(method, BASE + path, **routes.get(name, answer))
    session = requests.Session()
    session.mount("http://", adapter)
    return session


def run(
    session: requests.Session, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    code = main(["--base-url", BASE, "--api-key", KEY, "--json"], environ={}, session=session)
    return code, {r["name"]: r for r in json.loads(capsys.readouterr().out)}


def failed(results: dict[str, Any]) -> set[str]:
    return {name for name, r in results.items() if not r["ok"]}


def test_healthy_stack_passes_with_a_readable_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--base-url", BASE], environ={"LITELLM_MASTER_KEY": KEY}, session=stack())
    report = capsys.readouterr().out
    assert code == 0, report
    assert "8 checks: 8 ok, 0 failed" in report
    code_line = next(line for line in report.splitlines() if line.startswith("code "))
    assert code_line.split()[:7] == ["code", "ok", code_line.split()[2], "code", "0.83",
                                     "qwen-coder", "no"]


def test_refused_connection_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    session = stack(**{name: {"exc": requests.exceptions.ConnectionError("refused")}
                       for name in ("liveliness", "info", "chat", "metrics")})
    code, results = run(session, capsys)
    assert code == 1
    assert failed(results) == set(results)
    assert all("ConnectionError" in r["detail"] for r in results.values())


def test_missing_router_info_is_a_reported_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, results = run(stack(info={"status_code": 404, "json": {"detail": "Not Found"}}), capsys)
    assert code == 1
    assert failed(results) == {"router/info"}
    assert "/router/info" in results["router/info"]["detail"]


def test_unhealthy_model_in_router_info_fails(capsys: pytest.CaptureFixture[str]) -> None:
    info = {"json": {"intent_models": INTENT_MODELS,
                     "models": {**HEALTHY, "qwen-coder": {"status": "unhealthy"}}}}
    code, results = run(stack(info=info), capsys)
    assert code == 1 and failed(results) == {"router/info"}
    assert "unhealthy: qwen-coder" in results["router/info"]["detail"]


def test_misrouted_fallback_and_unrouted_answers_fail(capsys: pytest.CaptureFixture[str]) -> None:
    def answer(request: Any, context: Any) -> Any:
        body = request.json()
        intent = intent_of(body)
        if body["messages"][-1]["content"] == GENERAL:
            context.headers.update(routing("general", intent="code"))  # classified wrongly
        elif body["messages"][-1]["content"] == REASONING:
            context.headers.update(routing("reasoning", model_id="llama", fallback_used=True,
                                           model_name=SERVED["llama"]))
        elif len(body["messages"]) > 1:
            pass  # no routing header at all: the hook did not run
        else:
            context.headers.update(routing(intent))
        return completion_body(bool(body.get("stream")))

    code, results = run(stack(chat={"content": answer}), capsys)
    assert code == 1
    assert failed(results) == {"general", "reasoning", "conversation"}
    assert "classified 'code', expected 'general'" in results["general"]["detail"]
    assert "fallback" in results["reasoning"]["detail"] and results["reasoning"]["fallback"] is True
    assert results["reasoning"]["served"] == "llama"
    assert "x-routing-metadata" in results["conversation"]["detail"]


def test_served_by_another_model_than_router_info_maps_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = {"json": {"intent_models": {**INTENT_MODELS, "code": "llama"},
                     "models": HEALTHY}}
    code, results = run(stack(info=info), capsys)
    assert code == 1 and failed(results) == {"code", "stream"}
    assert "expected 'llama'" in results["code"]["detail"]


def test_http_errors_and_broken_bodies(capsys: pytest.CaptureFixture[str]) -> None:
    error = {"status_code": 401, "json": {"error": {"message": "Authentication Error, bad key"}}}
    code, results = run(stack(chat=error, metrics={"text": "litellm_requests_total 3\n"},
                              readiness={"status_code": 503, "text": "down"}), capsys)
    assert code == 1
    assert failed(results) == set(results) - {"router/info"}
    assert "HTTP 401: Authentication Error, bad key" in results["code"]["detail"]
    assert "no agent_router_* series" in results["metrics"]["detail"]
    assert "readiness answered HTTP 503" in results["health"]["detail"]
    code, results = run(stack(chat={"text": "<html>proxy error</html>"}), capsys)
    assert "unexpected answer" in results["code"]["detail"]


def test_stream_without_done_fails(capsys: pytest.CaptureFixture[str]) -> None:
    def cut(request: Any, context: Any) -> Any:
        if not request.json().get("stream"):
            return chat(request, context)
        context.headers.update(routing("code"))
        return b'data: {"choices": []}\n\n'

    code, results = run(stack(chat={"content": cut}), capsys)
    assert code == 1 and failed(results) == {"stream"}
    assert "[DONE]" in results["stream"]["detail"]


def test_no_key_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--base-url", BASE], environ={})
    assert exit_info.value.code == 2


@pytest.mark.integration
def test_against_the_real_proxy(
    proxy: Proxy, healthy_backends: dict[str, Backend], capsys: pytest.CaptureFixture[str]
) -> None:
    # The bundle's exporter: what Prometheus scrapes.
    metrics_url = f"http://127.0.0.1:{proxy.metrics_port}/metrics"
    code = main(["--base-url", proxy.base_url, "--api-key", proxy.master_key, "--json",
                 "--max-tokens", "8", "--metrics-url", metrics_url], environ={})
    results = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name in ("health", "code", "reasoning", "general", "conversation", "stream"):
        assert results[name]["ok"], results[name]
        assert results[name]["fallback"] in (None, False)
    assert {n: results[n]["served"] for n in ("code", "reasoning", "general", "conversation")} == {
        "code": "qwen-coder", "reasoning": "deepseek-r1", "general": "llama",
        "conversation": "deepseek-r1",
    }
    assert results["conversation"]["intent"] == "reasoning"  # switched from code
    # The bundle serves /router/info and exports the agent_router_* series: every check passes.
    assert all(r["ok"] for r in results.values()), results
    assert code == 0
