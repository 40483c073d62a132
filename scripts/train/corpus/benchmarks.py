"""Sources whose own split or category decides the label: GSM8K train (reasoning), ProofNet, MMLU dev/val."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob
from scripts.train.data import Record

GSM8K = Blob("openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c",
             "grade_school_math/data/train.jsonl", "7d97154b91aef28d01c3301741c81ce90039a4b1")
MMLU_REPO = "Brian-Ckwu/stanford-cs336-assignment5-alignment"
MMLU_COMMIT = "e14185396ff431ec91d6dad0da067c145b209ac3"

# MMLU subjects, by what a question in them asks for (FORMAT.md): maths and formal logic are reasoning;
# computer science is code; in the quantitative sciences a question with a quantity to compute with is
# reasoning, one that asks for a concept in words general; in any subject a question that says it wants
# a probability or a calculation is reasoning; everything else is general knowledge.
# Audit (6 of 48 MMLU items disagreed with the blind second reader) -> two fixes: numbers that are part
# of a name ("Circular 230", "group-14") are not quantities, and the explicit-calculation rule now
# applies to every subject (a genetics probability sat in `miscellaneous`).
MMLU_REASONING = {"abstract_algebra", "college_mathematics", "elementary_mathematics", "high_school_mathematics",
                  "high_school_statistics", "formal_logic"}
MMLU_QUANTITATIVE = {"college_physics", "high_school_physics", "conceptual_physics", "college_chemistry",
                     "high_school_chemistry", "astronomy", "electrical_engineering", "econometrics",
                     "high_school_macroeconomics", "high_school_microeconomics", "machine_learning",
                     "professional_accounting", "college_biology", "high_school_biology", "medical_genetics"}
MMLU_CODE = {"college_computer_science", "high_school_computer_science"}
# A number that is not a year and not part of a name (a section, a group, a formula's index): a quantity.
_QUANTITY = re.compile(
    r"(?<![\w.-])(?<!Circular )(?<!Section )(?<!Article )(?<!Title )(?<!Chapter )(?<!Rule )(?<!Form )"
    r"(?!1[89]\d\d\b|20\d\d\b)\d+(\.\d+)?(?![\w])|[=^√∫∑]|\\frac")
_CALCULATION = re.compile(r"\b(probability|calculate|compute|solve for)\b", re.IGNORECASE)


def gsm8k(mirrors: Path) -> Iterator[Record]:
    for index, line in enumerate(GSM8K.read(mirrors).splitlines()):
        yield Record(f"gsm8k-train-{index}", json.loads(line)["question"].strip(), "reasoning", "gsm8k:train")


def mmlu_label(subject: str, question: str) -> str | None:
    if subject in MMLU_REASONING or _CALCULATION.search(question):
        return "reasoning"
    if subject in MMLU_CODE:
        return "code"
    if subject == "moral_scenarios":
        return None  # two scenarios judged at once: a templated task unlike anything a user types
    if subject in MMLU_QUANTITATIVE and _QUANTITY.search(question):
        return "reasoning"
    return "general"


def mmlu(mirrors: Path, blobs: dict[str, str]) -> Iterator[Record]:
    """MMLU dev and validation questions (never the test split), with their options as a user pastes them."""
    for path, blob in sorted(blobs.items()):
        split = "dev" if path.endswith("_dev.csv") else "val"
        subject = path.rsplit("/", 1)[1].removesuffix(f"_{split}.csv")
        text = Blob(MMLU_REPO, MMLU_COMMIT, path, blob).read(mirrors)
        for index, row in enumerate(csv.reader(io.StringIO(text))):
            if len(row) != 6:
                continue
            question = row[0].strip()
            label = mmlu_label(subject, question)
            if label is None:
                continue
            options = "\n".join(f"{letter}) {opt.strip()}" for letter, opt in zip("ABCD", row[1:5], strict=True))
            yield Record(f"mmlu-{split}-{subject}-{index}", f"{question}\n{options}", label, f"mmlu:{subject}")

PROOFNET = {
    "benchmark/valid.jsonl": "f7df31facb7e6f6f81afc8827cfd8477d80bfac1",
    "benchmark/test.jsonl": "a1e9d5c3ecf33dad19df61119e0ea2f1b95dc152",
}


def proofnet(mirrors: Path) -> Iterator[Record]:
    """Undergraduate theorem statements in LaTeX ("Prove that ..."): maths in notation, reasoning."""
    for path, blob in PROOFNET.items():
        text = Blob("zhangir-azerbayev/ProofNet", "509ad79710ed4f46ff5c282ed5640c1aa9ac3f30", path, blob).read(mirrors)
        for line in text.splitlines():
            row = json.loads(line)
            book = str(row["id"]).split("|")[0].lower()
            yield Record(f"proofnet-{row['id'].replace('|', '-')}", str(row["nl_statement"]).strip(), "reasoning",
                         f"proofnet:{book}")
