"""When the monitor probes a model group next: rarely while it is well, often while it is not.

A steady healthy model is probed every `interval_seconds` (30 s shipped): probes are cheap but
not free, and real request failures report a dying model between probes anyway. A model with a
failure run, one that is unhealthy or one just recovered (on probation) is probed at the recovery
pace, so that detection and, above all, the return of traffic after a restart take seconds,
not minutes. A model that stays dead backs off (doubling) up to `recovery_max_interval_seconds`,
which is what bounds the time from "ready again" to "serving again".
"""

from __future__ import annotations

from plugins.config import HealthSettings
from plugins.health.state import ModelHealth


def probe_delay(health: ModelHealth | None, on_probation: bool, settings: HealthSettings) -> float:
    """Seconds from one probe of a group to the next, given what is known about it now.

    `health` is None for groups the state does not track (the virtual model): the steady pace.
    Never longer than `interval_seconds`, so an operator's short interval is honoured.
    """
    steady = settings.interval_seconds
    if health is None:
        return steady
    if health.consecutive_failures == 0:
        if health.status == "unhealthy":
            # Succeeding again: confirm quickly, `healthy_after` successes in a row are needed.
            return min(steady, settings.recovery_interval_seconds)
        if on_probation:
            # Just recovered: a relapse without traffic is caught within the back-off cap.
            return min(steady, settings.recovery_max_interval_seconds)
        return steady
    # Failing: the first re-check is quick (detection), then back off, capped.
    doubling = settings.recovery_interval_seconds * 2.0 ** min(health.consecutive_failures - 1, 30)
    return min(steady, settings.recovery_max_interval_seconds, doubling)
