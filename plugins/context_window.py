"""Context-window routing: a cheap token estimate and the first model of a chain whose window fits.

The estimate is 4 characters per token, plus half a token per UTF-8 byte beyond the first of a
non-ASCII character. Against cl100k_base (docs/CONTEXT_WINDOW.md) it is within -19 %..+25 % on
source code, prose, JSON, logs and Markdown, and far under on random data (base64: -65 %).
Erring either way has a known cost, and the rules below pick the cheaper one:
- An under-estimate sends a prompt to a model it does not fit: MAX Serve answers 400 "Prompt is
  too long", which LiteLLM 1.108.7 treats as a plain BadRequestError and walks the generic
  fallback chain, as it did before the bundle checked (a wasted round trip; pinned by a test).
- An over-estimate moves a prompt that would have fitted to a larger-window model, or refuses it.
  Refusing a request that would have been served is the worse failure, so the hook refuses only
  when the estimate exceeds every window by more than any ordinary text's over-estimate
  (REFUSE_MARGIN); in between, the largest window of the chain gets to decide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from plugins.request_size import TextSize

# ASCII text: ~4 characters per token for English and code (cl100k_base: 3.2-5.0 measured).
CHARS_PER_TOKEN: Final = 4.0
# Non-ASCII: each UTF-8 byte beyond the first of a character adds half a token. A CJK character
# (3 bytes) counts 1/4 + 1 = 1.25 tokens, against 1.29 measured with cl100k_base (1.0 o200k).
EXTRA_BYTES_PER_TOKEN: Final = 2.0
# Per JSON object of the prompt (message, content part, tool call): role markers and separators
# of the chat template (OpenAI's cookbook counts 3-4 per message for its models).
OBJECT_TOKENS: Final = 3
# Refuse only when the estimate exceeds the largest window by this factor: text at up to 6
# characters per token (more than anything measured, 5.0) is then really too long.
REFUSE_MARGIN: Final = 1.5


def estimate_tokens(size: TextSize) -> int:
    """An estimate of the prompt tokens of `size` (see the module docstring for its error)."""
    text = size.chars / CHARS_PER_TOKEN + size.extra_bytes / EXTRA_BYTES_PER_TOKEN
    return math.ceil(text) + OBJECT_TOKENS * size.objects


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
            f"{CHARS_PER_TOKEN:g} characters per token), well over the input window "
            f"(model_info.max_input_tokens) of every model that could serve it: {limits}. "
            "Shorten the conversation or the tool output."
        )


def fits(tokens: int, window: int | None) -> bool:
    return window is None or tokens <= window


def choose_fitting(
    primary: str, chain: Sequence[str], windows: Mapping[str, int], tokens: int
) -> Fit:
    """The primary when the prompt fits its window, else the first model of `chain` that fits;
    else, unless the prompt is clearly too long for all (REFUSE_MARGIN), the largest window.

    A model without a declared window (absent from `windows`) fits anything: the bundle cannot
    know its limit, and refusing would turn a configuration gap into an outage.
    """
    candidates = tuple(dict.fromkeys((primary, *chain)))
    tried = tuple((m, windows.get(m)) for m in candidates)
    for model, window in tried:
        if fits(tokens, window):
            return Fit(model, tokens, tried)
    # Every candidate declares a window here (an undeclared one would have fitted).
    largest, window = max(tried, key=lambda pair: pair[1] or 0)
    if window is not None and tokens <= REFUSE_MARGIN * window:
        return Fit(largest, tokens, tried)
    return Fit(None, tokens, tried)
