"""Text extraction from OpenAI chat messages."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.prompt import Prompt, PromptError
from plugins.surfaces.chat import read_messages as extract_prompt


def test_last_user_turn_is_latest_earlier_turns_are_context_and_system_is_apart() -> None:
    prompt = extract_prompt([
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Write a regex for dates"},
        {"role": "assistant", "content": "\\d{4}-\\d{2}-\\d{2}"},
        {"role": "user", "content": "why does it still fail?"},
    ])
    assert prompt == Prompt(
        latest="why does it still fail?",
        context=("Write a regex for dates", "\\d{4}-\\d{2}-\\d{2}"),
        system="You are terse.",
    )


def test_content_parts_keep_text_and_skip_images() -> None:
    prompt = extract_prompt([{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": "Answer briefly."},
    ]}])
    assert prompt.latest == "What is in this picture?\nAnswer briefly."


def test_turns_after_the_last_user_turn_are_neither_latest_nor_context() -> None:
    prompt = extract_prompt([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ])
    assert prompt.latest == "hi"
    assert prompt.context == ()


def test_without_a_user_turn_the_last_turn_is_latest_and_null_content_is_empty_text() -> None:
    prompt = extract_prompt([
        {"role": "system", "content": "rules"},
        {"role": "assistant", "content": None, "tool_calls": []},
    ])
    assert prompt == Prompt(latest="", context=(), system="rules", typed=False)
    only_assistant = extract_prompt([
        {"role": "assistant", "content": "first"},
        {"role": "assistant", "content": "second"},
    ])
    assert only_assistant == Prompt(latest="second", context=("first",), typed=False)


@pytest.mark.parametrize(
    "messages",
    [None, [], "hello", {"role": "user"}, [{"content": "no role"}], [{"role": "user", "content": 42}],
     [{"role": "user", "content": {"text": "dict"}}], ["just a string"]],
)
def test_invalid_conversations_raise_prompt_error(messages: Any) -> None:
    with pytest.raises(PromptError):
        extract_prompt(messages)
