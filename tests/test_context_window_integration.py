"""Context-window routing on a real proxy with real MAX Serve echo backends.

The echo backends accept 4,096 tokens, so the proxy here runs a copy of litellm_config.yaml whose
declared windows are small: qwen-coder and deepseek-r1 1,000 input tokens, llama 3,000. What
reached each backend is read from the fault proxies' request counters in front of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy

pytestmark = pytest.mark.integration

WINDOWS = {"qwen-coder": 1000, "deepseek-r1": 1000, "llama": 3000}
CHAT = "/v1/chat/completions"
SOURCE = (Path(__file__).parents[1] / "router_hooks" / "hook.py").read_text(encoding="utf-8")


def code_prompt(chars: int) -> str:
    body = (SOURCE * (chars // len(SOURCE) + 1))[:chars]
    return f"Fix the bug in this Python module:\n```python\n{body}\n```"


def small_windows(directory: Path) -> Path:
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for entry in document["model_list"]:
        if entry["model_name"] in WINDOWS:
            entry["model_info"]["max_input_tokens"] = WINDOWS[entry["model_name"]]
    path = directory / "small-windows.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def window_proxy(backends: dict[str, Backend], log_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    config = small_windows(tmp_path_factory.mktemp("context-window"))
    with launch_proxy(backends, log_dir, config=config, name="litellm-context-window") as running:
        yield running


def counts(backends: Mapping[str, Backend]) -> dict[str, int]:
    return {group: backend.fault.count(CHAT) for group, backend in backends.items()}


def served(before: Mapping[str, int], backends: Mapping[str, Backend]) -> dict[str, int]:
    return {group: n - before[group] for group, n in counts(backends).items() if n != before[group]}


def metadata(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return dict(json.loads(resp.headers["x-routing-metadata"]))


def test_a_long_code_prompt_is_served_by_the_first_model_that_fits(
    window_proxy: Proxy, healthy_backends: dict[str, Backend],
) -> None:
    content = code_prompt(6000)  # ~1,500 tokens by the estimate: over qwen-coder's 1,000
    before = counts(healthy_backends)
    meta = metadata(window_proxy.chat(content))
    assert served(before, healthy_backends) == {"llama": 1}
    assert (meta["intent"], meta["primary_model"], meta["routed_model"]) == ("code", "qwen-coder", "llama")
    assert (meta["model_id"], meta["reason"], meta["fallback_used"]) == ("llama", "context_window", True)

    before = counts(healthy_backends)
    with window_proxy.client.stream("POST", CHAT, json={
        "model": "agent-router", "stream": True, "max_tokens": 8,
        "messages": [{"role": "user", "content": content}],
    }) as stream:
        assert stream.status_code == 200
        meta = json.loads(stream.headers["x-routing-metadata"])
        assert "[DONE]" in stream.read().decode()
    assert served(before, healthy_backends) == {"llama": 1}
    assert (meta["model_id"], meta["reason"]) == ("llama", "context_window")


def test_a_short_code_prompt_stays_on_qwen_coder(window_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    before = counts(healthy_backends)
    meta = metadata(window_proxy.chat(code_prompt(600)))
    assert served(before, healthy_backends) == {"qwen-coder": 1}
    assert meta["reason"] is None and meta["fallback_used"] is False


def test_a_prompt_no_model_fits_is_a_400_that_reaches_no_backend(
    window_proxy: Proxy, healthy_backends: dict[str, Backend],
) -> None:
    tool_output = code_prompt(24_000)  # ~6,000 tokens by the estimate: over 1.5 x every window
    before = counts(healthy_backends)
    resp = window_proxy.client.post(CHAT, json={"model": "agent-router", "max_tokens": 8, "messages": [
        {"role": "user", "content": "Why does the test fail?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                               "function": {"name": "cat", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": tool_output},
    ]})
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert "context_length_exceeded" in json.dumps(error)
    assert "3,000" in error["message"] and "1,000" in error["message"]
    assert served(before, healthy_backends) == {}


def test_without_the_hook_a_prompt_over_the_backend_s_limit_fails_on_the_primary_and_goes_nowhere_else(
    window_proxy: Proxy, healthy_backends: dict[str, Backend],
) -> None:
    # Pins why the hook checks before routing: MAX Serve answers "Prompt is too long" with a 400
    # that LiteLLM 1.108.7 treats as a plain BadRequestError (not ContextWindowExceededError, so
    # `context_window_fallbacks` would never apply). With the shipped
    # `fallback_on_unsupported_params: false` that 400 stops at the primary (without it LiteLLM
    # walked the generic chain, one failed call per model): a request named directly, which the
    # hook leaves to LiteLLM, fails there instead of being served by a model whose window fits.
    before = counts(healthy_backends)
    resp = window_proxy.chat(code_prompt(30_000), model="qwen-coder")
    assert resp.status_code == 400, resp.text
    assert "too long" in resp.json()["error"]["message"].lower()
    assert served(before, healthy_backends) == {"qwen-coder": 1}
