"""`/v1/completions` (legacy text completions): `prompt` is the latest user turn.

`prompt` is a string, a list of strings (a batch: their text is read together), or token ids (a
list of integers, or a list of such lists): token ids carry no readable text, so the default model
serves them. There is no conversation, hence no context and no system prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import params


def read(body: Mapping[str, Any]) -> Prompt:
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return Prompt(latest=prompt)
    if isinstance(prompt, list) and prompt:
        if all(isinstance(p, str) for p in prompt):
            return Prompt(latest="\n".join(prompt))
        if all(_token_ids(p) for p in prompt) or _token_ids(prompt):
            return Prompt(latest="", typed=False)
    raise PromptError("`prompt` must be a string, a non-empty list of strings, or token ids", "prompt")


def _token_ids(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(t, int) and not isinstance(t, bool) for t in value))


def validate(body: Mapping[str, Any]) -> None:
    params.integer(body, "max_tokens", 1)
    params.number(body, "temperature", 0, 2)
    params.number(body, "top_p", 0, 1)
    params.integer(body, "n", 1, 128)
    params.integer(body, "best_of", 1, 20)
    params.integer(body, "logprobs", 0, 5)
    params.strings(body, "stop", 4)
    params.boolean(body, "stream")
    params.boolean(body, "echo")
    params.number(body, "presence_penalty", -2, 2)
    params.number(body, "frequency_penalty", -2, 2)
    params.string(body, "suffix")
