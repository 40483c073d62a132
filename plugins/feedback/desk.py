"""`POST /router/feedback` without the web framework: the body's rules, who may report, the first
report counted once, and the totals `/router/info` shows.

Answers are (status, JSON body) in the error format of the other `/router/*` endpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, cast

from plugins.feedback.handle import Caller, DecisionHandle
from plugins.feedback.store import DecisionStore
from plugins.metrics.loop import SOURCES, LoopMetrics, Source
from plugins.record import RoutingRecord

# Longer than any id LiteLLM hands out (an encrypted Responses id is ~250 characters).
MAX_ID_CHARS: Final = 1024
FIELDS: Final = frozenset({"id", "intent", "source"})
Answer = tuple[int, dict[str, Any]]


def error(status: int, kind: str, message: str, param: str | None) -> Answer:
    return status, {"error": {"message": f"agent-router: {message}", "type": kind, "param": param,
                              "code": str(status)}}


class FeedbackDesk:
    def __init__(self, store: Callable[[], DecisionStore], metrics: LoopMetrics,
                 canonical: Callable[[str], str] = str, clock: Callable[[], float] = time.time,
                 on_feedback: Callable[[str, str, str], None] | None = None) -> None:
        """`store` is asked once, on first use (the proxy's Redis settings are read then);
        `canonical` maps an id as the client holds it to the one stored (LiteLLM encrypts
        Responses ids after some hooks saw them)."""
        self._store_source = store
        self._store: DecisionStore | None = None
        self.metrics = metrics
        self._canonical = canonical
        self._clock = clock
        # Called with (stored id, intent, source) for each counted report: capture appends it.
        self._on_feedback = on_feedback

    @property
    def store(self) -> DecisionStore:
        if self._store is None:
            self._store = self._store_source()
        return self._store

    async def record(self, response_id: str, surface: str, record: RoutingRecord, caller: Caller) -> str:
        """Store the decision; returns the id it is stored under."""
        handle = DecisionHandle.of(self._canonical(response_id), surface, record, caller, self._clock())
        await self.store.put(handle)
        return handle.id

    async def give(self, body: Any, caller: Caller) -> Answer:
        problem = check(body, self.metrics.intents)
        if problem is not None:
            return problem
        response_id, intent = str(body["id"]), str(body["intent"])
        source = cast(Source, body.get("source", "user"))
        handle = await self.store.get(self._canonical(response_id))
        if handle is None:
            return error(404, "not_found_error", "no routed decision has this id (unknown, not routed by "
                         "agent-router, or older than feedback.ttl_seconds)", "id")
        if not caller.owns(handle):
            return error(403, "permission_error", "feedback is taken from the key that made the request, "
                         "a key of its team, or an admin key", "id")
        counted = await self.store.claim(handle.id)
        if counted:
            self.metrics.feedback_given(handle.intent, intent, source)
            await self.store.tally(handle.intent, intent, source)
            if self._on_feedback is not None:
                self._on_feedback(handle.id, intent, source)
        return 200, {"id": response_id, "counted": counted, "predicted_intent": handle.intent,
                     "intent": intent, "source": source, "agreed": handle.intent == intent}

    async def summary(self) -> dict[str, Any]:
        """The counted reports: per predicted and reported intent, per source, and how often they agree."""
        matrix: dict[str, dict[str, int]] = {}
        by_source: dict[str, int] = dict.fromkeys(SOURCES, 0)
        total = agreed = 0
        for name, count in (await self.store.totals()).items():
            predicted, correct, source = name.split("|")
            row = matrix.setdefault(predicted, {})
            row[correct] = row.get(correct, 0) + count
            by_source[source] = by_source.get(source, 0) + count
            total += count
            agreed += count if predicted == correct else 0
        return {"scope": self.store.scope, "total": total, "agreed": agreed,
                "agreement_rate": round(agreed / total, 4) if total else None,
                "matrix": matrix, "by_source": by_source}


def check(body: Any, intents: Collection[str]) -> Answer | None:
    """A 400 for a body that breaks the rules, naming the field; None when it is good."""
    if not isinstance(body, Mapping):
        return error(400, "invalid_request_error", "the request body must be a JSON object", None)
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return error(400, "invalid_request_error", f"unknown field `{unknown[0]}`; the fields are id, intent "
                     "and source", str(unknown[0]))
    response_id = body.get("id")
    if not isinstance(response_id, str) or not response_id.strip() or len(response_id) > MAX_ID_CHARS:
        return error(400, "invalid_request_error", f"`id` must be the response id the client received, a "
                     f"non-empty string of at most {MAX_ID_CHARS} characters", "id")
    if body.get("intent") not in intents:
        return error(400, "invalid_request_error", f"`intent` must be one of {', '.join(intents)}", "intent")
    if body.get("source", "user") not in SOURCES:
        return error(400, "invalid_request_error", f"`source` must be one of {', '.join(SOURCES)}", "source")
    return None
