"""The `agent-router` command: classify JSON Lines in order, evaluate a labelled file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.classify.learned import PACKAGED_MODEL, LearnedClassifier
from plugins.cli import classify_stream, main
from scripts.stack import ROOT

CONFIG = str(ROOT / "litellm_config.yaml")


@pytest.fixture(scope="module")
def learned() -> LearnedClassifier:
    return LearnedClassifier.load(PACKAGED_MODEL, "general", 0.3)


def test_classify_stream_writes_one_line_per_input_in_order(learned: LearnedClassifier) -> None:
    lines = [
        json.dumps({"id": "a", "prompt": "Write a SQL query that counts users per country."}),
        "",
        json.dumps({"id": "b", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Solve 2x + 3 = 11 for x, step by step."}]}),
        "{not json",
        json.dumps({"id": "d", "messages": "not a list"}),
        json.dumps({"id": "e", "prompt": "Recommend a good novel for a long flight."}),
    ]
    out = io.StringIO()
    failures = classify_stream(learned, io.StringIO("\n".join(lines) + "\n"), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert failures == 2
    assert [r["id"] for r in rows] == ["a", "b", None, "d", "e"]
    assert [r.get("intent") for r in rows] == ["code", "reasoning", None, None, "general"]
    assert "line 4" in rows[2]["error"] and "line 5" in rows[3]["error"]
    for row in (rows[0], rows[1], rows[4]):
        assert set(row) == {"id", "intent", "confidence", "scores"}
        assert row["confidence"] == row["scores"][row["intent"]]


def test_eval_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.jsonl"
    rows = [
        {"id": "1", "prompt": "Implement binary search in Go.", "label": "code"},
        {"id": "2", "prompt": "What is 17% of 2,340?", "label": "reasoning"},
        {"id": "3", "messages": [{"role": "user", "content": "Write a haiku\u2028about rain."}], "label": "general"},
        {"id": "4", "prompt": "How do I boil an egg?", "label": "reasoning", "source": "made-up:chat"},
    ]
    # ensure_ascii=False leaves U+2028 raw inside a JSON string: it must not split the line
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--classifier", "learned"]) == 0
    text = capsys.readouterr().out
    for needle in ("accuracy: 0.7500", "macro-F1:", "precision", "confusion", "p50", "p99", "cpu ms",
                   "calibration", "made-up"):
        assert needle in text
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--classifier", "keyword", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["classifier"] == "keyword"
    assert set(figures["confusion"]) == {"code", "reasoning", "general"}
    assert sum(c["support"] for c in figures["per_class"].values()) == 4
    assert figures["latency_ms"]["n"] == 4
    # rows without a source are grouped under "", the one with a source on its own
    assert figures["by_source"]["made-up"]["n"] == 1 and figures["by_source"][""]["n"] == 3
    assert [b["band"] for b in figures["calibration"]] == ["high", "medium", "low"]
    assert sum(b["n"] for b in figures["calibration"]) == 4


def lang_rows(tmp_path: Path) -> Path:
    data = tmp_path / "lang.jsonl"
    rows = [
        {"id": "1", "prompt": "Implement binary search in Go.", "label": "code", "source": "x:a"},
        {"id": "2", "prompt": "Напиши функцию на Python, которая сортирует список.", "label": "code", "lang": "ru"},
        {"id": "3", "prompt": "Сколько будет 15% от 240?", "label": "reasoning", "lang": "ru"},
        {"id": "4", "prompt": "Écris un poème sur la mer.", "label": "general", "lang": "fr"},
    ]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return data


def test_eval_reports_each_language_with_intervals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = lang_rows(tmp_path)
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--classifier", "learned", "--json",
                 "--bootstrap", "50"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # a line without `lang` is English
    assert {k: v["n"] for k, v in figures["by_lang"].items()} == {"en": 1, "fr": 1, "ru": 2}
    for group in [figures["intervals"], *figures["by_lang"].values()]:
        for name in ("accuracy", "macro_f1"):
            assert group[name]["low"] <= group[name]["value"] <= group[name]["high"]
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--classifier", "learned", "--bootstrap", "50"]) == 0
    text = capsys.readouterr().out
    assert "95% CI" in text and "language" in text and "\nru " in text


def test_eval_compares_model_directories_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = lang_rows(tmp_path)
    # intent-v1's manifest predates `kind`: it loads as `learned`
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in PACKAGED_MODEL.iterdir():
        (copy / path.name).symlink_to(path)
    args = ["eval", "--data", str(data), "--config", CONFIG, "--bootstrap", "50"]
    assert main([*args, "--model", str(PACKAGED_MODEL), "--model", str(copy), "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert [m["model"] for m in models] == [str(PACKAGED_MODEL), str(copy)]
    assert {m["classifier"] for m in models} == {"learned"}
    assert models[0]["by_lang"] == models[1]["by_lang"]
    assert main([*args, "--model", str(PACKAGED_MODEL), "--model", str(copy)]) == 0
    text = capsys.readouterr().out
    assert "side by side" in text and f"(2) {copy} (learned)" in text and "lang ru" in text


def test_eval_refuses_an_unknown_manifest_kind_and_mixed_selectors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = lang_rows(tmp_path)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "manifest.json").write_text(json.dumps({"kind": "oracle"}), encoding="utf-8")
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--model", str(odd)]) == 2
    assert "unknown kind 'oracle'" in capsys.readouterr().err
    assert main(["eval", "--data", str(data), "--config", CONFIG, "--model", str(odd), "--classifier", "learned"]) == 2
    assert "alternatives" in capsys.readouterr().err


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.process
def test_console_script_classifies_stdin() -> None:
    # A real process through the module entry point the console script calls.
    proc = subprocess.run(
        [sys.executable, "-m", "plugins.cli", "classify", "--config", CONFIG, "--classifier", "learned"],
        input=json.dumps({"id": 7, "prompt": "Why does git say detached HEAD?"}) + "\n",
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["id"] == 7 and row["intent"] == "code"


def test_every_configurable_classifier_is_a_choice_and_hybrid_takes_its_base() -> None:
    from plugins.cli import load, parser

    args = parser().parse_args(["eval", "--data", "x.jsonl", "--classifier", "encoder", "--hybrid-base", "encoder"])
    assert (args.classifier, args.hybrid_base) == ("encoder", "encoder")
    config, classifier, _ = load(CONFIG, "hybrid", "learned")
    assert (config.classifier, config.hybrid_base, classifier.kind) == ("hybrid", "learned", "hybrid")
