"""Every LiteLLM internal the bundle touches, checked against the installed LiteLLM.

`make compat LITELLM=<version>` runs this module under each tested version, so an upgrade that moves
or changes one of them fails a test named after it instead of a request. Every warning is an error
(pyproject's filterwarnings), so a read through LiteLLM's deprecation layer (router_deprecated.py,
which warns with the reader's frame) fails here; `no_deprecated_reads` also checks that layer's own
tally. What differs per version: the README's "Known LiteLLM behaviours".
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from plugins.errors import LITELLM_EXCEPTIONS, error_type
from router_hooks import compat

CONFIG = Path(__file__).resolve().parent.parent / "litellm_config.yaml"
VERSION = compat.installed_version() or "0"
ALIAS: dict[str, Any] = {"gpt-4o": "agent-router"}


def view_of(router: Any) -> Any:
    """The compat view the bundle gets, typed Any: tests also call LiteLLM's own methods on it."""
    found = compat.router_view(router)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def router() -> Any:
    """A real LiteLLM Router over the shipped model list and router settings (never called)."""
    from litellm.router import Router

    document = yaml.safe_load(CONFIG.read_text())
    for var in ("LLAMA_API_BASE", "QWEN_API_BASE", "DEEPSEEK_API_BASE"):
        os.environ.setdefault(var, "http://127.0.0.1:9/v1")  # never contacted
    settings = {k: v for k, v in document["router_settings"].items() if not k.startswith("redis")}
    return Router(model_list=document["model_list"], model_group_alias=ALIAS,
                  enable_health_check_routing=True, **settings)


@pytest.fixture()
def no_deprecated_reads() -> Iterator[None]:
    """Also count the deprecation layer's own tally (1.109+), which sees reads that filters hide."""
    try:
        from litellm.router_deprecated import DEPRECATED_ROUTER_MEMBER_USES as uses
    except ImportError:  # 1.108: no deprecation layer
        yield
        return
    before = dict(uses)
    yield
    assert dict(uses) == before, "the bundle read a deprecated Router member"


# -- the version itself ---------------------------------------------------------------------------

def test_installed_litellm_is_in_the_tested_range() -> None:
    assert compat.is_tested(VERSION), f"LiteLLM {VERSION} is not in {compat.TESTED_RANGE}"


def test_router_data_location_follows_the_version(router: Any) -> None:
    # 1.109.0 introduced the entry points; the compat view uses them whenever they exist.
    assert compat.has_entry_points(router) is (compat.parse_version(VERSION) >= (1, 109))
    view = view_of(router)
    assert (view is router) is not compat.has_entry_points(router)


# -- Router data, read through router_hooks.compat -------------------------------------------------

@pytest.mark.usefixtures("no_deprecated_reads")
def test_router_model_list(router: Any) -> None:
    entries = list(view_of(router).model_list)
    assert [e["model_name"] for e in entries] == ["llama", "qwen-coder", "deepseek-r1", "agent-router"]
    for entry in entries:
        assert isinstance(entry["model_info"]["id"], str)
        assert entry["litellm_params"]["api_base"] == "http://127.0.0.1:9/v1"
        assert entry["litellm_params"]["model"].startswith("openai/")


@pytest.mark.usefixtures("no_deprecated_reads")
def test_router_fallbacks(router: Any) -> None:
    expected = yaml.safe_load(CONFIG.read_text())["router_settings"]["fallbacks"]
    assert list(view_of(router).fallbacks) == expected


@pytest.mark.usefixtures("no_deprecated_reads")
def test_router_model_group_alias(router: Any) -> None:
    assert dict(view_of(router).model_group_alias) == ALIAS


@pytest.mark.usefixtures("no_deprecated_reads")
def test_router_enable_health_check_routing(router: Any) -> None:
    assert view_of(router).enable_health_check_routing is True


@pytest.mark.usefixtures("no_deprecated_reads")
def test_router_deployment_by_id(router: Any) -> None:
    view = view_of(router)
    entry = next(iter(view.model_list))
    deployment = view.get_deployment(entry["model_info"]["id"])
    assert deployment.model_name == "llama"
    assert deployment.litellm_params.model == "openai/meta-llama/Llama-3.1-8B-Instruct"
    assert view.get_deployment("no-such-id") is None


@pytest.mark.usefixtures("no_deprecated_reads")
def test_cooldown_store_reports_an_active_cooldown(router: Any) -> None:
    """health_gate reads `async_get_active_cooldowns(ids, parent_otel_span=None)` -> [(id, value)]."""
    view = view_of(router)
    ids = [e["model_info"]["id"] for e in view.model_list]
    store = view.cooldown_cache
    if isinstance(store, compat.CachedCooldowns):  # 1.109+: LiteLLM's store behind compat's read cache
        store = store.store
    assert asyncio.run(store.async_get_active_cooldowns(ids, parent_otel_span=None)) == []
    before = time.time()
    store.add_deployment_to_cooldown(ids[1], RuntimeError("contract test"), 500, 60.0)
    active = dict(asyncio.run(store.async_get_active_cooldowns(ids, parent_otel_span=None)))
    assert list(active) == [ids[1]]
    # The two fields health_gate computes the remaining time from.
    assert float(active[ids[1]]["cooldown_time"]) == 60.0
    assert before - 1 <= float(active[ids[1]]["timestamp"]) <= time.time() + 1


@pytest.mark.usefixtures("no_deprecated_reads")
def test_a_cooldown_can_be_ended_early(router: Any) -> None:
    """health_gate.end_cooldowns (a recovered model) ends LiteLLM's cooldown through compat."""
    view = view_of(router)
    ids = [e["model_info"]["id"] for e in view.model_list]
    store = view.cooldown_cache
    raw = store.store if isinstance(store, compat.CachedCooldowns) else store
    raw.add_deployment_to_cooldown(ids[2], RuntimeError("contract test"), 500, 60.0)
    assert ids[2] in dict(asyncio.run(store.async_get_active_cooldowns(ids, parent_otel_span=None)))
    asyncio.run(compat.end_cooldown(store, ids[2]))
    assert ids[2] not in dict(asyncio.run(store.async_get_active_cooldowns(ids, parent_otel_span=None)))


@pytest.mark.usefixtures("no_deprecated_reads")
def test_health_state_store_takes_probe_results(router: Any) -> None:
    """health_gate publishes `{id: {is_healthy, timestamp, reason}}` with the synchronous setter."""
    view = view_of(router)
    ids = [e["model_info"]["id"] for e in view.model_list]
    store = view.health_state_cache
    assert not inspect.iscoroutinefunction(store.set_deployment_health_states)
    now = time.time()
    store.set_deployment_health_states({
        ids[0]: {"is_healthy": True, "timestamp": now, "reason": ""},
        ids[2]: {"is_healthy": False, "timestamp": now, "reason": "connection"},
    })
    assert store.get_unhealthy_deployment_ids() == {ids[2]}


# -- CustomLogger hooks ----------------------------------------------------------------------------

# hook -> its parameters (after self) as LiteLLM declares and calls them; hook.py overrides each.
HOOKS = {
    "async_pre_call_hook": ["user_api_key_dict", "cache", "data", "call_type"],
    "async_post_call_response_headers_hook": ["data", "user_api_key_dict", "response",
                                              "request_headers", "litellm_call_info"],
    "async_log_success_event": ["kwargs", "response_obj", "start_time", "end_time"],
    "async_post_call_failure_deployment_hook": ["request_data", "exception", "call_type",
                                                "fallback_depth"],
    "async_post_call_failure_hook": ["request_data", "original_exception", "user_api_key_dict",
                                     "traceback_str"],
    "log_success_fallback_event": ["original_model_group", "kwargs", "original_exception"],
}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_custom_logger_hook_signature(name: str) -> None:
    from litellm.integrations.custom_logger import CustomLogger

    declared = inspect.signature(getattr(CustomLogger, name))
    assert list(declared.parameters)[1:] == HOOKS[name]
    assert inspect.iscoroutinefunction(getattr(CustomLogger, name))  # all six, the fallback event too


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_bundle_hook_matches_litellm_signature(name: str) -> None:
    from router_hooks.hook import AgentRouterHook

    ours = getattr(AgentRouterHook, name)
    if ours is getattr(importlib.import_module("litellm.integrations.custom_logger").CustomLogger, name):
        pytest.skip(f"the bundle does not override {name}")
    assert list(inspect.signature(ours).parameters)[1:] == HOOKS[name]
    assert inspect.iscoroutinefunction(ours)


def test_pre_call_hook_is_found_on_the_leaf_class() -> None:
    """The proxy only calls `async_pre_call_hook` when the callback's own class defines it."""
    proxy_utils = importlib.import_module("litellm.proxy.utils")
    assert '"async_pre_call_hook" in vars(_callback.__class__)' in inspect.getsource(proxy_utils)
    from router_hooks.hook import AgentRouterHook

    assert "async_pre_call_hook" in vars(AgentRouterHook)


def test_standard_logging_object_fields() -> None:
    from litellm.types.utils import StandardLoggingPayload

    assert {"model_group", "model_id", "api_base"} <= set(StandardLoggingPayload.__annotations__)


# -- call type and metadata key per route ----------------------------------------------------------

# route -> (module whose `router` serves it, call_type the hook receives, key LiteLLM keeps metadata under)
ROUTES = {
    "/v1/chat/completions": ("litellm.proxy.proxy_server", "acompletion", "metadata"),
    "/v1/completions": ("litellm.proxy.proxy_server", "atext_completion", "metadata"),
    "/v1/responses": ("litellm.proxy.response_api_endpoints.endpoints", "aresponses", "litellm_metadata"),
    "/v1/messages": ("litellm.proxy.anthropic_endpoints.endpoints", "anthropic_messages",
                     "litellm_metadata"),
}


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_route_call_type(path: str) -> None:
    from litellm.types.utils import CallTypes

    module, call_type, _ = ROUTES[path]
    router = importlib.import_module(module).router
    endpoints = [r.endpoint for r in router.routes
                 if getattr(r, "path", None) == path and "POST" in (getattr(r, "methods", None) or ())]
    assert endpoints, f"{module} no longer serves POST {path}"
    # The endpoint hands its route type to the request pipeline, which passes it to the hook.
    assert f'route_type="{call_type}"' in inspect.getsource(inspect.unwrap(endpoints[0]))
    assert CallTypes(call_type).value == call_type


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_route_metadata_key(path: str) -> None:
    from litellm.proxy.litellm_pre_call_utils import metadata_variable_name_for_route

    assert metadata_variable_name_for_route(path) == ROUTES[path][2]


# -- proxy globals, auth, errors -------------------------------------------------------------------

def test_proxy_server_globals() -> None:
    from fastapi import FastAPI
    from litellm.proxy import proxy_server

    assert isinstance(proxy_server.app, FastAPI)
    for name in ("llm_router", "user_config_file_path"):
        assert hasattr(proxy_server, name), name


def test_user_api_key_auth_is_a_request_dependency() -> None:
    from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

    assert inspect.iscoroutinefunction(user_api_key_auth)
    assert next(iter(inspect.signature(user_api_key_auth).parameters)) == "request"


def test_no_database_error_becomes_401() -> None:
    from litellm.proxy._types import ProxyErrorTypes, ProxyException

    from router_hooks.client_errors import unknown_key_without_database

    exc = ProxyException(message="No connected db.", type=ProxyErrorTypes.no_db_connection,
                         param=None, code=400)
    answer = unknown_key_without_database(exc)
    assert answer is not None and answer.status_code == 401


@pytest.mark.parametrize("name", sorted(LITELLM_EXCEPTIONS))
def test_exception_name_maps_to_its_error_type(name: str) -> None:
    exceptions = importlib.import_module("litellm.exceptions")
    cls = getattr(exceptions, name)
    try:
        exc = cls(message="contract test", model="m", llm_provider="openai")
    except TypeError:  # the openai SDK's status errors also want the response
        response = httpx.Response(400, request=httpx.Request("POST", "http://127.0.0.1/v1"))
        exc = cls(message="contract test", model="m", llm_provider="openai", response=response)
    assert error_type(exc) == LITELLM_EXCEPTIONS[name]


# -- the warnings filter ---------------------------------------------------------------------------

def test_warnings_are_errors_here() -> None:
    """Guards the configuration: a deprecated read would raise, not pass silently."""
    with pytest.raises(DeprecationWarning):
        warnings.warn("probe", DeprecationWarning, stacklevel=1)


# -- issue 19: where the bundle finds each response's id ------------------------------------------


def test_streaming_iterator_hook_is_wrapped_for_leaf_classes_that_define_it() -> None:
    """Streams reach `async_post_call_streaming_iterator_hook` only for callbacks whose own class defines it
    (ProxyLogging.callback_capabilities); the bundle's is a plain method returning the wrapped stream."""
    from litellm.integrations.custom_logger import CustomLogger

    from router_hooks.hook import AgentRouterHook

    declared = inspect.signature(CustomLogger.async_post_call_streaming_iterator_hook)
    assert list(declared.parameters)[1:] == ["user_api_key_dict", "response", "request_data"]
    assert list(inspect.signature(AgentRouterHook.async_post_call_streaming_iterator_hook).parameters)[1:] == \
        ["user_api_key_dict", "response", "request_data"]
    source = inspect.getsource(importlib.import_module("litellm.proxy.utils"))
    assert '"async_post_call_streaming_iterator_hook" in cls_attrs' in source
    assert "async_post_call_streaming_iterator_hook" in vars(AgentRouterHook)


def test_success_hook_signature() -> None:
    from litellm.integrations.custom_logger import CustomLogger

    declared = inspect.signature(CustomLogger.async_post_call_success_hook)
    assert list(declared.parameters)[1:] == ["data", "user_api_key_dict", "response"]


def test_a_plain_response_id_is_its_own_decrypted_form() -> None:
    from litellm.proxy.hooks.responses_id_security import decrypted_response_id

    from router_hooks.decision_store import canonical_response_id

    assert decrypted_response_id("chatcmpl-abc") == "chatcmpl-abc"
    assert canonical_response_id("chatcmpl-abc") == "chatcmpl-abc"
