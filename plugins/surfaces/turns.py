"""The reading rule every surface shares: which turn decides the route, and what is context.

Rule (docs/SURFACES.md): the latest turn with user-typed text decides. Tool definitions, tool
calls and tool results are never read: they are machine traffic of the task, not the task, so a
ten-step tool loop is classified exactly as its first step was and keeps its model. Injected
harness text (`plugins.surfaces.injected`) is cut out of user turns and the system prompt first;
a user turn left empty by that (e.g. only a reminder or only tool results) does not count as a
turn. Earlier user and assistant text is context (the last `CONTEXT_TURNS`); whatever follows the
deciding turn (assistant tool calls, tool results, assistant text in the loop) is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, NamedTuple

from plugins.prompt import Prompt
from plugins.surfaces.injected import strip_injected

# More than any classifier reads (keyword: 4, learned: 4): a long history costs nothing extra.
CONTEXT_TURNS: Final = 8

Role = Literal["user", "assistant"]


class Turn(NamedTuple):
    """One message's readable text: a user's typed text or an assistant's prose (raw, unstripped).

    A NamedTuple, not a frozen dataclass: one is built per message of conversations hundreds of
    messages long, and a frozen dataclass's __init__ costs several times more."""

    role: Role
    text: str


def assemble(turns: Sequence[Turn], system: Sequence[str] = ()) -> Prompt:
    """The classifier's view of a conversation, by the rule above.

    With no user-typed text anywhere (only a system prompt, or only assistant turns) the last
    turn with text decides, as it did before surfaces had readers of their own.
    """
    deciding = None
    latest = ""
    for index in range(len(turns) - 1, -1, -1):
        if turns[index].role == "user":
            text = strip_injected(turns[index].text)
            if text.strip():
                deciding, latest = index, text
                break
    if deciding is None:
        texts = _texts(turns, len(turns), CONTEXT_TURNS + 1)
        latest = texts.pop() if texts else ""
        context = texts
    else:
        context = _texts(turns, deciding, CONTEXT_TURNS)
    system_text = "\n".join(s for s in (strip_injected(p) for p in system) if s.strip()).strip()
    return Prompt(latest=latest, context=tuple(context), system=system_text, typed=deciding is not None)


def _texts(turns: Sequence[Turn], stop: int, limit: int) -> list[str]:
    """The last `limit` non-blank texts of `turns[:stop]`, oldest first (user text stripped)."""
    found: list[str] = []
    for index in range(stop - 1, -1, -1):
        turn = turns[index]
        text = strip_injected(turn.text) if turn.role == "user" else turn.text
        if text.strip():
            found.append(text)
            if len(found) >= limit:
                break
    found.reverse()
    return found
