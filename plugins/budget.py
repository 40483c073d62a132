"""Budget-aware routing: when a caller's spend reaches a share of its max budget, some intents go
to cheaper models. The `budget` block of the YAML and of a key's or team's `agent_router` policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Budget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The share of the max budget (0 < at <= 1) from which `intent_models` apply.
    at: float | None = Field(default=None, gt=0.0, le=1.0)
    #: intent -> the model it goes to once the share is reached.
    intent_models: Mapping[str, str] = Field(default_factory=dict)


def spend_share(spend: Any, max_budget: Any) -> float | None:
    """spend / max_budget; None when either figure is missing, not a number, or the budget is not
    positive (a max budget of 0 says nothing about how much of it is used)."""
    numbers = (int, float)
    if isinstance(spend, bool) or isinstance(max_budget, bool):
        return None
    if not isinstance(spend, numbers) or not isinstance(max_budget, numbers) or max_budget <= 0:
        return None
    return max(0.0, float(spend)) / float(max_budget)


def caller_share(key: tuple[Any, Any], team: tuple[Any, Any]) -> float | None:
    """The caller's (spend, max budget) share: the key's when it has a budget, else its team's."""
    share = spend_share(*key)
    return share if share is not None else spend_share(*team)
