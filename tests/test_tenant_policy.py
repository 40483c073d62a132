"""Tenant policies (issue 20): the `agent_router` block of key and team metadata, validated against
the YAML, merged key over team over YAML; invalid blocks never fail a request."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from plugins.budget import caller_share, spend_share
from plugins.config import load_config
from plugins.policies import Policies, budget_models
from tests.support.cluster import CONFIG

CONFIG_ = load_config(CONFIG)
TOKEN = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"  # LiteLLM's hash of a key


def policies() -> tuple[Policies, list[str]]:
    errors: list[str] = []
    return Policies(CONFIG_, errors.append), errors


def meta(**block: Any) -> dict[str, Any]:
    return {"agent_router": block, "owner": "someone@example.com"}


def test_no_block_is_the_yaml_policy() -> None:
    p, errors = policies()
    assert p.resolve(TOKEN, {}, None, None) is p.default
    assert p.resolve(TOKEN, None, "t1", {"other": 1}).config is CONFIG_ and errors == []


def test_key_over_team_over_yaml_field_by_field() -> None:
    p, errors = policies()
    policy = p.resolve(TOKEN, meta(intent_models={"reasoning": "llama"}, thresholds={"high": 0.9}),
                       "t1", meta(intent_models={"reasoning": "qwen-coder", "code": "deepseek-r1"},
                                  default_model="deepseek-r1", budget={"at": 0.5, "intent_models": {"code": "llama"}}))
    assert policy.config.model_for("reasoning") == "llama"  # key
    assert policy.config.model_for("code") == "deepseek-r1"  # team
    assert policy.config.model_for("general") == CONFIG_.model_for("general")  # YAML
    assert policy.config.default_model == "deepseek-r1" and policy.config.thresholds.high == 0.9
    assert policy.budget is not None and policy.budget.at == 0.5 and policy.sources == ("key", "team")
    assert CONFIG_.model_for("reasoning") == "deepseek-r1"  # the YAML's own config is untouched
    assert errors == []


@pytest.mark.parametrize("block", [
    "llama",  # not an object
    {"intent_models": {"reasoning": 3}},  # wrong type
    {"intent_models": {"poetry": "llama"}},  # unknown intent
    {"intent_models": {"code": "outside-model"}},  # a model the YAML does not route
    {"default_model": "gpt-4o"},
    {"classifier": "encoder"},  # not the loaded classifier
    {"thresholds": {"high": 0.1, "low": 0.5}},
    {"budget": {"at": 0}},  # a share of 0 would move every request
    {"budget": {"at": 0.8, "intent_models": {"code": "nope"}}},
    {"unknown_field": 1},
])
def test_an_invalid_key_block_falls_back_warns_once_and_counts(
    block: Any, caplog: pytest.LogCaptureFixture
) -> None:
    p, errors = policies()
    with caplog.at_level(logging.WARNING, logger="plugins.policies"):
        for _ in range(3):
            policy = p.resolve(TOKEN, {"agent_router": block}, "t1", meta(intent_models={"code": "llama"}))
            assert policy.config.model_for("code") == "llama"  # the team's block still serves
    assert errors == ["key"] * 3
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"key {TOKEN[:12]} " in warnings[0], warnings
    assert TOKEN not in warnings[0] and "example.com" not in warnings[0]


def test_an_invalid_team_block_names_the_team() -> None:
    p, errors = policies()
    assert p.resolve(None, None, "team-a", meta(default_model=7)) is not None
    assert errors == ["team"]


@pytest.mark.parametrize(("spend", "budget", "share"), [
    (8.0, 10.0, 0.8), (0, 10, 0.0), (5.0, 0.0, None), (5.0, None, None), (None, 10.0, None),
    ("5", 10.0, None), (True, 10.0, None), (-1.0, 10.0, 0.0),
])
def test_spend_share(spend: Any, budget: Any, share: float | None) -> None:
    assert spend_share(spend, budget) == share


def test_key_budget_first_then_team() -> None:
    assert caller_share((9.0, 10.0), (0.0, 100.0)) == 0.9
    assert caller_share((9.0, None), (50.0, 100.0)) == 0.5
    assert caller_share((None, 0.0), (None, None)) is None


def test_budget_models_apply_from_the_share() -> None:
    p, _ = policies()
    policy = p.resolve(TOKEN, meta(budget={"at": 0.8, "intent_models": {"reasoning": "llama"}}), None, None)
    assert budget_models(policy, (7.9, 10.0), (None, None)) == {}
    assert budget_models(policy, (8.0, 10.0), (None, None)) == {"reasoning": "llama"}
    assert budget_models(policy, (None, None), (None, None)) == {}  # no spend figures: no move
    assert budget_models(policy, (1.0, 0.0), (None, None)) == {}  # a max budget of 0
    assert budget_models(p.default, (10.0, 10.0), (None, None)) == {}  # the YAML sets no budget


def test_a_task_keeps_its_first_turns_budget_decision() -> None:
    """Decided at a task's first turn: a continuation (the same conversation view) keeps it even
    when the spend crosses `budget.at` in between; a new task sees the new spend."""
    import asyncio

    from litellm.proxy._types import UserAPIKeyAuth

    from tests.support.hooks import build_hook

    hook = build_hook().hook
    policy = meta(budget={"at": 0.8, "intent_models": {"reasoning": "llama"}})

    def turn(spend: float, content: str) -> str:
        token = UserAPIKeyAuth(api_key="sk-budget-test", metadata=policy, spend=spend, max_budget=10.0)
        body = {"model": "agent-router", "messages": [{"role": "user", "content": content}]}
        routed = asyncio.run(hook.async_pre_call_hook(token, None, body, "acompletion"))
        return str(routed["model"])

    task = "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it."
    assert turn(7.0, task) == "deepseek-r1"
    assert turn(9.0, task) == "deepseek-r1"  # the same task: its first turn was under budget
    other = "Prove that the square root of 2 is irrational, step by step."
    assert turn(9.0, other) == "llama"
    assert turn(1.0, other) == "llama"  # and a task started over budget stays there
