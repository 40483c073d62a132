"""How much text a request carries, measured cheaply over the whole body (not the classifier's clip).

One table says which top-level fields of each surface's request body hold prompt text; the walk
adds up every string value in them and counts their JSON objects (each message, part or tool
call costs a few template tokens). Cost is per string, not per character: `len` is O(1) and `str.isascii()` is O(1)
in CPython (a flag on the string), so 1 MB of ASCII tool output costs what one short string does;
only a long non-ASCII string is sampled (see `_extra_bytes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

# Top-level fields holding text the model reads, per LiteLLM call type (LiteLLM 1.108.7 names; the
# async names are what the proxy passes at runtime). Extend here when a surface gains routing.
SURFACE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "acompletion": ("messages", "tools", "functions"),
    "completion": ("messages", "tools", "functions"),
    "aresponses": ("input", "instructions", "tools"),
    "responses": ("input", "instructions", "tools"),
    "anthropic_messages": ("messages", "system", "tools"),
    "atext_completion": ("prompt", "suffix"),
    "text_completion": ("prompt", "suffix"),
}
# Content parts that are not text (OpenAI chat, Responses and Anthropic shapes): their payload is
# often a base64 data URL of megabytes that the model does not read as text tokens. Skipped.
NON_TEXT_PARTS: Final = frozenset({
    "image_url", "input_image", "image", "input_audio", "audio", "file", "input_file",
})
# Long non-ASCII strings: UTF-8 size estimated from SLICES slices of SLICE characters, evenly
# spaced, instead of encoding the whole string (0.7 ms per MB measured here; the sample ~12 µs,
# within 9 % of the exact size on mixed English/accented/CJK text, 20 seeds).
SAMPLE_OVER: Final = 8192
SLICES: Final = 32
SLICE: Final = 256


@dataclass(frozen=True, slots=True)
class TextSize:
    #: Characters (code points) of every string value in the prompt fields.
    chars: int
    #: UTF-8 bytes beyond one per character (0 for ASCII text; ~2 per CJK character).
    extra_bytes: int = 0
    #: JSON objects (messages, content parts, tool calls): each costs the model a few template
    #: tokens (role markers, separators) that no string of the body shows.
    objects: int = 0


def measure_request(data: Mapping[str, Any], call_type: str) -> TextSize | None:
    """The text size of a request body of `call_type`; None for a surface the table does not know."""
    fields = SURFACE_FIELDS.get(call_type)
    if fields is None:
        return None
    return _size([data[name] for name in fields if data.get(name) is not None])


def _size(stack: list[Any]) -> TextSize:
    """The size of every string value under the values on `stack` (consumed).

    Written for speed (a 200-message tool loop is ~1,400 nodes, and the per-node work is the
    whole cost): an explicit stack instead of recursion (no depth limit to hit: the work is
    bounded by the node count of the decoded body), exact `type` checks (bodies are decoded JSON;
    `isinstance` against `Mapping` is an ABC check per node), strings handled where they are met
    instead of pushed, and keys not measured (they cost as much again; the per-object overhead
    stands in for them). A non-text part whose `type` is unhashable raises TypeError: the hook
    fails open on it.
    """
    chars = extra = objects = 0
    pop, push = stack.pop, stack.append
    while stack:
        value = pop()
        kind = type(value)
        if kind is dict:
            if "type" in value and value["type"] in NON_TEXT_PARTS:
                continue
            objects += 1
            items = value.values()
        elif kind is list or kind is tuple:
            items = value
        elif kind is str:  # a top-level string field (`prompt`, `system`, `input`)
            items = (value,)
        else:
            continue
        for item in items:
            kind = type(item)
            if kind is str:
                chars += len(item)
                if not item.isascii():
                    extra += _extra_bytes(item)
            elif kind is dict or kind is list or kind is tuple:
                push(item)
            # numbers, booleans, None: a few tokens at most
    return TextSize(chars, extra, objects)


def _extra_bytes(value: str) -> int:
    """UTF-8 bytes beyond one per character of a non-ASCII string (sampled when long)."""
    length = len(value)
    if length <= SAMPLE_OVER:
        return len(value.encode("utf-8", "surrogatepass")) - length
    step = length // SLICES
    sample = "".join(value[start:start + SLICE] for start in range(0, step * SLICES, step))
    extra = len(sample.encode("utf-8", "surrogatepass")) - len(sample)
    return extra * length // len(sample)
