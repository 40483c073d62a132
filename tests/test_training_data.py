"""The training split: development-set records never reach it, and its hash moves only with the training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.train.corpus.devsets import carve
from scripts.train.data import Record, digest, read_all, read_devset, read_jsonl, split


def corpus(root: Path, records: list[Record], name: str = "chat.jsonl") -> None:
    folder = root / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")


def devset(root: Path, name: str, lines: list[str]) -> None:
    folder = root / "devsets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.tsv").write_text("# a comment\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")


RECORDS = [Record(f"chat-{i}", f"prompt number {i}", "code" if i % 3 else "general", "wildchat:x") for i in range(30)]


def test_records_a_development_set_lists_are_not_training_data(tmp_path: Path) -> None:
    corpus(tmp_path, RECORDS)
    devset(tmp_path, "dev_a", ["chat-1\tcode\ten", "chat-3\tgeneral\tru"])
    ids = {r.id for r in read_all(tmp_path)}
    assert "chat-1" not in ids and "chat-3" not in ids
    assert len(ids) == len(RECORDS) - 2


def test_the_split_of_the_other_records_and_their_hash_do_not_depend_on_the_development_sets(tmp_path: Path) -> None:
    corpus(tmp_path, RECORDS)
    before, _ = split(read_all(tmp_path))
    devset(tmp_path, "dev_a", ["chat-1\tcode\ten"])
    after, _ = split(read_all(tmp_path))
    assert [r for r in before if r.id != "chat-1"] == after
    assert digest(r for r in before if r.id != "chat-1") == digest(after)
    # writing the development set's file changes nothing either: the rule is by id, not by file
    carve(tmp_path)
    assert split(read_all(tmp_path))[0] == after


def test_lang_is_written_only_when_set_so_training_lines_keep_their_bytes() -> None:
    plain = Record("a-1", "hi", "general", "s:x")
    assert json.loads(plain.to_json()) == {"id": "a-1", "prompt": "hi", "label": "general", "source": "s:x"}
    assert json.loads(Record("a-1", "hi", "general", "s:x", "de").to_json())["lang"] == "de"


def test_carve_writes_each_set_with_the_lists_label_and_lang(tmp_path: Path) -> None:
    corpus(tmp_path, RECORDS)
    devset(tmp_path, "dev_a", ["chat-2\treasoning\tzh", "chat-5\tcode\ten"])
    report = carve(tmp_path)
    rows = read_jsonl(tmp_path / "corpus" / "dev_a.jsonl")
    assert [(r.id, r.prompt, r.label, r.lang) for r in rows] == [
        ("chat-2", "prompt number 2", "reasoning", "zh"), ("chat-5", "prompt number 5", "code", "en")]
    assert report["dev_a"]["relabelled_here"] == 1  # chat-2 is `code` in the corpus file


def test_carve_names_the_ids_the_corpus_lacks(tmp_path: Path) -> None:
    corpus(tmp_path, RECORDS)
    devset(tmp_path, "dev_a", ["chat-2\tcode\ten", "gone-7\tcode\ten"])
    with pytest.raises(SystemExit, match="gone-7"):
        carve(tmp_path)


def test_a_list_line_without_a_language_is_refused_with_its_place(tmp_path: Path) -> None:
    devset(tmp_path, "dev_a", ["chat-2\tcode"])
    with pytest.raises(ValueError, match=r"dev_a\.tsv:2"):
        read_devset(tmp_path / "devsets" / "dev_a.tsv")


def test_repeat_chat_adds_copies_of_real_chat_code_and_reasoning_turns_only() -> None:
    from scripts.train.finetune import repeat_chat

    records = [Record("w1", "fix my flask app", "code", "wildchat:codechat"),
               Record("w2", "hello there", "general", "wildchat:atp"),
               Record("p1", "what is 17% of 60?", "reasoning", "prism:opening_prompt"),
               Record("c1", "sort a list in python", "code", "conala:train")]
    assert repeat_chat(records, 1) == records
    assert [r.id for r in repeat_chat(records, 3)] == ["w1", "w2", "p1", "c1", "w1", "p1", "w1", "p1"]
    with pytest.raises(ValueError, match="at least 1"):
        repeat_chat(records, 0)
