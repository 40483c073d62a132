"""What the classifier reads: the latest user turn, earlier turns and the system prompt as text.

OpenAI messages carry content as a string or as a list of parts; only text parts count
(images and audio are skipped, not an error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class PromptError(ValueError):
    """The request's messages are not a usable OpenAI chat conversation."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """`latest` is the last user turn; `context` holds earlier turns, most recent last."""

    latest: str
    context: tuple[str, ...] = ()
    system: str = ""


def content_text(content: Any) -> str:
    """Text of one message's content: a string, or the `text` of its text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping)
            and part.get("type", "text") == "text"
            and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    raise PromptError(f"message content must be a string or a list of parts, not {type(content).__name__}")


def extract_prompt(messages: Any) -> Prompt:
    """Split a chat conversation into what the classifier reads.

    Raises PromptError for a conversation that is not a non-empty list of role/content messages.
    """
    if not isinstance(messages, list) or not messages:
        raise PromptError("`messages` must be a non-empty list")
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise PromptError(f"messages[{index}] must be an object with a string `role`")
        text = content_text(message.get("content"))
        if message["role"] in ("system", "developer"):
            system.append(text)
        else:
            turns.append((message["role"], text))
    latest_index = _last_user_index(turns)
    if latest_index is None:
        # No user turn at all (e.g. only a system prompt): classify the last turn we have.
        latest = turns[-1][1] if turns else ""
        context = tuple(t for _, t in turns[:-1])
    else:
        latest = turns[latest_index][1]
        context = tuple(t for _, t in turns[:latest_index])
    return Prompt(latest=latest, context=_non_empty(context), system="\n".join(system).strip())


def _last_user_index(turns: list[tuple[str, str]]) -> int | None:
    for index in range(len(turns) - 1, -1, -1):
        if turns[index][0] == "user":
            return index
    return None


def _non_empty(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(t for t in texts if t.strip())
