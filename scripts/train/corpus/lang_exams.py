"""Maths word problems and school-exam questions people wrote in other languages than English (issue 21).

- CMATH (`XiaoMi/cmath`, MIT): Chinese elementary-school maths word problems from workbooks and exams,
  `datasets/cmath_dev.jsonl` (`input`). Source category: reasoning.
- Korean maths word problems (`jkc-ai/mwp-korean-data-2021`, MIT): `public_mwp_data.json` (`question`), the
  2021 AI Grand Challenge set written in Korean. Source category: reasoning.
- GAOKAO-Bench (`OpenLMLab/GAOKAO-Bench`, Apache-2.0): questions of China's national college entrance exams
  2010-2022 (`Data/`, the question only: never `answer` nor `analysis`; the leading "12. (5 分)" numbering removed;
  questions pointing at a figure dropped). Mathematics -> reasoning; physics, chemistry and biology -> reasoning if
  the question has a quantity to compute with (QUANTITY, the MMLU rule of data/SOURCES.md), else general; history,
  politics, geography and Chinese-language questions -> general. The English-language papers are not read.
- EXAMS (`mhardalov/exams-qa`, CC BY-SA 4.0): high-school exam questions in ten languages (the multilingual
  train split, `data/exams/multilingual/train.jsonl.tar.gz`), question and options. Physics, chemistry, economics
  and business -> reasoning if the question stem has a quantity (QUANTITY), else general; informatics read one by
  one (code or general); every other subject -> general. The Polish "professional" vocational exams are not read.
Labels a reader changed: labels/lang-exams.tsv.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob, list_tree
from scripts.train.corpus.multilingual import SEED, Item, draw, labelled, options, tidy
from scripts.train.data import Record

LABELS_NAME = "lang-exams"
# A number that is not a year nor glued to a letter (a formula's index, a name such as "H2O" or "B2B"), or an
# operator: a quantity to compute with. Digits glued to CJK characters count ("有99页"): no spaces there.
QUANTITY = re.compile(r"(?<![A-Za-z0-9.\-_])(?!(?:1[89]|20)\d\d(?!\d))\d+(?:[.,]\d+)?|[=^√∫∑]|\\frac")

CMATH = Blob("XiaoMi/cmath", "9fa13ef0b2d03f5a18c1ace7001248d3981d65ea", "datasets/cmath_dev.jsonl",
             "dd2fdb84a9b75e47aed1a3795431dd088181659d")
KOREAN_MWP = Blob("jkc-ai/mwp-korean-data-2021", "34b954346fbd5d836e51e1ada6f7289cc89be8c5", "public_mwp_data.json",
                  "095f2cbe3389af7e9a181fddd4989425402c6986")
GAOKAO_REPO, GAOKAO_COMMIT = "OpenLMLab/GAOKAO-Bench", "6dbb24f8d8439041e5431c4c184a582182a6ce9c"
GAOKAO_DIR, GAOKAO_TREE = "Data", "7dc36a68da18724884e4f9745177587010f539db"
EXAMS = Blob("mhardalov/exams-qa", "f859e665de6c370f6214ca5f36a34ace36ada6cb",
             "data/exams/multilingual/train.jsonl.tar.gz", "525537e1f1755903f0fc65528f092ae63145b645")
CMATH_DRAW, KOREAN_DRAW = 300, 150

# GAOKAO-Bench file name (between the years and ".json") -> its group.
GAOKAO_MATHS = ("Math_I_MCQs", "Math_II_MCQs", "Math_I_Fill-in-the-Blank", "Math_II_Fill-in-the-Blank",
                "Math_I_Open-ended_Questions", "Math_II_Open-ended_Questions")
GAOKAO_SCIENCE = ("Physics_MCQs", "Physics_Open-ended_Questions", "Chemistry_MCQs", "Chemistry_Open-ended_Questions",
                  "Biology_MCQs", "Biology_Open-ended_Questions")
GAOKAO_GENERAL = ("History_MCQs", "History_Open-ended_Questions", "Political_Science_MCQs",
                  "Political_Science_Open-ended_Questions", "Geography_MCQs", "Geography_Open-ended_Questions",
                  "Chinese_Lang_and_Usage_MCQs", "Chinese_Language_Ancient_Poetry_Reading",
                  "Chinese_Language_Famous_Passages_and_Sentences_Dictation",
                  "Chinese_Language_Language_and_Writing_Skills_Open-ended_Questions")
GAOKAO_DRAW = {"maths": 300, "science": 140, "general": 200}
_FIGURE = re.compile(r"如图|下图|上图|右图|左图|见图|图示|图中|图甲|图乙")
# "12. (18 分)" opening a question; the full-width stop and brackets written as escapes (\uff0e, \uff08, \uff09).
_NUMBERING = re.compile(r"^\s*\d+\s*[.\uff0e、]\s*(?:[\uff08(]\s*\d+\s*分\s*[)\uff09]\s*)?")

EXAMS_LANGS = {"Albanian": "sq", "Bulgarian": "bg", "Croatian": "hr", "Hungarian": "hu", "Italian": "it",
               "North Macedonian": "mk", "Portuguese": "pt", "Serbian": "sr", "Turkish": "tr", "Vietnamese": "vi"}
EXAMS_QUANTITATIVE = ("Physics", "Chemistry", "Economics", "Business")  # a subject that starts with one of these
EXAMS_READ = ("Informatics",)
# Per language: (questions drawn from the quantitative subjects, from the others); informatics is taken whole.
EXAMS_DRAW = {"vi": (100, 30), "tr": (100, 30), "it": (40, 20), "pt": (40, 20)}
EXAMS_DRAW_OTHER = (25, 10)


def quantity(text: str) -> bool:
    return QUANTITY.search(text) is not None


def cmath_items(mirrors: Path) -> Iterator[Item]:
    items = [Item(f"cmath-dev-{index}", str(json.loads(line)["input"]), f"cmath:grade{json.loads(line)['grade']}",
                  "zh", "reasoning") for index, line in enumerate(CMATH.read(mirrors).splitlines()) if line.strip()]
    return iter(draw(items, CMATH_DRAW, SEED + 20))


def korean_items(mirrors: Path) -> Iterator[Item]:
    rows = json.loads(KOREAN_MWP.read(mirrors, encoding="utf-8-sig"))
    items = [Item(f"kmwp-{key}", str(row["question"]), "korean-mwp:public", "ko", "reasoning")
             for key, row in rows.items()]
    return iter(draw(items, KOREAN_DRAW, SEED + 21))


def gaokao_group(name: str) -> str | None:
    for group, names in (("maths", GAOKAO_MATHS), ("science", GAOKAO_SCIENCE), ("general", GAOKAO_GENERAL)):
        if name in names:
            return group
    return None


def gaokao_question(text: str) -> str:
    return tidy(_NUMBERING.sub("", text, count=1))


def gaokao_items(mirrors: Path) -> Iterator[Item]:
    groups: dict[str, list[Item]] = {group: [] for group in GAOKAO_DRAW}
    files = list_tree(mirrors, GAOKAO_REPO, GAOKAO_COMMIT, GAOKAO_DIR, GAOKAO_TREE)
    for path, blob in sorted(files.items()):
        if not path.endswith(".json"):
            continue
        name = path.rsplit("/", 1)[1].removesuffix(".json").split("_", 1)[1]  # "2010-2022_Math_I_MCQs" -> "Math_I_MCQs"
        group = gaokao_group(name)
        if group is None:
            continue
        for row in json.loads(Blob(GAOKAO_REPO, GAOKAO_COMMIT, path, blob).read(mirrors))["example"]:
            question = gaokao_question(str(row["question"]))
            if _FIGURE.search(question):
                continue
            label = {"maths": "reasoning", "general": "general"}.get(group) or (
                "reasoning" if quantity(question) else "general")
            key = name.lower().replace("_", "-")
            groups[group].append(Item(f"gaokao-{key}-{row['index']}", question, f"gaokao:{key}", "zh", label))
    for k, (group, items) in enumerate(groups.items()):
        yield from draw(items, GAOKAO_DRAW[group], SEED + 30 + k)


def exams_rows(mirrors: Path) -> list[dict[str, object]]:
    with tarfile.open(fileobj=io.BytesIO(EXAMS.read_bytes(mirrors)), mode="r:gz") as archive:
        member = archive.extractfile("train.jsonl")
        if member is None:
            raise ValueError(f"{EXAMS.path}: no train.jsonl inside")
        text = member.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def exams_items(mirrors: Path) -> Iterator[Item]:
    pools: dict[tuple[str, str], list[Item]] = {}
    for row in exams_rows(mirrors):
        info = row["info"]
        assert isinstance(info, dict)
        lang = EXAMS_LANGS.get(str(info["language"]))
        if lang is None:
            continue
        subject = str(info["subject"])
        question = row["question"]
        assert isinstance(question, dict)
        stem = tidy(str(question["stem"]))
        prompt = f"{stem}\n{options([str(c['text']) for c in question['choices']])}"
        if subject.startswith(EXAMS_QUANTITATIVE):
            kind, label = "quantitative", "reasoning" if quantity(stem) else "general"
        elif subject in EXAMS_READ:
            kind, label = "read", "code"
        else:
            kind, label = "other", "general"
        source = f"exams:{lang}-{subject.split(' ', 1)[0].lower()}"
        pools.setdefault((lang, kind), []).append(Item(f"exams-{row['id']}", prompt, source, lang, label))
    for k, ((lang, kind), items) in enumerate(sorted(pools.items())):
        quantitative, other = EXAMS_DRAW.get(lang, EXAMS_DRAW_OTHER)
        yield from items if kind == "read" else draw(items, quantitative if kind == "quantitative" else other,
                                                     SEED + 40 + k)


def cmath(mirrors: Path) -> Iterator[Record]:
    return labelled(cmath_items(mirrors), LABELS_NAME)


def korean_mwp(mirrors: Path) -> Iterator[Record]:
    return labelled(korean_items(mirrors), LABELS_NAME)


def gaokao(mirrors: Path) -> Iterator[Record]:
    return labelled(gaokao_items(mirrors), LABELS_NAME)


def exams(mirrors: Path) -> Iterator[Record]:
    return labelled(exams_items(mirrors), LABELS_NAME)


SOURCES = {"cmath_zh": cmath, "korean_mwp": korean_mwp, "gaokao_zh": gaokao, "exams_multilingual": exams}
