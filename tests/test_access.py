"""plugins.access: combining LiteLLM's per-object answers into the models a caller may be routed to."""

from __future__ import annotations

from plugins.access import allowed_by, allowed_by_all, allowed_primary
from plugins.record import RoutingRecord
from plugins.routing import Route

TARGETS = ("llama", "qwen-coder", "deepseek-r1")


def test_a_list_naming_no_target_allows_every_target() -> None:
    assert allowed_by(TARGETS, lambda m: False) == frozenset(TARGETS)


def test_a_list_naming_targets_allows_those_only() -> None:
    assert allowed_by(TARGETS, lambda m: m == "llama") == {"llama"}


def test_key_and_team_must_both_allow() -> None:
    assert allowed_by_all(TARGETS, [lambda m: m == "llama", lambda m: False]) == {"llama"}
    assert allowed_by_all(TARGETS, [lambda m: m == "llama", lambda m: m == "qwen-coder"]) == frozenset()
    assert allowed_by_all(TARGETS, []) == frozenset(TARGETS)


def test_primary_is_the_first_allowed_model_of_the_chain_then_of_the_yaml() -> None:
    chain = ("llama", "deepseek-r1")
    assert allowed_primary("qwen-coder", chain, frozenset(TARGETS), TARGETS) == "qwen-coder"
    assert allowed_primary("qwen-coder", chain, frozenset({"deepseek-r1", "llama"}), TARGETS) == "llama"
    assert allowed_primary("qwen-coder", (), frozenset({"deepseek-r1"}), TARGETS) == "deepseek-r1"
    assert allowed_primary("qwen-coder", chain, frozenset(), TARGETS) is None


def record() -> RoutingRecord:
    return RoutingRecord.of(Route("qwen-coder", "code", 0.9, "high", False), None, "keyword", 0.0)


def test_reason_precedence_access_then_context_health_fallback_budget() -> None:
    access = record().with_primary("llama", "access")
    assert (access.chosen_model, access.policy_from) == ("llama", "qwen-coder")
    assert access.reason("llama") == "access" and not access.fallback_used("llama")
    assert access.rerouted("deepseek-r1", "health").reason("deepseek-r1") == "access"
    budget = record().with_primary("llama", "budget")
    assert budget.reason("llama") == "budget"
    assert budget.rerouted("deepseek-r1", "health").reason("deepseek-r1") == "health"
    assert budget.reason("qwen-coder") == "fallback"
    assert record().reason("qwen-coder") is None
