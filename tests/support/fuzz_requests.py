"""Hypothesis strategies for malformed and adversarial requests to the four routed surfaces.

Each request starts from a small well-formed body of its surface and is then broken one way: a
parameter given a random value or type, a conversation with odd roles and content, a body that is
not an object or not JSON at all, unicode of every category, nesting up to past the parsers' limits,
bodies up to a few MB, and odd headers (content types, LiteLLM's control headers, keys).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

SURFACES: dict[str, str] = {
    "chat": "/v1/chat/completions", "responses": "/v1/responses",
    "messages": "/v1/messages", "completions": "/v1/completions",
}
# Parameters of the four surfaces (and a few that belong to none of them).
PARAMS = (
    "model", "messages", "input", "prompt", "instructions", "system", "max_tokens", "max_output_tokens",
    "max_completion_tokens", "temperature", "top_p", "top_k", "n", "stop", "stop_sequences", "stream",
    "stream_options", "tools", "tool_choice", "response_format", "logprobs", "seed", "user", "metadata",
    "frequency_penalty", "presence_penalty", "logit_bias", "echo", "suffix", "best_of", "store",
    "previous_response_id", "thinking", "mock_response", "mock_testing_fallbacks", "fallbacks", "num_retries",
    "api_base", "base_url",
)
ROLES = ("user", "assistant", "system", "tool", "developer", "function", "wizard", "", "USER", None)
MODELS = ("agent-router", "agent-router", "agent-router", "llama", "no-such-model", "", "AGENT-ROUTER")
CONTENT_TYPES = (
    "application/json", "application/json", "application/json; charset=utf-8", "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "application/octet-stream",
    "application/protobuf", "application/json; charset=latin-1", "", "x/y; q=\"", "*/*",
)
# LiteLLM reads these per request (timeouts, retries, fallbacks, tags); garbage must stay a 4xx.
CONTROL_HEADERS = (
    "x-litellm-timeout", "x-litellm-num-retries", "x-litellm-disable-fallbacks", "x-litellm-tags",
    "x-litellm-stream-timeout", "x-litellm-api-key", "anthropic-version", "anthropic-beta", "openai-organization",
    "x-forwarded-for", "user-agent", "accept", "accept-encoding", "x-request-id",
)
# Mostly small: a multi-MB body costs seconds of proxy CPU on a 2-core host, so few of them.
SIZES = (0, 1, 100, 1_000, 1_000, 10_000, 10_000, 64_000, 64_000, 100_000, 256_000, 512_000, 1_000_000, 1_500_000,
         3_000_000)
DEPTHS = (10, 100, 900, 1_000, 1_024, 1_025, 5_000)


@dataclass(frozen=True)
class FuzzRequest:
    surface: str
    kind: str  # how the body was broken: a label for the report
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return SURFACES[self.surface]

    def __repr__(self) -> str:  # keep hypothesis' failure reports readable for MB bodies
        shown = self.body if len(self.body) <= 300 else self.body[:300] + b"...(%d bytes)" % len(self.body)
        return f"FuzzRequest({self.surface}, {self.kind}, {shown!r}, {self.headers!r})"


def base_body(surface: str, text: str) -> dict[str, Any]:
    """A small request the surface accepts (4 tokens back, so a routed one stays cheap)."""
    if surface == "responses":
        return {"model": "agent-router", "input": text, "max_output_tokens": 4}
    if surface == "completions":
        return {"model": "agent-router", "prompt": text, "max_tokens": 4}
    return {"model": "agent-router", "max_tokens": 4, "messages": [{"role": "user", "content": text}]}


texts = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\u202e\u200b", "😀" * 5, "A\u0301" * 5, "\ufeff", "Write a Python function", "\\u0000"])
leaves = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
          | st.floats(allow_nan=False, allow_infinity=False) | texts)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(texts, inner, max_size=4), max_leaves=12)
messages = st.lists(st.fixed_dictionaries(
    {"role": st.sampled_from(ROLES)}, optional={"content": values | texts, "name": values, "tool_calls": values,
                                                "tool_call_id": values}), max_size=4) | values


def _token_ids(prompt: object) -> bool:
    """Whether a completions prompt holds integers (token ids), at any depth."""
    if isinstance(prompt, list):
        return any(_token_ids(item) for item in prompt)
    return isinstance(prompt, int) and not isinstance(prompt, bool)


def _nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


@st.composite
def fuzz_requests(draw: st.DrawFn) -> FuzzRequest:
    surface = draw(st.sampled_from(tuple(SURFACES)))
    body = base_body(surface, draw(texts))
    kind = draw(st.sampled_from(("params", "params", "messages", "not_object", "raw", "broken_json",
                                 "deep", "size", "unicode")))
    raw: bytes | None = None
    if kind == "params":
        body.update(draw(st.dictionaries(st.sampled_from(PARAMS), values, min_size=1, max_size=3)))
        body["model"] = draw(st.sampled_from(MODELS)) if draw(st.booleans()) else body.get("model")
    elif kind == "messages":
        body["messages" if surface in ("chat", "messages") else ("input" if surface == "responses" else "prompt")] = (
            draw(messages))
    elif kind == "not_object":
        raw = json.dumps(draw(values.filter(lambda v: not isinstance(v, dict)))).encode()
    elif kind == "raw":
        raw = draw(st.binary(max_size=200))
    elif kind == "broken_json":
        good = json.dumps(body)
        how = draw(st.sampled_from(("truncate", "nan", "infinity", "bad_utf8", "trailing", "lone_surrogate")))
        raw = {
            "truncate": good[: draw(st.integers(1, len(good) - 1))].encode(),
            "nan": good.replace('"max_tokens": 4', '"max_tokens": NaN').replace("4}", "NaN}").encode(),
            "infinity": good.replace("4", "-Infinity", 1).encode(),
            "bad_utf8": good.encode().replace(b"agent", b"ag\xff\xfeent", 1),
            "trailing": good.encode() + b" {}",
            "lone_surrogate": good.replace("agent-router", "agent\\ud800router", 1).encode(),
        }[how]
        kind = f"broken_json:{how}"
    elif kind == "deep":
        depth = draw(st.sampled_from(DEPTHS))
        where = draw(st.sampled_from(("content", "metadata", "tools")))
        raw = json.dumps(body).replace('"model"', f'"{where}": {_nested(depth, "1")}, "model"', 1).encode()
    elif kind == "size":
        size = draw(st.sampled_from(SIZES))
        key = {"responses": "input", "completions": "prompt"}.get(surface)
        filler = draw(st.sampled_from(("a", "word ", "é", "😀", "\x00")))
        text = filler * (size // len(filler.encode()))
        if key is None:
            body["messages"][0]["content"] = text
        else:
            body[key] = text
    else:  # unicode everywhere a string goes, keys included
        body = {draw(texts) or "k": draw(texts), **body, "user": draw(texts)}
    if surface == "completions" and _token_ids(body.get("prompt")):
        # Left out, unresolved: MAX Serve answers 500 to token ids outside its vocabulary, which
        # LiteLLM then holds against every model of the chain (cooldowns); see the fuzz report.
        body["prompt"] = "token ids left out"
    headers = {"content-type": draw(st.sampled_from(CONTENT_TYPES))}
    if draw(st.integers(0, 3)) == 0:
        # httpx refuses values with surrounding whitespace: such a request would never be sent
        headers[draw(st.sampled_from(CONTROL_HEADERS))] = draw(st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)).strip()
    return FuzzRequest(surface, kind, raw if raw is not None else json.dumps(body).encode(), headers)
