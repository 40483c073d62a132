"""Capture without LiteLLM: the scrubber's named patterns, the writer's files (modes, rotation, cap,
full disk, unwritable directory, full queue) and `agent-router eval` reading what it wrote."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from plugins.capture.rows import joined, messages_of
from plugins.capture.scrub import PATTERNS, scrub
from plugins.capture.writer import CaptureError, CaptureWriter
from plugins.cli import main
from plugins.metrics.loop import LoopMetrics
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from plugins.surfaces.chat import read_messages

CONFIG = Path(__file__).resolve().parents[1] / "litellm_config.yaml"
INTENTS = ("code", "reasoning", "general")
RECORD = RoutingRecord("code", 0.9, "high", "qwen-coder", "qwen-coder", False, "learned", (("code", 0.9),), 0.8, 0.0)

SECRETS = {
    "api_key": ("use sk-proj-Ab3dEf6hIj9kLm2nOp5q to call it", "sk-proj-Ab3dEf6hIj9kLm2nOp5q"),
    "bearer_token": ("curl -H 'Authorization: Bearer eyJhbGciOi.payload-123_x' url", "eyJhbGciOi.payload-123_x"),
    "aws_access_key": ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "aws_secret_key": ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "private_key": ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
                    "b3BlbnNzaC1rZXk"),
    "url_credentials": ("clone https://deploy:hunter2pass@git.example.com/repo.git", "deploy:hunter2pass"),
}


def test_every_named_pattern_has_a_case() -> None:
    assert set(SECRETS) == set(PATTERNS)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_pattern_replaces_its_secret_by_name(name: str) -> None:
    text, secret = SECRETS[name]
    scrubbed, found = scrub(text)
    assert secret not in scrubbed and f"[REDACTED:{name}]" in scrubbed and found == {name: 1}


def test_ordinary_text_and_personal_data_are_left_as_they_are() -> None:
    text = "Ask Jane Doe (jane@example.com) about the sk-8 skateboard and bearer bonds; see https://example.com/a"
    assert scrub(text) == (text, {})


def test_the_messages_read_back_into_the_view_the_classifier_read() -> None:
    prompt = Prompt("fix this bug", ("earlier question",), "you are terse")
    assert read_messages(messages_of(prompt)) == prompt


def writer(directory: Path, max_bytes: int = 10_000, max_files: int = 3,
           queue_size: int = 1024) -> tuple[CaptureWriter, CollectorRegistry]:
    registry = CollectorRegistry()
    return CaptureWriter(directory, max_bytes, max_files, 1.0, LoopMetrics(INTENTS, registry),
                         queue_size=queue_size, pid=4242), registry


def lines(directory: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(directory.glob("*.jsonl")) for line in path.read_text().splitlines()]


def test_lines_are_scrubbed_and_files_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "capture"
    w, _ = writer(directory)
    w.prepare()
    w.start()
    try:
        w.decision("chatcmpl-1", "chat", RECORD, Prompt("my key is sk-live-0123456789abcdefXYZ, fix it"))
        w.feedback("chatcmpl-1", "general", "user")
        w.drain()
    finally:
        w.stop()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = directory.glob("capture-4242-*.jsonl")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    decision, feedback = lines(directory)
    assert decision["kind"] == "decision" and decision["surface"] == "chat"
    assert decision["messages"] == [{"role": "user", "content": "my key is [REDACTED:api_key], fix it"}]
    assert decision["decision"]["intent"] == "code"  # type: ignore[index]
    assert feedback == {"kind": "feedback", "id": "chatcmpl-1", "intent": "general", "source": "user",
                        "time": feedback["time"]}
    assert "sk-live" not in path.read_text()


def test_files_rotate_at_the_cap_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    w, _ = writer(tmp_path, max_bytes=600, max_files=2)
    w.prepare()
    w.start()
    try:
        for i in range(12):
            w.decision(f"id-{i}", "chat", RECORD, Prompt("x" * 200))
        w.drain()
    finally:
        w.stop()
    files = sorted(tmp_path.glob("capture-4242-*.jsonl"))
    assert len(files) == 2 and all(f.stat().st_size <= 600 for f in files)
    assert [r["id"] for r in lines(tmp_path)][-1] == "id-11"


def test_an_unwritable_directory_at_start_up_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    w, _ = writer(blocker / "capture")
    with pytest.raises(CaptureError, match="a-file/capture"):
        w.prepare()


def test_a_full_disk_stops_capture_and_counts_every_line_lost(tmp_path: Path) -> None:
    # The writer's next file is /dev/full: every write fails with ENOSPC, as on a full disk.
    (tmp_path / "capture-4242-00001.jsonl").symlink_to("/dev/full")
    w, registry = writer(tmp_path)
    w.prepare()
    w.start()
    try:
        for i in range(3):
            w.decision(f"id-{i}", "chat", RECORD, Prompt("hello"))
        w.drain()
    finally:
        w.stop()
    assert w.stopped == "disk_full"
    assert registry.get_sample_value("agent_router_capture_dropped_total", {"reason": "disk_full"}) == 3
    w.decision("later", "chat", RECORD, Prompt("hello"))  # stopped: counted, not queued
    assert registry.get_sample_value("agent_router_capture_dropped_total", {"reason": "disk_full"}) == 4


def test_a_directory_that_goes_away_stops_capture_as_unwritable(tmp_path: Path) -> None:
    directory = tmp_path / "capture"
    w, registry = writer(directory)
    w.prepare()
    os.rmdir(directory)
    w.start()
    try:
        w.decision("id", "chat", RECORD, Prompt("hello"))
        w.drain()
    finally:
        w.stop()
    assert w.stopped == "unwritable"
    assert registry.get_sample_value("agent_router_capture_dropped_total", {"reason": "unwritable"}) == 1


def test_a_full_queue_drops_without_waiting(tmp_path: Path) -> None:
    w, registry = writer(tmp_path, queue_size=1)  # not started: nothing takes from the queue
    w.decision("a", "chat", RECORD, Prompt("x"))
    w.decision("b", "chat", RECORD, Prompt("x"))
    assert registry.get_sample_value("agent_router_capture_dropped_total", {"reason": "queue_full"}) == 1


def test_eval_scores_captured_rows_with_feedback_and_says_what_it_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    w, _ = writer(tmp_path)
    w.prepare()
    w.start()
    try:
        w.decision("a", "chat", RECORD, Prompt("Write a Python function to parse JSON"))
        w.decision("b", "chat", RECORD, Prompt("Solve step by step: 2x + 3 = 11"))
        w.decision("c", "chat", RECORD, Prompt("no feedback on this one"))
        w.feedback("a", "code", "user")
        w.feedback("b", "reasoning", "reviewer")
        w.feedback("elsewhere", "general", "user")
        w.drain()
    finally:
        w.stop()
    assert len(joined(lines(tmp_path)).rows) == 2
    assert main(["eval", "--config", str(CONFIG), "--data", str(tmp_path), "--json", "--bootstrap", "0"]) == 0
    out, err = capsys.readouterr()
    assert "2 rows with feedback scored; 1 decisions without feedback skipped, 1 feedback lines" in err
    figures = json.loads(out)
    assert sum(c["support"] for c in figures["per_class"].values()) == 2
    assert set(figures["by_source"]) == {"capture"}  # rows are labelled `capture:<feedback source>`
