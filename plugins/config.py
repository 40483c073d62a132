"""The router's typed, frozen configuration, read once at proxy start-up.

The settings live under a top-level `agent_router:` key of the LiteLLM config file, beside the
`model_list` they refer to, so one file is validated as a whole: an intent mapped to a model that
`model_list` does not define stops start-up with an error naming the file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plugins.budget import Budget
from plugins.encoder_config import EncoderSettings

# Re-exported: the classifier kinds and the loop's settings are part of this module's config vocabulary.
from plugins.loop_config import CaptureSettings as CaptureSettings
from plugins.loop_config import ClassifierKind as ClassifierKind
from plugins.loop_config import FeedbackSettings as FeedbackSettings
from plugins.loop_config import ShadowSettings as ShadowSettings

SECTION = "agent_router"
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    """The router configuration is invalid; the message names the file and the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Thresholds(_Frozen):
    """Confidence levels: at or above `high` is high, and so on; below `low` the default serves."""

    high: float = Field(default=0.7, ge=0.0, le=1.0)
    medium: float = Field(default=0.4, ge=0.0, le=1.0)
    low: float = Field(default=0.2, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.low <= self.medium <= self.high:
            raise ValueError("thresholds must satisfy low <= medium <= high")
        return self

    def level(self, confidence: float) -> Literal["high", "medium", "low"]:
        """The label for a confidence; everything under `medium` is `low`."""
        if confidence >= self.high:
            return "high"
        if confidence >= self.medium:
            return "medium"
        return "low"


class Keyword(_Frozen):
    """A pattern matched case-insensitively on word boundaries, with its weight."""

    pattern: str
    weight: float = Field(1.0, gt=0.0, le=10.0)

    @field_validator("pattern")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("keyword must not be empty")
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"keyword {value!r} is not a valid regular expression: {exc}") from exc
        return value


class Intent(_Frozen):
    model: str
    keywords: tuple[Keyword, ...] = ()

    @field_validator("keywords", mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        # Operators mostly write plain strings; a mapping allows a weight.
        if isinstance(value, list | tuple):
            return tuple({"pattern": v} if isinstance(v, str) else v for v in value)
        return value


# The model classifier `hybrid` mixes its keyword scores into.
HybridBase = Literal["learned", "encoder"]


class MetricsSettings(_Frozen):
    """The separate Prometheus exporter (`http://host:port/metrics`) and the fallback-rate window.

    8001 is the address the original deployment was scraped at; MAX Serve's own metrics default to
    8001 too, so local MAX processes are moved (`make run` uses 8101-8103). The exporter has no
    authentication, so it binds loopback unless told otherwise (compose sets
    AGENT_ROUTER_METRICS_HOST=0.0.0.0 inside its private network for Prometheus).
    """

    exporter: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=1, le=65535)
    # agent_router_fallback_rate covers the requests of the last `fallback_window_seconds`.
    fallback_window_seconds: int = Field(default=300, ge=10, le=86400)


class HealthSettings(_Frozen):
    """The health monitor: a cheap `GET <api_base root><path>` per deployment, not a generation.

    Detection takes at most about `interval_seconds + (unhealthy_after - 1) *
    recovery_interval_seconds + timeout_seconds`: after a first failure the model is probed at the
    recovery pace. Real request failures (connection errors, timeouts, 5xx) count too, so it is
    often faster.
    """

    enabled: bool = True
    interval_seconds: float = Field(default=30.0, gt=0.0, le=3600.0)
    # Short: a backend that cannot answer /health within this is not one to send users to.
    timeout_seconds: float = Field(default=2.0, gt=0.0, le=60.0)
    # One lost probe is noise; two in a row is a pattern.
    unhealthy_after: int = Field(default=2, ge=1, le=100)
    healthy_after: int = Field(default=2, ge=1, le=100)
    # A model that is failing (or recovering) is probed this often, not every `interval_seconds`:
    # a restarted model gets its traffic back within about
    # `recovery_max_interval_seconds + (healthy_after - 1) * recovery_interval_seconds` of being ready.
    recovery_interval_seconds: float = Field(default=1.0, gt=0.0, le=3600.0)
    # One that stays dead is probed with a doubling back-off, capped here (a refused connection is cheap).
    recovery_max_interval_seconds: float = Field(default=3.0, gt=0.0, le=3600.0)
    # After recovering, the first failure within this window marks the model unhealthy again at once.
    probation_seconds: float = Field(default=30.0, ge=0.0, le=86400.0)
    # MAX Serve answers `GET /health` at the server root (beside /v1); vLLM does the same.
    path: str = "/health"

    @model_validator(mode="after")
    def _back_off_ordered(self) -> HealthSettings:
        if self.recovery_max_interval_seconds < self.recovery_interval_seconds:
            raise ValueError("recovery_max_interval_seconds must be >= recovery_interval_seconds")
        return self

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("health.path must start with '/'")
        return value


class RouterConfig(_Frozen):
    """Everything the hook needs; built by `load_config` and never mutated."""

    virtual_model: str = "agent-router"
    default_model: str
    default_intent: str = "general"
    classifier: ClassifierKind = "keyword"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    intents: Mapping[str, Intent]
    # How much earlier turns and the system prompt count next to the latest user turn.
    context_weight: float = Field(0.3, ge=0.0, le=1.0)
    # The most characters of each text (latest turn, context, system prompt) any classifier reads;
    # longer ones are cut, head and tail kept, so cost stays bounded. The learned classifier reads at
    # most its artifact's own limit (600 for intent-v1), less when this is lower.
    max_chars: int = Field(4000, ge=100, le=1_000_000)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    # The learned classifier's artifact directory; unset means the one packaged in plugins/models.
    learned_model: str | None = None
    # In `hybrid`, the keyword classifier's share of the mixed scores (the model classifier has the rest).
    hybrid_keyword_weight: float = Field(0.25, ge=0.0, le=1.0)
    # In `hybrid`, the model classifier the keyword scores are mixed into.
    hybrid_base: HybridBase = "learned"
    # The encoder and its dispatcher; read only when the encoder runs (`encoder`, or `hybrid` over it).
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    # Issue 20: the default budget policy (a key's or team's `agent_router.budget` overrides it).
    budget: Budget | None = None
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    shadow: ShadowSettings | None = None
    # Off unless set: scrubbed captures of routed requests (docs/CONFIGURATION.md, "Capture").
    capture: CaptureSettings | None = None
    # The x-routing-metadata object also as `routing_metadata` in response bodies (docs/CONFIGURATION.md).
    metadata_in_body: bool = False

    @field_validator("intents")
    @classmethod
    def _slugs(cls, value: Mapping[str, Intent]) -> Mapping[str, Intent]:
        if not value:
            raise ValueError("at least one intent is required")
        for name in value:
            if not _SLUG.match(name):
                raise ValueError(f"intent name {name!r} must be a lowercase slug")
        return value

    @model_validator(mode="after")
    def _budget_intents_known(self) -> RouterConfig:
        unknown = set(self.budget.intent_models) - set(self.intents) if self.budget is not None else set()
        if unknown:
            raise ValueError(f"budget.intent_models: unknown intents {sorted(unknown)}")
        unrouted = set(self.budget.intent_models.values()) - set(self.models) if self.budget else set()
        if unrouted:
            raise ValueError(f"budget.intent_models: {sorted(unrouted)} are not routed models")
        return self

    @model_validator(mode="after")
    def _default_intent_known(self) -> RouterConfig:
        if self.default_intent not in self.intents:
            raise ValueError(f"default_intent {self.default_intent!r} is not one of the intents")
        return self

    @model_validator(mode="after")
    def _settings_used(self) -> RouterConfig:
        # A setting the selected classifier never reads would silently do nothing: refuse it.
        if "hybrid_keyword_weight" in self.model_fields_set and self.classifier != "hybrid":
            raise ValueError(f"hybrid_keyword_weight is read only by classifier: hybrid, not {self.classifier}")
        if self.learned_model is not None and self.classifier == "keyword":
            raise ValueError("learned_model is read only by classifier: learned, hybrid or encoder "
                             "(its fallback), not keyword")
        if "hybrid_base" in self.model_fields_set and self.classifier != "hybrid":
            raise ValueError(f"hybrid_base is read only by classifier: hybrid, not {self.classifier}")
        if "encoder" in self.model_fields_set and not self.uses_encoder:
            raise ValueError("encoder is read only by classifier: encoder (or hybrid with hybrid_base: "
                             f"encoder), not {self._classifier_name}")
        return self

    @property
    def uses_encoder(self) -> bool:
        """The encoder decides (alone or under hybrid's keywords): it runs in the dispatcher's pool."""
        return self.classifier == "encoder" or (self.classifier == "hybrid" and self.hybrid_base == "encoder")

    @property
    def _classifier_name(self) -> str:
        return f"hybrid over {self.hybrid_base}" if self.classifier == "hybrid" else self.classifier

    def model_for(self, intent: str) -> str:
        return self.intents[intent].model

    @property
    def models(self) -> tuple[str, ...]:
        """Every routed model, in first-mention order (default first): the metric label set."""
        names = [self.default_model, *(i.model for i in self.intents.values())]
        return tuple(dict.fromkeys(names))


def _check_models(config: RouterConfig, known: set[str], source: str) -> None:
    if not known:
        return
    fields = {"default_model": config.default_model}
    fields.update({f"intents.{n}.model": i.model for n, i in config.intents.items()})
    budget = config.budget.intent_models if config.budget is not None else {}
    fields.update({f"budget.intent_models.{n}": m for n, m in budget.items()})
    for field, model in fields.items():
        if model not in known:
            raise ConfigError(
                f"{source}: {SECTION}.{field}: unknown model {model!r}; "
                f"model_list defines {sorted(known)}"
            )
    if config.virtual_model not in known:
        raise ConfigError(
            f"{source}: {SECTION}.virtual_model: {config.virtual_model!r} must be in model_list "
            "(it is listed in /v1/models and serves when the router fails open)"
        )


def parse_config(document: Mapping[str, Any], source: str = "<config>") -> RouterConfig:
    """Validate the `agent_router` section of a LiteLLM config document."""
    section = document.get(SECTION)
    if not isinstance(section, Mapping):
        raise ConfigError(f"{source}: missing the top-level `{SECTION}:` section")
    try:
        config = RouterConfig.model_validate(section)
    except ValidationError as exc:
        problems = "; ".join(
            f"{SECTION}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}") from exc
    known = {
        str(entry.get("model_name"))
        for entry in document.get("model_list") or []
        if isinstance(entry, Mapping)
    }
    _check_models(config, known, source)
    return config


def load_config(path: str | Path) -> RouterConfig:
    """Read and validate a LiteLLM config file's router section; raise ConfigError if bad."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(document, Mapping):
        raise ConfigError(f"{path}: not a YAML mapping")
    return parse_config(document, str(path))
