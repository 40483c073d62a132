"""Adoption: a team's own LiteLLM config plus exactly the README's lines gets intent routing.

Also: an alias set the LiteLLM way reaches the router, and a bad agent_router section stops the
proxy at start-up with a message naming the field.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.stack import ROOT, free_port, proxy_env, start_proxy
from tests.support.cluster import Backend, Proxy, api_bases, launch_proxy

pytestmark = pytest.mark.integration

# A team's existing config: its own deployments (named as the intents expect), its own alias and
# settings, no agent-router anywhere.
FOREIGN: dict[str, Any] = {
    "model_list": [
        {"model_name": name, "litellm_params": {"model": f"openai/{served}", "api_base": f"os.environ/{var}",
                                                "api_key": "none"}}
        for name, served, var in (
            ("llama", "meta-llama/Llama-3.1-8B-Instruct", "LLAMA_API_BASE"),
            ("qwen-coder", "Qwen/Qwen2.5-Coder-7B-Instruct", "QWEN_API_BASE"),
            ("deepseek-r1", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "DEEPSEEK_API_BASE"),
        )
    ],
    "router_settings": {"num_retries": 0, "model_group_alias": {"gpt-4o": "agent-router"}},
    "litellm_settings": {"drop_params": True},
    "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
}


def readme_snippet() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- adoption:start -->")[1].split("<!-- adoption:end -->")[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the adoption section must hold exactly one YAML block"
    return dict(yaml.safe_load(blocks[0]))


def merge(base: dict[str, Any], snippet: dict[str, Any]) -> dict[str, Any]:
    """What an operator does by hand: append list entries, add keys to existing sections."""
    merged: dict[str, Any] = json.loads(json.dumps(base))  # a deep copy of plain JSON data
    for key, value in snippet.items():
        if isinstance(value, list):
            merged.setdefault(key, []).extend(value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            for sub, sub_value in value.items():
                if isinstance(sub_value, list) and isinstance(merged[key].get(sub), list):
                    merged[key][sub].extend(sub_value)
                else:
                    merged[key][sub] = sub_value
        else:
            merged[key] = value
    return merged


@pytest.fixture(scope="module")
def adopted(backends: dict[str, Backend], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    directory = tmp_path_factory.mktemp("team")
    config = directory / "team_config.yaml"
    config.write_text(yaml.safe_dump(merge(FOREIGN, readme_snippet())))
    with launch_proxy(backends, directory, config=config, name="litellm-adopted") as running:
        yield running


def test_readme_lines_route_by_intent(adopted: Proxy, healthy_backends: dict[str, Backend]) -> None:
    for prompt, group in (
        ("Write a python function that validates an email with a regex", "qwen-coder"),
        ("Solve this puzzle: how many handshakes happen among 7 people?", "deepseek-r1"),
        ("Write a short poem about autumn", "llama"),
    ):
        resp = adopted.chat(prompt)
        assert resp.status_code == 200, resp.text
        assert json.loads(resp.headers["x-routing-metadata"])["model_id"] == group
        assert resp.headers["x-litellm-model-api-base"] == healthy_backends[group].fault.api_base


def test_alias_reaches_the_router(adopted: Proxy, healthy_backends: dict[str, Backend]) -> None:
    resp = adopted.chat("Write a python function that validates an email with a regex", model="gpt-4o")
    assert resp.status_code == 200, resp.text
    assert json.loads(resp.headers["x-routing-metadata"])["model_id"] == "qwen-coder"
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["qwen-coder"].fault.api_base


def test_bad_router_section_stops_startup(backends: dict[str, Backend], tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
    document["agent_router"]["intents"]["code"]["model"] = "gpt-4o-mini"
    config = tmp_path / "broken.yaml"
    config.write_text(yaml.safe_dump(document))
    env = proxy_env(os.environ, "sk-test-broken-000", api_bases(backends))
    process = start_proxy(config, free_port(), env, tmp_path, name="litellm-broken")
    try:
        process.proc.wait(timeout=180)
    finally:
        process.stop()
    assert process.proc.returncode != 0
    assert "agent_router.intents.code.model: unknown model 'gpt-4o-mini'" in process.log_tail(200)
