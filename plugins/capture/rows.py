"""Capture lines as `agent-router eval` rows: the classifier's view as chat messages, and decision
lines joined with the first feedback on their id (across every file given: feedback may land on
another worker's file than its decision)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plugins.prompt import Prompt


def messages_of(prompt: Prompt) -> list[dict[str, str]]:
    """The Prompt as OpenAI chat messages that `agent-router eval` reads back into the same view:
    system text, earlier turns, then the deciding turn."""
    messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
    messages += [{"role": "user", "content": turn} for turn in prompt.context]
    messages.append({"role": "user", "content": prompt.latest})
    return messages


def is_capture(rows: Iterable[Mapping[str, Any]]) -> bool:
    """Rows from capture files carry `kind: decision | feedback` (labelled eval files do not)."""
    return any(row.get("kind") in ("decision", "feedback") for row in rows)


@dataclass(frozen=True, slots=True)
class Joined:
    rows: list[dict[str, Any]]
    #: Decisions with no feedback (not scored), and feedback whose decision is in none of the files.
    unlabelled: int
    orphans: int


def joined(lines: Iterable[Mapping[str, Any]]) -> Joined:
    """Decisions labelled with their first reported intent, as `{id, messages, label, source}`."""
    decisions: dict[str, Mapping[str, Any]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for line in lines:
        key = str(line.get("id"))
        if line.get("kind") == "decision" and isinstance(line.get("messages"), list):
            decisions.setdefault(key, line)
        elif line.get("kind") == "feedback" and isinstance(line.get("intent"), str):
            labels.setdefault(key, (str(line["intent"]), str(line.get("source", "user"))))
    rows = [{"id": key, "messages": list(d["messages"]), "label": labels[key][0],
             "source": f"capture:{labels[key][1]}"} for key, d in decisions.items() if key in labels]
    return Joined(rows, len(decisions) - len(rows), len(set(labels) - set(decisions)))
