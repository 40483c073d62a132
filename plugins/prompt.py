"""What the classifier reads: the latest user-typed turn, earlier turns and the system prompt as text.

Every API surface has its own reader (`plugins.surfaces`); all of them give the classifier this one
view, so a request is classified the same way whichever route it came in on.
"""

from __future__ import annotations

from dataclasses import dataclass


class PromptError(ValueError):
    """The request is not a usable conversation or carries a bad parameter: the client gets a 400.

    `param` names the offending request field (OpenAI's `error.param`), e.g. `messages[2].content`.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Prompt:
    """`latest` is the last user-typed turn; `context` holds earlier turns, most recent last."""

    latest: str
    context: tuple[str, ...] = ()
    system: str = ""
    #: False when no turn carried user-typed text (only tool traffic, injected text or assistant
    #: turns): `latest` is then the last assistant text or empty, a stand-in, not the user's task.
    typed: bool = True
