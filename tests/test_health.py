"""Health state machine, monitor, failover choice and health gate: injected clock and HTTP, no sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from plugins.config import ConfigError, HealthSettings, load_config, parse_config
from plugins.health.monitor import HealthMonitor, Outcome, health_url
from plugins.health.state import HealthState
from plugins.metrics.series import RouterMetrics
from plugins.prompt import Prompt
from plugins.routing import fallback_chains, first_available
from plugins.tenant_policy import Caller
from router_hooks.health_gate import HealthGate
from router_hooks.hook import AgentRouterHook
from router_hooks.router_view import DeploymentIndex
from router_hooks.routes import health_json, info_json
from scripts.stack import ROOT
from tests.support.clock import FakeClock
from tests.support.fake_router import API_BASES, FALLBACKS, MODELS, FakeRouter
from tests.support.hooks import build_hook

CONFIG = load_config(ROOT / "litellm_config.yaml")
# The wall clock the state and the gate see (2027-01-15T08:00:00Z); monitors measure from 0.
WALL = 1_800_000_000.0


def make_state(clock: FakeClock | None = None, changes: list[tuple[str, bool]] | None = None,
               n: int = 2, m: int = 2) -> HealthState:
    def record(model: str, healthy: bool) -> None:
        if changes is not None:
            changes.append((model, healthy))

    return HealthState(MODELS, unhealthy_after=n, healthy_after=m, clock=clock or FakeClock(WALL), on_change=record)


def make_gate(state: HealthState, router: FakeRouter | None = None) -> tuple[HealthGate, FakeRouter]:
    fake = router or FakeRouter()
    return HealthGate(state, HealthSettings(), DeploymentIndex(lambda: fake), wall_clock=FakeClock(WALL)), fake


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- state machine ---------------------------------------------------------------------------


def test_state_turns_unhealthy_after_n_failures_and_back_after_m_successes() -> None:
    clock, changes = FakeClock(WALL), list[tuple[str, bool]]()
    state = make_state(clock, changes, n=3, m=2)
    assert changes == [(m, True) for m in MODELS]  # the gauge starts at 1 for every model
    changes.clear()
    state.record_failure("qwen-coder", "connection")
    state.record_failure("qwen-coder", "connection")
    assert state.is_healthy("qwen-coder") and changes == []
    clock.advance(30)
    state.record_failure("qwen-coder", "timeout")
    assert not state.is_healthy("qwen-coder")
    assert changes == [("qwen-coder", False)]
    snap = state.snapshot()["qwen-coder"]
    assert snap.consecutive_failures == 3 and snap.last_error == "timeout"
    assert snap.changed_at == clock.now and snap.last_probe == clock.now
    state.record_success("qwen-coder", latency_ms=4.0)
    assert not state.is_healthy("qwen-coder")
    state.record_success("qwen-coder", latency_ms=3.0)
    assert state.is_healthy("qwen-coder") and changes[-1] == ("qwen-coder", True)
    assert state.snapshot()["qwen-coder"].consecutive_failures == 0
    assert all(h.status == "healthy" for h in state.snapshot().values())


def test_a_success_interrupts_a_failure_run() -> None:
    state = make_state(n=2)
    for _ in range(5):
        state.record_failure("llama", "http_5xx")
        state.record_success("llama", 1.0)
    assert state.is_healthy("llama")


def test_request_outcomes_feed_the_same_state_without_touching_probe_fields() -> None:
    state = make_state(n=2)
    state.record_failure("deepseek-r1", "connection", source="request")
    state.record_failure("deepseek-r1", "connection", source="request")
    snap = state.snapshot()["deepseek-r1"]
    assert snap.status == "unhealthy" and snap.last_failure_source == "request"
    assert snap.last_probe is None and snap.latency_ms is None


def test_unknown_models_count_as_healthy_and_are_not_tracked() -> None:
    state = make_state()
    state.record_failure("gpt-4o", "connection")
    assert state.is_healthy("gpt-4o") and "gpt-4o" not in state.snapshot()


@pytest.mark.parametrize(("unhealthy_after", "healthy_after", "named"),
                         [(0, 1, r"unhealthy_after \(0\)"), (1, 0, r"and healthy_after \(0\)")])
def test_state_rejects_zero_thresholds(unhealthy_after: int, healthy_after: int, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        HealthState(MODELS, unhealthy_after=unhealthy_after, healthy_after=healthy_after)


def test_snapshot_json_has_the_documented_fields() -> None:
    state = make_state(FakeClock(WALL))
    state.record_success("llama", 2.5)
    body = state.snapshot()["llama"].as_json()
    assert body["status"] == "healthy" and body["latency_ms"] == 2.5
    assert body["last_probe"] == "2027-01-15T08:00:00.000+00:00"
    assert body["consecutive_failures"] == 0


# -- config ------------------------------------------------------------------------------


def test_health_section_is_optional_with_defaults() -> None:
    document = {"agent_router": {"default_model": "llama", "intents": {"general": {"model": "llama"}}}}
    defaults = parse_config(document).health
    assert (defaults.interval_seconds, defaults.timeout_seconds) == (30.0, 2.0)
    assert (defaults.unhealthy_after, defaults.healthy_after, defaults.path) == (2, 2, "/health")
    assert CONFIG.health.interval_seconds == 30.0  # what the shipped YAML says


@pytest.mark.parametrize(("field", "value"), [("interval_seconds", 0), ("timeout_seconds", -1),
                                              ("unhealthy_after", 0), ("path", "health"), ("jitter", 1)])
def test_bad_health_settings_name_the_field(field: str, value: Any) -> None:
    document = {"agent_router": {"default_model": "llama", "intents": {"general": {"model": "llama"}},
                                 "health": {field: value}}}
    with pytest.raises(ConfigError, match=rf"agent_router\.health\.{field}"):
        parse_config(document, "test.yaml")


# -- monitor -----------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "url"), [
    ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/health"),
    ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/health"),
    ("http://h:9000", "http://h:9000/health"),
    ("https://gw.example/team/v1", "https://gw.example/team/health"),
])
def test_health_url_is_at_the_server_root(base: str, url: str) -> None:
    assert health_url(base) == url


def make_monitor(handler: Any, targets: dict[str, Sequence[str]], state: HealthState,
                 clock: FakeClock | None = None, **settings: Any) -> HealthMonitor:
    return HealthMonitor(state, HealthSettings(**settings), lambda: targets,
                         transport=httpx.MockTransport(handler), clock=clock or FakeClock())


def test_probe_round_feeds_successes_and_each_failure_kind() -> None:
    clock = FakeClock()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        port = request.url.port
        if port == 8081:
            raise httpx.ConnectError("refused", request=request)
        if port == 8082:
            return httpx.Response(503)
        clock.advance(0.004)  # the "server" takes 4 ms
        return httpx.Response(200)

    state = make_state(n=1)
    targets: dict[str, Sequence[str]] = {m: [health_url(API_BASES[m])] for m in MODELS}
    run(make_monitor(handler, targets, state, clock).probe_once())
    snap = state.snapshot()
    assert sorted(seen) == sorted(targets[m][0] for m in MODELS)
    assert snap["llama"].status == "healthy" and snap["llama"].latency_ms == pytest.approx(4.0)
    assert (snap["qwen-coder"].status, snap["qwen-coder"].last_error) == ("unhealthy", "connection")
    assert (snap["deepseek-r1"].status, snap["deepseek-r1"].last_error) == ("unhealthy", "http_5xx")


def test_probe_timeout_is_a_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    state = make_state(n=1)
    run(make_monitor(handler, {"llama": ["http://x/health"]}, state, timeout_seconds=0.1).probe_once())
    assert state.snapshot()["llama"].last_error == "timeout"


def test_a_model_passes_when_any_of_its_deployments_answers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.url.host == "b" else 500)

    state = make_state(n=1)
    run(make_monitor(handler, {"llama": ["http://a/health", "http://b/health"]}, state).probe_once())
    assert state.is_healthy("llama")


def test_a_url_shared_by_groups_is_probed_once_and_every_outcome_is_reported() -> None:
    seen: list[str] = []
    reported: list[Mapping[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    async def on_round(outcomes: Mapping[str, Any]) -> None:
        reported.append(outcomes)

    # "agent-router" is not tracked (not in the state) but shares llama's backend.
    targets = {"llama": ["http://a/health"], "agent-router": ["http://a/health"], "qwen-coder": ["http://b/health"]}
    monitor = HealthMonitor(make_state(), HealthSettings(), lambda: targets,
                            transport=httpx.MockTransport(handler), clock=FakeClock(), on_round=on_round)
    run(monitor.probe_once())
    assert sorted(seen) == ["http://a/health", "http://b/health"]
    assert reported == [{"http://a/health": (None, 0.0), "http://b/health": (None, 0.0)}]


class ClosingTransport(httpx.MockTransport):
    """A mock transport that records being closed (an AsyncClient closes its transport)."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True


def test_run_probes_a_healthy_model_every_interval_and_closes_its_client() -> None:
    clock = FakeClock()
    probed: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        probed.append(clock.now)
        clock.advance(0.5)  # each round takes half a second of probing
        return httpx.Response(200)

    state = make_state(n=3)
    transport = ClosingTransport(handler)
    monitor = HealthMonitor(state, HealthSettings(interval_seconds=5.0), lambda: {"llama": ["http://a/health"]},
                            transport=transport, clock=clock, sleep=clock.async_sleep)
    run(monitor.run(max_rounds=3))
    # The interval runs from one probe's start to the next; the loop wakes in between (every
    # recovery_interval_seconds) only to look, it does not probe.
    assert monitor.rounds == 3 and probed == pytest.approx([0.0, 5.0, 10.0])
    assert state.is_healthy("llama")
    assert transport.closed


def test_monitor_waits_while_there_are_no_targets_and_survives_a_broken_round() -> None:
    calls = 0

    def targets() -> dict[str, list[str]]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("router reloading")
        return {}

    monitor = HealthMonitor(make_state(), HealthSettings(), targets, sleep=FakeClock().async_sleep)
    run(monitor.run(max_rounds=1))  # round 1: nothing to probe; round 2 raises and is counted
    assert calls == 2 and monitor.rounds == 1


def test_start_is_idempotent_and_stop_ends_the_task() -> None:
    async def scenario() -> tuple[bool, bool]:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

        monitor = make_monitor(handler, {"llama": ["http://a/health"]}, make_state(), interval_seconds=3600)
        first = monitor.start()
        assert monitor.start() is first  # idempotent: one monitor per process
        await asyncio.sleep(0)  # one turn of the loop: the task has begun, not just been scheduled
        running = monitor.running
        await monitor.stop()
        return running, monitor.running

    assert run(scenario()) == (True, False)


# -- failover policy ---------------------------------------------------------------------


def test_fallback_chains_skip_malformed_entries_and_keep_the_first_per_model() -> None:
    chains = fallback_chains([*FALLBACKS, "junk", {"x": "not-a-list"}, {"qwen-coder": ["ignored"]}])
    assert chains["qwen-coder"] == ("llama", "deepseek-r1") and "x" not in chains
    assert fallback_chains(None) == {}


def test_first_available_is_the_primary_then_the_chain_in_order_else_the_primary() -> None:
    chain = ("llama", "deepseek-r1")
    assert first_available("qwen-coder", chain, lambda m: True) == "qwen-coder"
    assert first_available("qwen-coder", chain, lambda m: m != "qwen-coder") == "llama"
    assert first_available("qwen-coder", chain, lambda m: m == "deepseek-r1") == "deepseek-r1"
    assert first_available("qwen-coder", chain, lambda m: False) == "qwen-coder"  # attempt anyway


# -- the gate: monitor state + LiteLLM cooldowns ---------------------------------------------


def test_gate_reroutes_around_an_unhealthy_primary_and_back() -> None:
    state = make_state(n=1, m=1)
    gate, _ = make_gate(state)
    assert run(gate.reroute("qwen-coder")) == "qwen-coder"
    state.record_failure("qwen-coder", "connection")
    assert run(gate.reroute("qwen-coder")) == "llama"
    state.record_failure("llama", "connection")
    assert run(gate.reroute("qwen-coder")) == "deepseek-r1"
    state.record_success("qwen-coder", 1.0)
    assert run(gate.reroute("qwen-coder")) == "qwen-coder"


def test_gate_treats_a_cooled_down_group_as_unavailable() -> None:
    gate, router = make_gate(make_state())
    router.cooldowns.cool_down("id-qwen-coder", started=WALL - 10, seconds=30)
    assert run(gate.reroute("qwen-coder")) == "llama"
    assert run(gate.cooldowns(MODELS)) == {"qwen-coder": 20.0}


def test_gate_sees_deployments_added_after_start() -> None:
    gate, router = make_gate(make_state())
    assert run(gate.cooldowns(MODELS)) == {}
    # A second qwen-coder deployment (e.g. added in the admin UI): one cooled deployment is no
    # longer the whole group, and the new one is picked up without a restart.
    router.add_deployment("qwen-coder", "http://127.0.0.1:9081/v1", "id-qwen-2")
    router.cooldowns.cool_down("id-qwen-coder", started=WALL, seconds=30)
    assert run(gate.reroute("qwen-coder")) == "qwen-coder"
    router.cooldowns.cool_down("id-qwen-2", started=WALL, seconds=30)
    assert run(gate.reroute("qwen-coder")) == "llama"


def test_gate_targets_skip_deployments_without_api_base() -> None:
    router = FakeRouter()
    router.add_deployment("cloud", api_base=None, model_id=None)  # e.g. openai/gpt-4o: nothing to probe
    gate, _ = make_gate(make_state(), router)
    targets = gate.targets()
    assert targets["qwen-coder"] == ["http://127.0.0.1:8081/health"]
    assert targets["agent-router"] == ["http://127.0.0.1:8080/health"] and "cloud" not in targets


def test_gate_publishes_probe_results_per_deployment_only_when_litellm_uses_them() -> None:
    gate, router = make_gate(make_state())
    outcomes: dict[str, Outcome] = {
        "http://127.0.0.1:8080/health": (None, 2.0), "http://127.0.0.1:8081/health": ("connection", None),
    }
    run(gate.publish(outcomes))
    assert router.health_states.writes == []  # enable_health_check_routing is off
    router.enable_health_check_routing = True
    run(gate.publish(outcomes))
    (written,) = router.health_states.writes
    assert written["id-qwen-coder"] == {"is_healthy": False, "timestamp": WALL, "reason": "connection"}
    assert written["id-llama"]["is_healthy"] is True and written["id-virtual"]["is_healthy"] is True
    assert "id-deepseek-r1" not in written  # not probed this round


def test_gate_counts_only_backend_failures() -> None:
    state = make_state(n=1)
    gate, _ = make_gate(state)
    gate.observe("llama", "http_4xx")
    gate.observe("llama", "rate_limit")
    assert state.is_healthy("llama")
    gate.observe("llama", "http_5xx")
    assert not state.is_healthy("llama")


def test_outage_message_only_when_the_whole_chain_is_unhealthy() -> None:
    state = make_state(n=1)
    gate, _ = make_gate(state)
    state.record_failure("qwen-coder", "connection")
    state.record_failure("llama", "connection")
    assert gate.outage_message("qwen-coder") is None
    state.record_failure("deepseek-r1", "connection")
    message = gate.outage_message("qwen-coder")
    assert message is not None and "qwen-coder, llama, deepseek-r1" in message
    assert run(gate.reroute("qwen-coder")) == "qwen-coder"  # still attempted


# -- through the hook --------------------------------------------------------------------


class ConnectionFailure(Exception):
    """Stands in for litellm.APIConnectionError (matched by class name)."""


ConnectionFailure.__name__ = "APIConnectionError"


def make_hook(state: HealthState) -> tuple[AgentRouterHook, FakeRouter, CollectorRegistry]:
    gate, router = make_gate(state)
    made = build_hook(health=gate)
    return made.hook, router, made.registry


CODE = {"model": "agent-router", "messages": [{"role": "user", "content": "fix this python function bug"}]}


def test_hook_sends_an_unhealthy_intent_straight_to_its_fallback() -> None:
    state = make_state(n=1)
    hook, _, _ = make_hook(state)
    routed = run(hook.async_pre_call_hook(None, None, dict(CODE), "acompletion"))
    assert routed["model"] == "qwen-coder"
    state.record_failure("qwen-coder", "connection")
    routed = run(hook.async_pre_call_hook(None, None, dict(CODE), "acompletion"))
    assert routed["model"] == "llama"
    record = routed["metadata"]["agent_router"]
    assert (record.chosen_model, record.routed_model, record.route_reason) == ("qwen-coder", "llama", "health")


def test_health_reroutes_stay_within_the_callers_models() -> None:
    """Issue 20: qwen-coder's chain is llama, deepseek-r1; a caller without llama goes to deepseek-r1."""
    state = make_state(n=1)
    hook, _, _ = make_hook(state)
    state.record_failure("qwen-coder", "connection")
    caller = Caller(hook.policies.default, {}, frozenset({"qwen-coder", "deepseek-r1"}))
    record = run(hook.route(Prompt("fix this python function bug"), caller=caller))
    assert (record.chosen_model, record.routed_model, record.reason("deepseek-r1")) == (
        "qwen-coder", "deepseek-r1", "health")
    state.record_failure("deepseek-r1", "connection")  # nothing allowed is healthy: the primary is tried
    assert run(hook.route(Prompt("fix this python function bug"), caller=caller)).routed_model == "qwen-coder"


def test_hook_failure_events_mark_a_model_unhealthy() -> None:
    state = make_state(n=2)
    hook, _, registry = make_hook(state)
    attempt = {"metadata": {"model_group": "deepseek-r1"}}  # one failed deployment attempt
    run(hook.async_post_call_failure_deployment_hook(attempt, ConnectionFailure(), None))
    assert state.is_healthy("deepseek-r1")
    run(hook.async_post_call_failure_deployment_hook(attempt, ConnectionFailure(), None))
    assert not state.is_healthy("deepseek-r1")
    assert registry.get_sample_value(
        "agent_router_errors_total", {"model": "deepseek-r1", "error_type": "connection"}) == 2.0


def test_hook_turns_a_total_outage_into_a_clear_503() -> None:
    state = make_state(n=1)
    hook, _, _ = make_hook(state)
    routed = run(hook.async_pre_call_hook(None, None, dict(CODE), "acompletion"))
    assert run(hook.async_post_call_failure_hook(routed, RuntimeError("x"), None)) is None
    for model in MODELS:
        state.record_failure(model, "connection")
    error = run(hook.async_post_call_failure_hook(routed, RuntimeError("x"), None))
    assert error is not None and error.status_code == 503
    assert "all unhealthy" in error.detail["error"]["message"]


def test_gauge_follows_the_state_when_wired_to_metrics() -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(CONFIG.models, CONFIG.intents, registry=registry)
    state = HealthState(CONFIG.models, 1, 1, on_change=metrics.health)
    assert registry.get_sample_value("agent_router_model_health", {"model": "qwen-coder"}) == 1.0
    state.record_failure("qwen-coder", "connection")
    assert registry.get_sample_value("agent_router_model_health", {"model": "qwen-coder"}) == 0.0


# -- endpoint bodies ---------------------------------------------------------------------


def test_health_and_info_bodies_report_state_cooldowns_and_settings() -> None:
    state = make_state(n=1)
    hook, router, _ = make_hook(state)
    assert hook.health is not None
    state.record_failure("deepseek-r1", "connection")
    router.cooldowns.cool_down("id-deepseek-r1", started=WALL, seconds=30)
    models = run(health_json(hook.health))
    assert set(models) == set(MODELS)
    assert models["deepseek-r1"]["status"] == "unhealthy"
    assert models["deepseek-r1"]["cooldown"] == {"active": True, "remaining_seconds": 30.0}
    assert {"status", "last_probe", "latency_ms", "consecutive_failures"} <= set(models["llama"])
    info = run(info_json(hook, hook.health, None))
    assert info["classifier"] == "keyword" and info["version"]
    assert info["intent_models"] == {"code": "qwen-coder", "reasoning": "deepseek-r1", "general": "llama"}
    assert info["intents"]["code"]["keywords"] == len(CONFIG.intents["code"].keywords)
    assert info["fallbacks"]["qwen-coder"] == ["llama", "deepseek-r1"]
    assert info["requests"]["total"] == {"success": 0, "error": 0}
    assert info["health_monitor"]["running"] is False


def test_disabled_health_records_no_request_failures_and_never_reroutes() -> None:
    state = make_state(n=1)
    gate = HealthGate(state, HealthSettings(enabled=False), DeploymentIndex(lambda: FakeRouter()),
                      wall_clock=FakeClock(WALL))
    gate.observe("qwen-coder", "connection")
    assert state.is_healthy("qwen-coder")
    assert run(gate.reroute("qwen-coder")) == "qwen-coder"
    assert gate.outage_message("qwen-coder") is None


def test_a_deployment_replaced_in_place_is_seen_by_the_gate() -> None:
    state = make_state()
    gate, router = make_gate(state)
    router.cooldowns.cool_down("id-new", started=WALL, seconds=30)
    assert run(gate.cooldowns(["qwen-coder"])) == {}
    router.model_list[1]["model_info"]["id"] = "id-new"  # same list object, same length
    assert run(gate.cooldowns(["qwen-coder"])) == {"qwen-coder": 30.0}


def test_the_callers_own_chain_replaces_the_yamls() -> None:
    """A key's router_settings.fallbacks (Caller.chains) decide where access and health send it."""
    state = make_state(n=1)
    hook, _, _ = make_hook(state)
    own = {"qwen-coder": ("deepseek-r1", "llama")}
    caller = Caller(hook.policies.default, {}, frozenset({"llama", "deepseek-r1"}), own)
    record = run(hook.route(Prompt("fix this python function bug"), caller=caller))
    assert (record.chosen_model, record.policy_reason) == ("deepseek-r1", "access")  # the YAML's: llama
    state.record_failure("qwen-coder", "connection")
    everyone = Caller(hook.policies.default, {}, None, own)
    assert run(hook.route(Prompt("fix this python function bug"), caller=everyone)).routed_model == "deepseek-r1"
