"""The hook's metric events, called as LiteLLM 1.108.7 calls them (no proxy, no network)."""

from __future__ import annotations

import asyncio

from tests.test_hook import make_hook


class InternalServerError(Exception):  # named like litellm's: mapped by class name
    pass


def test_every_failed_deployment_attempt_is_counted() -> None:
    hook, registry, _ = make_hook()
    # First try and retry of the primary, then the fallback hop: three calls, three counts.
    for group in ("qwen-coder", "qwen-coder", "llama"):
        attempt = {"model": "openai/x", "metadata": {"model_group": group}}
        asyncio.run(hook.async_post_call_failure_deployment_hook(
            attempt, InternalServerError(), None, fallback_depth=None))
    get = registry.get_sample_value
    assert get("agent_router_errors_total", {"model": "qwen-coder", "error_type": "http_5xx"}) == 2
    assert get("agent_router_errors_total", {"model": "llama", "error_type": "http_5xx"}) == 1


def test_calls_without_a_model_group_are_not_counted() -> None:
    # LiteLLM's background health checks call the deployments without the router's metadata.
    hook, registry, _ = make_hook()
    asyncio.run(hook.async_post_call_failure_deployment_hook({"model": "openai/x"}, OSError(), None))
    asyncio.run(hook.async_log_success_event(
        {"standard_logging_object": {"model_group": ""}}, None, None, None))
    assert sum(
        s.value for f in registry.collect() for s in f.samples
        if s.name in ("agent_router_errors_total", "agent_router_requests_total")
    ) == 0


def test_a_failed_direct_request_is_counted_under_its_model() -> None:
    hook, registry, _ = make_hook()
    asyncio.run(hook.async_post_call_failure_hook({"model": "llama"}, RuntimeError(), None))
    labels = {"model": "llama", "intent": "direct", "status": "error"}
    assert registry.get_sample_value("agent_router_requests_total", labels) == 1
