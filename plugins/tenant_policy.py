"""A tenant's routing policy: the `agent_router` block of a key's or team's metadata, validated
against the YAML and merged field by field, key over team over the YAML.

    {"agent_router": {"intent_models": {"reasoning": "llama"}, "default_model": "llama",
                      "classifier": "keyword", "thresholds": {"high": 0.7, "medium": 0.4, "low": 0.2},
                      "budget": {"at": 0.8, "intent_models": {"reasoning": "llama"}}}}

`intent_models` overrides only the `model` of the YAML's `intents.<name>`. Models must be ones the
YAML routes; `classifier` must be the one the proxy loaded (a tenant cannot load another).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plugins.budget import Budget
from plugins.config import RouterConfig, Thresholds

POLICY_KEY = "agent_router"


class PolicyError(ValueError):
    """A tenant's block does not validate; the message names the field, never the key."""


class PolicyBlock(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    intent_models: Mapping[str, str] = Field(default_factory=dict)
    default_model: str | None = None
    classifier: str | None = None
    thresholds: Thresholds | None = None
    budget: Budget | None = None


@dataclass(frozen=True)
class TenantPolicy:
    """The policy a caller is routed by: the YAML's config with the tenant's fields applied."""

    config: RouterConfig
    budget: Budget | None = None
    #: Which blocks applied ("key", "team"): empty for the YAML's own policy.
    sources: tuple[str, ...] = field(default=())


def block_of(metadata: Any) -> Any:
    """The raw `agent_router` block of a key's or team's metadata (None when absent)."""
    return metadata.get(POLICY_KEY) if isinstance(metadata, Mapping) else None


def parse_block(raw: Any, config: RouterConfig) -> PolicyBlock:
    """Validate one block against the YAML; PolicyError says what is wrong."""
    try:
        block = PolicyBlock.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError("; ".join(f"{'.'.join(str(p) for p in e['loc']) or POLICY_KEY}: {e['msg']}"
                                    for e in exc.errors())) from exc
    routed = set(config.models)
    budget_models = block.budget.intent_models if block.budget is not None else {}
    for where, mapping in (("intent_models", block.intent_models), ("budget.intent_models", budget_models)):
        for intent, model in mapping.items():
            if intent not in config.intents:
                raise PolicyError(f"{where}: unknown intent {intent!r}")
            if model not in routed:
                raise PolicyError(f"{where}.{intent}: {model!r} is not a model the router routes to")
    if block.default_model is not None and block.default_model not in routed:
        raise PolicyError(f"default_model: {block.default_model!r} is not a model the router routes to")
    if block.classifier is not None and block.classifier != config.classifier:
        raise PolicyError(f"classifier: {block.classifier!r} is not loaded (this proxy runs {config.classifier!r})")
    return block


def merge(config: RouterConfig, blocks: Mapping[str, PolicyBlock]) -> TenantPolicy:
    """`blocks` in precedence order (key first): each field from the first block that sets it."""
    if not blocks:
        return TenantPolicy(config, config.budget)
    ordered = list(blocks.values())
    intent_models: dict[str, str] = {}
    budget_models: dict[str, str] = dict(config.budget.intent_models) if config.budget else {}
    at = config.budget.at if config.budget else None
    for block in reversed(ordered):  # YAML, then team, then key: the later one wins
        intent_models.update(block.intent_models)
        if block.budget is not None:
            budget_models.update(block.budget.intent_models)
            at = block.budget.at if block.budget.at is not None else at
    default_model = next((b.default_model for b in ordered if b.default_model), config.default_model)
    thresholds = next((b.thresholds for b in ordered if b.thresholds), config.thresholds)
    intents = {name: intent.model_copy(update={"model": intent_models[name]}) if name in intent_models
               else intent for name, intent in config.intents.items()}
    tenant = config.model_copy(update={"intents": intents, "default_model": default_model,
                                       "thresholds": thresholds})
    budget = Budget(at=at, intent_models=budget_models) if at is not None else None
    return TenantPolicy(tenant, budget, tuple(blocks))


@dataclass(frozen=True)
class Caller:
    """What routing needs to know about one request's caller."""

    policy: TenantPolicy
    #: Intents the caller's budget moves (empty: under its `budget.at`, or no budget).
    budget_models: Mapping[str, str] = field(default_factory=dict)
    #: The models it may be routed to (None: all).
    allowed: frozenset[str] | None = None
    #: The key's own `router_settings.fallbacks` as chains (None: the YAML's), LiteLLM's key-level
    #: routing data, read where the hook walks a chain (access, context window, health).
    chains: Mapping[str, tuple[str, ...]] | None = None

    def chain(self, model: str, default: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
        return (self.chains if self.chains is not None else default).get(model, ())
