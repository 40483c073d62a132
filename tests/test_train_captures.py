"""Reviewed captures become training records (`make model CAPTURES=...`): written by the real
capture writer, joined with their feedback, only trusted sources kept."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry

from plugins.capture.writer import CaptureWriter
from plugins.metrics.loop import LoopMetrics
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from scripts.train.captures import main
from scripts.train.data import read_jsonl

RECORD = RoutingRecord("general", 0.9, "high", "llama", "llama", False, "learned", (("general", 0.9),), 0.8, 0.0)


def test_reviewed_feedback_becomes_training_records(tmp_path: Path) -> None:
    directory = tmp_path / "capture"
    writer = CaptureWriter(directory, 100_000, 3, 1.0, LoopMetrics(("code", "reasoning", "general"),
                                                                    CollectorRegistry()), pid=7)
    writer.prepare()
    writer.start()
    try:
        writer.decision("a", "chat", RECORD, Prompt("why does my loop never end: while i < 10: print(i)",
                                                    context=("earlier turn",)))
        writer.decision("b", "chat", RECORD, Prompt("how many apples are left if I eat 3 of 7"))
        writer.decision("c", "chat", RECORD, Prompt("tell me a joke"))
        writer.feedback("a", "code", "reviewer")
        writer.feedback("b", "reasoning", "user")  # not trusted by default
        writer.feedback("a", "general", "reviewer")  # a repeat: the first report counts
        writer.drain()
    finally:
        writer.stop()
    out = tmp_path / "corpus" / "captures.jsonl"
    assert main([str(directory), "--out", str(out)]) == 0
    (record,) = read_jsonl(out)
    assert (record.id, record.label, record.source) == ("capture-a", "code", "capture:reviewer")
    assert record.prompt == "why does my loop never end: while i < 10: print(i)"  # the deciding turn
    assert main([str(directory), "--out", str(out), "--sources", "reviewer", "user"]) == 0
    assert sorted(json.loads(line)["label"] for line in out.read_text().splitlines()) == ["code", "reasoning"]
