"""A routed decision as stored for feedback: what was decided, on which surface, for whom (hashed),
never what the prompt said. One JSON document per response id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from plugins.record import RoutingRecord

# A caller is stored as a 16-hex prefix of SHA-256: enough to tell keys apart, never the key itself.
HASH_CHARS = 16


def caller_hash(secret: str | None) -> str | None:
    """The stored form of a key (or team id); None stays None (no team)."""
    if not secret:
        return None
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request or gives feedback, hashed; `admin` is the proxy admin."""

    key: str | None
    team: str | None
    admin: bool = False

    def owns(self, handle: DecisionHandle) -> bool:
        """The key that made the request, a key of its team, or an admin."""
        if self.admin:
            return True
        if self.key is not None and self.key == handle.key:
            return True
        return self.team is not None and self.team == handle.team


@dataclass(frozen=True, slots=True)
class DecisionHandle:
    id: str
    surface: str
    intent: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    chosen_model: str
    routed_model: str
    reason: str | None
    classifier: str
    #: Hashes of the caller's key and team (`caller_hash`).
    key: str | None
    team: str | None
    #: Wall-clock seconds when it was stored.
    created: float

    @classmethod
    def of(cls, response_id: str, surface: str, record: RoutingRecord, caller: Caller,
           created: float) -> DecisionHandle:
        return cls(response_id, surface, record.intent, record.confidence, record.top, record.chosen_model,
                   record.routed_model, record.route_reason, record.classifier, caller.key, caller.team, created)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> DecisionHandle:
        raw: dict[str, Any] = json.loads(text)
        raw["top"] = tuple((str(i), float(s)) for i, s in raw.get("top", ()))
        return cls(**raw)
