"""The pure parts of context-window routing: the request's text size, the estimate, the choice."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from plugins.context_window import REFUSE_MARGIN, Fit, choose_fitting, estimate_tokens
from plugins.request_size import SAMPLE_OVER, TextSize, measure_request
from scripts.stack import ROOT


def cl100k(text: str) -> int:
    """LiteLLM's own default tokenizer (cl100k_base, shipped inside litellm: no download)."""
    from litellm.litellm_core_utils.default_encoding import encoding

    return len(encoding.encode(text, disallowed_special=()))

WINDOWS = {"qwen-coder": 32_768, "deepseek-r1": 32_768, "llama": 131_072}
CHAIN = ("llama", "deepseek-r1")


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "agent-router", "messages": list(messages), **extra}


# -- measuring the whole request -------------------------------------------------------------


def test_every_string_value_and_object_of_the_conversation_counts() -> None:
    data = chat({"role": "user", "content": "abc"}, {"role": "assistant", "content": [{"type": "text", "text": "de"}]})
    # "user" + "abc" + "assistant" + "text" + "de"; two messages and one part
    assert measure_request(data, "acompletion") == TextSize(4 + 3 + 9 + 4 + 2, 0, 3)


def test_tool_calls_tool_results_and_tool_definitions_count() -> None:
    output = "x" * 5000
    data = chat(
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"p": "a.py"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": output},
        tools=[{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}],
    )
    without_tools = measure_request({**data, "tools": None}, "acompletion")
    with_tools = measure_request(data, "acompletion")
    assert without_tools is not None and with_tools is not None
    assert without_tools.chars > 5000 + len('{"p": "a.py"}')
    assert with_tools.chars > without_tools.chars


def test_fields_other_than_the_prompt_do_not_count() -> None:
    small = measure_request(chat({"role": "user", "content": "hi"}), "acompletion")
    noisy = measure_request(chat({"role": "user", "content": "hi"}, user="u" * 10_000,
                                 metadata={"note": "n" * 10_000}), "acompletion")
    assert small == noisy


def test_images_and_audio_parts_are_not_text() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 100_000}}
    text = {"type": "text", "text": "what is this"}
    with_image = measure_request(chat({"role": "user", "content": [text, image]}), "acompletion")
    alone = measure_request(chat({"role": "user", "content": [text]}), "acompletion")
    assert with_image == alone


def test_every_surface_has_its_prompt_fields() -> None:
    text = "y" * 1000
    bodies: dict[str, dict[str, Any]] = {
        "aresponses": {"input": [{"role": "user", "content": text}], "instructions": "be brief"},
        "anthropic_messages": {"messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
                               "system": "be brief"},
        "atext_completion": {"prompt": text},
    }
    for call_type, body in bodies.items():
        size = measure_request(body, call_type)
        assert size is not None and size.chars >= 1000, call_type


def test_an_unknown_surface_is_not_measured() -> None:
    assert measure_request({"input": "x" * 100}, "aembedding") is None


def test_non_ascii_counts_its_extra_utf8_bytes() -> None:
    size = measure_request({"prompt": "中文ab"}, "atext_completion")
    assert size == TextSize(4, 4)  # two 3-byte characters


def test_long_non_ascii_text_is_sampled_close_to_the_exact_size() -> None:
    random.seed(7)
    words = ["naïve", "café", "中文字符", "plain", "ascii", "text", "—"]
    text = " ".join(random.choice(words) for _ in range(60_000))
    assert len(text) > SAMPLE_OVER
    exact = len(text.encode()) - len(text)
    size = measure_request({"prompt": text}, "atext_completion")
    assert size is not None and size.chars == len(text)
    assert abs(size.extra_bytes - exact) <= 0.15 * exact


def test_a_deeply_nested_body_is_measured_without_recursion() -> None:
    value: Any = "deep"
    for _ in range(100_000):  # far past Python's recursion limit
        value = [value]
    assert measure_request({"prompt": value}, "atext_completion") == TextSize(4)


# -- the estimate against a real tokenizer ---------------------------------------------------


def _samples() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = (ROOT / "router_hooks" / "hook.py").read_text(encoding="utf-8")
    logs = (ROOT / "data" / "authored" / "code_logs.txt").read_text(encoding="utf-8")
    dashboard = (ROOT / "deploy" / "grafana" / "dashboards" / "agent-router.json").read_text(encoding="utf-8")
    return {"markdown": readme, "python": code, "logs": logs, "json": dashboard}


@pytest.mark.parametrize("kind", ["markdown", "python", "logs", "json"])
def test_the_estimate_is_close_to_cl100k_on_ordinary_text(kind: str) -> None:
    # Qwen2.5's tokenizer starts from cl100k_base and Llama 3's shares 100k of its tokens; see
    # docs/CONTEXT_WINDOW.md for the measured errors.
    text = _samples()[kind]
    real = cl100k(text)
    size = measure_request({"prompt": text}, "atext_completion")
    assert size is not None
    estimate = estimate_tokens(size)
    assert 0.75 * real <= estimate <= 1.3 * real
    # A refusal needs the estimate over REFUSE_MARGIN x the window: such text is really too long.
    assert estimate < REFUSE_MARGIN * real


def test_random_data_is_the_known_underestimate() -> None:
    random.seed(3)
    blob = base64.b64encode(random.randbytes(30_000)).decode()
    real = cl100k(blob)
    assert estimate_tokens(TextSize(len(blob))) < real


# -- choosing the model ----------------------------------------------------------------------


def test_a_prompt_that_fits_stays_on_its_model() -> None:
    assert choose_fitting("qwen-coder", CHAIN, WINDOWS, 32_768).model == "qwen-coder"


def test_a_long_prompt_goes_to_the_first_model_of_the_chain_that_fits() -> None:
    fit = choose_fitting("qwen-coder", CHAIN, WINDOWS, 60_000)
    assert fit.model == "llama"
    assert choose_fitting("qwen-coder", ("deepseek-r1", "llama"), WINDOWS, 60_000).model == "llama"


def test_nothing_fits_names_every_window_and_no_prompt_text() -> None:
    fit = choose_fitting("qwen-coder", CHAIN, WINDOWS, 200_000)
    assert fit == Fit(None, 200_000, (("qwen-coder", 32_768), ("llama", 131_072), ("deepseek-r1", 32_768)))
    message = fit.message()
    assert "200,000" in message and "131,072" in message and "32,768" in message


def test_a_prompt_slightly_over_every_window_goes_to_the_largest_one_to_decide() -> None:
    assert choose_fitting("qwen-coder", CHAIN, WINDOWS, 150_000).model == "llama"
    assert choose_fitting("qwen-coder", CHAIN, WINDOWS, int(REFUSE_MARGIN * 131_072) + 1).model is None


def test_a_model_without_a_declared_window_fits_anything() -> None:
    assert choose_fitting("qwen-coder", ("mystery",), WINDOWS, 10**7).model == "mystery"


def test_the_primary_is_not_tried_twice() -> None:
    fit = choose_fitting("llama", ("qwen-coder", "llama"), WINDOWS, 200_000)
    assert [m for m, _ in fit.windows] == ["llama", "qwen-coder"]
