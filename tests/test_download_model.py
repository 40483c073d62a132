"""scripts/download_model.sh run for real (bash + curl) against a Hub stand-in on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scripts.stack import ROOT
from tests.support.hub_server import FakeHub, HubFile, serve_hub

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "scripts" / "download_model.sh"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
QWEN = "Qwen/Qwen2.5-Coder-7B-Instruct"
LLAMA_GGUF = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
QWEN_GGUF = "bartowski/Qwen2.5-Coder-7B-Instruct-GGUF"
DEEPSEEK_GGUF = "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF"


def blob(seed: int, size: int = 200_000) -> bytes:
    return bytes((seed * 31 + i * 7) % 251 for i in range(size))


def run(
    endpoint: str, dest: Path, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_ENDPOINT"] = endpoint
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run(
        ["bash", str(SCRIPT), "--dest", str(dest), *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def summary_row(output: str, file: str) -> str:
    rows = [line for line in output.splitlines() if file in line and line.split()[0] in
            {"llama", "qwen-coder", "deepseek-r1"}]
    assert len(rows) == 1, output
    return rows[0]


def test_parallel_download_skips_complete_files_and_resumes_partial_ones(tmp_path: Path) -> None:
    shard1, shard2, qwen_weights, tokenizer = blob(1), blob(2), blob(3), blob(4, 120_000)
    hub = FakeHub(
        repos={
            LLAMA: {
                "config.json": HubFile(b'{"architectures": ["LlamaForCausalLM"]}', lfs=False),
                # Both shards wait for each other on the server: a serial script would fail here.
                "model-00001-of-00002.safetensors": HubFile(shard1, behaviour="rendezvous"),
                "model-00002-of-00002.safetensors": HubFile(shard2, behaviour="rendezvous"),
                "original/consolidated.00.pth": HubFile(blob(9)),  # never wanted on GPU hosts
            },
            QWEN: {"model.safetensors": HubFile(qwen_weights),
                   "tokenizer.json": HubFile(tokenizer)},
        },
        private_repos={LLAMA},
        token="hf_test_token",
    )
    dest = tmp_path / "models"
    (dest / QWEN).mkdir(parents=True)
    (dest / QWEN / "model.safetensors").write_bytes(qwen_weights)  # complete already
    (dest / QWEN / "tokenizer.json.part").write_bytes(tokenizer[:50_000])  # an interrupted download

    with serve_hub(hub) as endpoint:
        result = run(endpoint, dest, "--gpu", "--only", "llama,qwen-coder", "--jobs", "3",
                     token="hf_test_token")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (dest / LLAMA / "model-00001-of-00002.safetensors").read_bytes() == shard1
    assert (dest / LLAMA / "model-00002-of-00002.safetensors").read_bytes() == shard2
    assert (dest / LLAMA / "config.json").exists()
    assert (dest / QWEN / "tokenizer.json").read_bytes() == tokenizer
    assert not (dest / QWEN / "tokenizer.json.part").exists()
    assert not (dest / LLAMA / "original").exists()
    assert hub.downloads(LLAMA, "original/consolidated.00.pth") == []
    # Skipped: the complete file was not requested at all.
    assert hub.downloads(QWEN, "model.safetensors") == []
    # Resumed: one request, for the missing bytes only.
    [resume] = hub.downloads(QWEN, "tokenizer.json")
    assert resume.range == "bytes=50000-"
    # The token reached the gated repo (its listing answers 401 without it).
    assert all(r.authorization == "Bearer hf_test_token" for r in hub.requests)
    out = result.stdout
    assert "skipped" in summary_row(out, "model.safetensors")
    assert "resumed" in summary_row(out, "tokenizer.json")
    assert "sha256 ok" in summary_row(out, "model-00001-of-00002.safetensors")
    assert "size ok" in summary_row(out, "config.json")  # non-LFS: the Hub lists no sha256
    assert "5 ok, 0 failed" in out


def test_failures_are_reported_in_the_summary_with_a_non_zero_exit(tmp_path: Path) -> None:
    good = blob(5)
    hub = FakeHub(repos={
        LLAMA_GGUF: {
            "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf": HubFile(blob(6), behaviour="missing"),
            "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf": HubFile(blob(7)),  # not Q4_K_M: not fetched
        },
        QWEN_GGUF: {"Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf": HubFile(blob(8), behaviour="drop")},
        DEEPSEEK_GGUF: {
            "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf": HubFile(good),
            # The Hub lists a digest the bytes do not have: a corrupt download.
            "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M-extra.gguf": HubFile(
                blob(10), listed_sha256="0" * 64
            ),
        },
    })
    dest = tmp_path / "models"
    with serve_hub(hub) as endpoint:
        result = run(endpoint, dest, "--cpu", "--retries", "2")

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    missing = summary_row(out, "Llama-3.1-8B-Instruct-Q4_K_M")
    assert "FAILED" in missing and "404" in missing
    dropped = summary_row(out, "Coder-7B-Instruct-Q4_K_M")
    assert "FAILED" in dropped
    assert len(hub.downloads(QWEN_GGUF, "Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf")) == 2  # retried
    # The partial file stays for the next run to resume.
    assert (dest / QWEN_GGUF / "Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf.part").stat().st_size > 0
    corrupt = summary_row(out, "Q4_K_M-extra")
    assert "FAILED" in corrupt and "sha256" in corrupt
    assert not (dest / DEEPSEEK_GGUF / "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M-extra.gguf").exists()
    assert "downloaded" in summary_row(out, "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf")
    assert (dest / DEEPSEEK_GGUF / "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf").read_bytes() == good
    assert hub.downloads(LLAMA_GGUF, "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf") == []
    assert "1 ok, 3 failed" in out
    assert "Run the same command again" in result.stderr


def test_gated_repo_without_token_is_a_reported_failure(tmp_path: Path) -> None:
    hub = FakeHub(repos={LLAMA: {"config.json": HubFile(b"{}", lfs=False)}}, private_repos={LLAMA},
                  token="hf_secret")
    with serve_hub(hub) as endpoint:
        result = run(endpoint, tmp_path, "--gpu", "--only", "llama")
    assert result.returncode == 1
    row = summary_row(result.stdout, "(file list)")
    assert "FAILED" in row and "401" in row and "HF_TOKEN" in row
