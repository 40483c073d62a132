"""The learning loop's settings (issue 19): `agent_router.feedback` and `agent_router.shadow`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ClassifierKind = Literal["keyword", "learned", "hybrid", "encoder"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedbackSettings(Frozen):
    """Decision handles for `POST /router/feedback` (issue 19): each routed response's decision is
    kept this long under the response id the client received; in this process's memory (at most
    `max_entries`, oldest dropped first), or in Redis when `router_settings` configures one."""

    enabled: bool = True
    # A day: long enough for a user's thumbs-down or a reviewer's pass the same day.
    ttl_seconds: int = Field(default=86400, ge=1, le=30 * 86400)
    # ~0.5 KB each: 50 000 handles are ~25 MB per worker.
    max_entries: int = Field(default=50_000, ge=1, le=10_000_000)


class ShadowSettings(Frozen):
    """A candidate classifier run after the response on sampled routed requests (issue 19), off the
    request path; its agreement with the live one is `agent_router_shadow_decisions_total`."""

    classifier: ClassifierKind
    # The candidate's artifact directory (learned or encoder, by its manifest); unset = the packaged one.
    model: str | None = None
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # Samples waiting for the worker; beyond it they are dropped and counted, never waited for.
    queue: int = Field(default=256, ge=1, le=100_000)

    @model_validator(mode="after")
    def _model_used(self) -> ShadowSettings:
        if self.model is not None and self.classifier == "keyword":
            raise ValueError("shadow.model is read only by a model classifier (learned, encoder, hybrid), not keyword")
        return self


class CaptureSettings(Frozen):
    """Opt-in capture of routed requests for retraining (issue 19): scrubbed JSON Lines in `dir`,
    one file at a time per worker process, rotated at `max_mb` and pruned to `max_files` per worker."""

    dir: str
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    max_mb: float = Field(default=64.0, gt=0.0, le=100_000.0)
    max_files: int = Field(default=8, ge=1, le=10_000)

    @property
    def max_bytes(self) -> int:
        return max(1, int(self.max_mb * 1024 * 1024))
