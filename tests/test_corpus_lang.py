"""The non-English corpus readers (scripts/train/corpus/multilingual.py and its lang_* modules): parsing, the written
labelling rules, seeded draws, the audit's reader file and scoring. No snapshot needed: the readers' file parsing is
exercised on text written here, and a machine without the snapshots gets the message naming what to fetch."""

# ruff: noqa: RUF001 (the test prompts are Chinese text: its punctuation is full-width)
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.train import audit
from scripts.train.corpus import build, lang_code, lang_exams, multilingual
from scripts.train.corpus.multilingual import Item, draw, labelled, options, tidy
from scripts.train.data import Record, read_jsonl


def test_every_reader_is_in_make_corpus_and_names_the_snapshot_it_lacks(tmp_path: Path) -> None:
    names = build.training_sources(tmp_path).keys()
    readers = multilingual.sources()
    assert set(readers) <= set(names)
    assert {"mconala", "fe_interview_zh", "cmath_zh", "korean_mwp", "gaokao_zh", "exams_multilingual", "rubq_ru",
            "jcommonsenseqa_ja", "korean_chatbot"} == set(readers)
    with pytest.raises(SystemExit, match="fetch github:zorazrw/multilingual-conala first"):
        list(readers["mconala"](tmp_path))


def test_records_carry_their_language_and_the_reader_s_label_overrides_the_default() -> None:
    skill = "fe-interview:skill"
    items = [Item("fe-interview-1012", " 你上家公司前端团队有多少人？ ", skill, "zh", "code"),
             Item("fe-interview-101", "在浏览器中输入url到页面显示出来的过程发生了什么？", skill, "zh", "code"),
             Item("fe-interview-x", "   ", "fe-interview:skill", "zh", "code")]
    records = list(labelled(items, lang_code.LABELS_NAME))
    # labels/lang-code.tsv reads the team-size question as careers talk (general); the blank prompt is dropped
    assert [(r.id, r.label, r.lang) for r in records] == [("fe-interview-1012", "general", "zh"),
                                                          ("fe-interview-101", "code", "zh")]
    assert records[0].prompt == "你上家公司前端团队有多少人？"
    assert json.loads(records[0].to_json())["lang"] == "zh"


def test_a_label_of_dash_drops_the_item() -> None:
    item = Item("gaokao-chemistry-mcqs-78", "下列操作末涉及的是（） ![](https://cdn.example/x.jpg)", "gaokao:x", "zh",
                "reasoning")
    assert list(labelled([item], lang_exams.LABELS_NAME)) == []


def test_the_quantity_rule_counts_numbers_to_compute_with_not_years_nor_formula_indices() -> None:
    assert lang_exams.quantity("芳芳买了一本书有99页，看了90页")  # digits glued to CJK text count
    assert lang_exams.quantity("Tijelo mase 0,1 kg bačeno je s visine 2,5 m")
    assert lang_exams.quantity("x^2")
    assert not lang_exams.quantity("Năm 1945, H2O và CO2 là gì?")  # a year, formula indices
    assert not lang_exams.quantity("Kimyasal tepkimedeki amonyak neyi temsil etmektedir")


def test_gaokao_numbering_and_score_marks_are_removed() -> None:
    assert lang_exams.gaokao_question("12. (18 分) 小球  A 和 B 的质量\n") == "小球 A 和 B 的质量"
    assert lang_exams.gaokao_question("1．（5 分）已知集合 A") == "已知集合 A"
    assert lang_exams.gaokao_group("Math_I_MCQs") == "maths"
    assert lang_exams.gaokao_group("Physics_MCQs") == "science"
    assert lang_exams.gaokao_group("English_Cloze_Test") is None  # English-language papers are not read


def test_fe_interview_lines_are_parsed_by_issue_number() -> None:
    text = ("# 3+1\n## html\n- [如何通过表单下载文件？](https://github.com/haizlin/fe-interview/issues/2608)\n"
            "- [其他链接](https://example.org/x)\n  - [websocket可以携带cookie吗？](https://github.com/haizlin/fe-interview/issues/2537)\n")
    assert list(lang_code.parse_fe(text)) == [(2608, "如何通过表单下载文件？"), (2537, "websocket可以携带cookie吗？")]


def test_draws_are_seeded_and_sorted() -> None:
    items = [Item(f"x-{i:03d}", f"prompt {i}", "s:a", "es", "code") for i in range(50)]
    first = draw(items, 10, seed=5)
    assert first == draw(list(reversed(items)), 10, seed=5)
    assert [i.id for i in first] == sorted(i.id for i in first)
    assert first != draw(items, 10, seed=6)
    assert draw(items[:3], 10, seed=5) == items[:3]


def test_options_and_tidy_write_what_a_user_pastes() -> None:
    assert tidy("  a   b \n\t c  ") == "a b\nc"
    assert options(["世界", " 写真集 "]) == "A) 世界\nB) 写真集"


def _corpus(folder: Path) -> list[Record]:
    folder.mkdir()
    records = []
    for name in multilingual.sources():
        rows = [Record(f"{name}-{i}", f"{name} prompt {i}\twith\na break", "code" if i % 2 else "general", f"{name}:x",
                       "ru") for i in range(12)]
        (folder / f"{name}.jsonl").write_text("".join(r.to_json() + "\n" for r in rows), encoding="utf-8")
        records += rows
    return records


def test_the_audit_reader_file_has_no_labels_and_the_key_scores_a_reader(tmp_path: Path) -> None:
    records = _corpus(tmp_path / "corpus")
    out, key = tmp_path / "audit" / "items.tsv", tmp_path / "key.tsv"
    args = ["draw-lang", "--corpus", str(tmp_path / "corpus"), "--n", "20", "--out", str(out), "--key", str(key)]
    assert audit.main(args) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20 and all(len(line.split("\t")) == 3 for line in lines)
    by_id = {r.id: r for r in records}
    for line in lines:  # id, lang and the prompt (tabs and breaks escaped): no label
        ident, lang, prompt = line.split("\t")
        assert lang == "ru" and prompt.replace("\\t", "\t").replace("\\n", "\n") == by_id[ident].prompt
    keyed = [row.split("\t") for row in key.read_text(encoding="utf-8").splitlines() if not row.startswith("#")]
    assert [row[0] for row in keyed] == [line.split("\t")[0] for line in lines]
    assert all(by_id[row[0]].label == row[1] for row in keyed)
    # a reader who says "general" everywhere agrees on the general half only
    reader = tmp_path / "reader.tsv"
    reader.write_text("".join(f"{row[0]}\tgeneral\n" for row in keyed), encoding="utf-8")
    figures = audit.agreement(audit.joined_pairs(key, reader))
    assert figures["agree"] == sum(row[1] == "general" for row in keyed)
    assert figures["kappa"] == 0.0


def test_the_audit_names_the_missing_corpus_files(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"mconala\.jsonl"):
        audit.lang_records(tmp_path)


def test_a_reader_file_missing_an_id_is_a_clear_error(tmp_path: Path) -> None:
    key, reader = tmp_path / "key.tsv", tmp_path / "reader.tsv"
    key.write_text("# header\na\tcode\tru\ts:x\nb\tgeneral\tru\ts:x\n", encoding="utf-8")
    reader.write_text("a\tcode\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no label for 1 ids"):
        audit.joined_pairs(key, reader)


def test_jsonl_round_trip_keeps_lang(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(Record("a", "¿Cómo?", "code", "mconala:es", "es").to_json() + "\n", encoding="utf-8")
    assert read_jsonl(path)[0].lang == "es"


def test_the_writer_drops_development_and_repeated_prompts_and_can_run_again_into_the_corpus(tmp_path: Path) -> None:
    data = tmp_path / "data"
    corpus = data / "corpus"
    corpus.mkdir(parents=True)
    dev = tmp_path / "intent_dev.jsonl"
    dev.write_text(Record("dev-1", "¿Cómo ordeno una lista en Python?", "code", "dev:x").to_json() + "\n",
                   encoding="utf-8")
    (corpus / "nonenglish_dev.jsonl").write_text(
        Record("wc-1", "Как сварить борщ?", "general", "wildchat:x", "ru").to_json() + "\n", encoding="utf-8")
    (corpus / "older.jsonl").write_text(Record("old-1", "Как дела?", "general", "x:y").to_json() + "\n",
                                        encoding="utf-8")
    items = [Item("a-1", "¿Cómo ordeno una lista en Python?", "a:x", "es", "code"),  # the dev set's prompt
             Item("a-2", "Как  сварить борщ?", "a:x", "ru", "general"),  # nonenglish_dev's, spacing aside
             Item("a-3", "как дела?", "a:x", "ru", "general"),  # an older corpus file's
             Item("a-4", "¿Cómo leo un CSV con pandas?", "a:x", "es", "code"),
             Item("a-5", "¿Cómo leo un CSV con pandas?", "a:x", "es", "code")]  # repeats a-4

    def reader(mirrors: Path) -> Iterator[Record]:
        return labelled(items, "no-such-labels")

    for _ in range(2):  # the second run reads the first run's output in data/corpus and keeps it all the same
        report = multilingual.write(tmp_path, corpus, data, dev, {"a_source": reader})
        assert [r.id for r in read_jsonl(corpus / "a_source.jsonl")] == ["a-4"]
        assert report["a_source"]["dropped_dev_overlap"] == 2
        assert report["a_source"]["dropped_duplicate"] == 2
