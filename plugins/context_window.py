"""Context-window routing: a cheap token estimate and the first model of a chain whose window fits.

The estimate errs high on ordinary text on purpose: a prompt judged to fit must really fit,
because MAX Serve's "Prompt is too long" 400 is not recognised as a context-window error by
LiteLLM 1.108.7 (`ExceptionCheckers.is_error_str_context_window_exceeded`), so such a 400 gets
no fallback at all. Measured against cl100k_base (docs/CONTEXT_WINDOW.md): 3
characters per token over-estimates source code, prose, JSON, logs and Markdown by 8-66 %, and
under-estimates only random data such as base64 (by ~54 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from plugins.request_size import TextSize

# ASCII text: tokens <= characters / 3 for everything measured but random data.
CHARS_PER_TOKEN: Final = 3.0
# Non-ASCII: each UTF-8 byte beyond the first of a character adds half a token. A CJK character
# (3 bytes) counts 1/3 + 1 = 1.33 tokens, against 1.29 measured with cl100k_base; Cyrillic and
# accented Latin (2 bytes) are over-estimated.
EXTRA_BYTES_PER_TOKEN: Final = 2.0


def estimate_tokens(size: TextSize) -> int:
    """An estimate of the prompt tokens of `size`, on the high side for ordinary text."""
    return math.ceil(size.chars / CHARS_PER_TOKEN + size.extra_bytes / EXTRA_BYTES_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class Fit:
    """Where a prompt of `tokens` (estimated) can go: `model`, or None when no candidate fits."""

    model: str | None
    tokens: int
    #: The candidates in the order tried, with their windows (None: no declared limit).
    windows: tuple[tuple[str, int | None], ...]

    def message(self) -> str:
        """Why the request is refused, for the client: sizes and windows, never prompt text."""
        limits = ", ".join(f"{m} {w:,}" for m, w in self.windows if w is not None)
        return (
            f"agent-router: the request is about {self.tokens:,} tokens (estimated at "
            f"{CHARS_PER_TOKEN:g} characters per token), more than the input window "
            f"(model_info.max_input_tokens) of every model that could serve it: {limits}. "
            "Shorten the conversation or the tool output."
        )


def fits(tokens: int, window: int | None) -> bool:
    return window is None or tokens <= window


def choose_fitting(
    primary: str, chain: Sequence[str], windows: Mapping[str, int], tokens: int
) -> Fit:
    """The primary when the prompt fits its window, else the first model of `chain` that fits.

    A model without a declared window (absent from `windows`) fits anything: the bundle cannot
    know its limit, and refusing would turn a configuration gap into an outage.
    """
    candidates = tuple(dict.fromkeys((primary, *chain)))
    tried = tuple((m, windows.get(m)) for m in candidates)
    for model, window in tried:
        if fits(tokens, window):
            return Fit(model, tokens, tried)
    return Fit(None, tokens, tried)
