"""Per-model health: a small state machine fed by cheap probes and by real request outcomes.

A model turns unhealthy after `unhealthy_after` consecutive failures and healthy again after
`healthy_after` consecutive successes; one success resets the failure run and vice versa, so
sporadic errors among successes never flip it. Every model starts healthy: the monitor can be
wrong, and a proxy that has just started must not route traffic away on no evidence.

A model that has just recovered is on probation for `probation_seconds`: its first failure in that
window marks it unhealthy again at once, so a backend that comes back broken is not handed real
traffic for another `unhealthy_after` failures (no flapping between the two states).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from plugins.errors import ErrorType

logger = logging.getLogger(__name__)

Status = Literal["healthy", "unhealthy"]
Source = Literal["probe", "request"]

OnChange = Callable[[str, bool], None]


@dataclass(slots=True)
class ModelHealth:
    """What is known about one model group. Times are wall-clock seconds (epoch)."""

    status: Status = "healthy"
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_probe: float | None = None
    latency_ms: float | None = None
    # A fixed kind ("timeout", "connection", ...), never an upstream message.
    last_error: ErrorType | None = None
    last_failure_source: Source | None = None
    changed_at: float | None = None
    # Until then, one failure is enough to mark the model unhealthy again (it has just recovered).
    probation_until: float | None = None

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["last_probe"] = _iso(self.last_probe)
        body["changed_at"] = _iso(self.changed_at)
        body["probation_until"] = _iso(self.probation_until)
        return body


class HealthState:
    """The health of each known model; `on_change(model, healthy)` fires on every transition."""

    def __init__(
        self,
        models: Iterable[str],
        unhealthy_after: int,
        healthy_after: int,
        clock: Callable[[], float] = time.time,
        on_change: OnChange | None = None,
        probation_seconds: float = 0.0,
    ) -> None:
        if unhealthy_after < 1 or healthy_after < 1:
            raise ValueError(
                f"unhealthy_after ({unhealthy_after}) and healthy_after ({healthy_after}) "
                "must be >= 1"
            )
        self._models = {model: ModelHealth() for model in models}
        self._unhealthy_after = unhealthy_after
        self._healthy_after = healthy_after
        self._probation_seconds = probation_seconds
        self._clock = clock
        self._on_change = on_change
        if on_change is not None:
            for model in self._models:
                on_change(model, True)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self._models)

    def is_healthy(self, model: str) -> bool:
        """Models the monitor does not track count as healthy: no evidence, no rerouting."""
        health = self._models.get(model)
        return health is None or health.status == "healthy"

    def on_probation(self, model: str) -> bool:
        health = self._models.get(model)
        return (health is not None and health.probation_until is not None
                and self._clock() < health.probation_until)

    def get(self, model: str) -> ModelHealth | None:
        health = self._models.get(model)
        return None if health is None else replace(health)

    def snapshot(self) -> dict[str, ModelHealth]:
        return {model: replace(health) for model, health in self._models.items()}

    def _observed(self, model: str, latency_ms: float | None, source: Source) -> ModelHealth | None:
        """The model's record, stamped with the probe's time and latency when a probe saw it."""
        health = self._models.get(model)
        if health is not None and source == "probe":
            health.last_probe = self._clock()
            health.latency_ms = latency_ms
        return health

    def record_success(self, model: str, latency_ms: float | None = None,
                       source: Source = "probe") -> None:
        health = self._observed(model, latency_ms, source)
        if health is None:
            return
        health.consecutive_failures = 0
        health.consecutive_successes += 1
        if health.status == "unhealthy" and health.consecutive_successes >= self._healthy_after:
            self._change(model, health, "healthy")

    def record_failure(self, model: str, error: ErrorType, latency_ms: float | None = None,
                       source: Source = "probe") -> None:
        health = self._observed(model, latency_ms, source)
        if health is None:
            return
        health.last_error = error
        health.last_failure_source = source
        health.consecutive_successes = 0
        health.consecutive_failures += 1
        if health.status == "healthy" and (
            health.consecutive_failures >= self._unhealthy_after or self.on_probation(model)
        ):
            self._change(model, health, "unhealthy")

    def _change(self, model: str, health: ModelHealth, status: Status) -> None:
        health.status = status
        health.changed_at = self._clock()
        health.probation_until = (
            health.changed_at + self._probation_seconds
            if status == "healthy" and self._probation_seconds > 0 else None
        )
        logger.warning(
            "agent-router: model %s is now %s (last error: %s, from %s)",
            model, status, health.last_error, health.last_failure_source,
        )
        if self._on_change is not None:
            self._on_change(model, status == "healthy")


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
