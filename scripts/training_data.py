"""Reads the training prompts under data/ and splits them into train and held-out, deterministically.

data/corpus/*.jsonl (public sources, FORMAT.md records) is read beside the authored text files.

Each `data/**/*.txt` file holds records separated by a line `%%`; lines starting with `#` before the
first record are comments, and one of them must be `# label: <intent>`. A record's id is the file's
path (without .txt) and its position, e.g. `authored/code-17`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "%%"
# One record in five is held out, chosen by a hash of its id: stable when other records are added.
HELDOUT_MODULUS = 5


@dataclass(frozen=True)
class Record:
    id: str
    prompt: str
    label: str
    source: str

    def to_json(self) -> str:
        return json.dumps(
            {"id": self.id, "prompt": self.prompt, "label": self.label, "source": self.source},
            ensure_ascii=False,
        )


def read_file(path: Path, root: Path) -> list[Record]:
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition(f"\n{SEPARATOR}\n")
    labels = [line.split(":", 1)[1].strip() for line in header.splitlines() if line.startswith("# label:")]
    if len(labels) != 1:
        raise ValueError(f"{path}: the header needs exactly one '# label: <intent>' line")
    source = str(path.relative_to(root).with_suffix(""))
    prompts = [chunk.strip("\n") for chunk in body.split(f"\n{SEPARATOR}\n")]
    records = []
    for index, prompt in enumerate(prompts):
        if not prompt.strip():
            raise ValueError(f"{path}: record {index} is empty")
        records.append(Record(f"{source}-{index}", prompt, labels[0], source))
    return records


# Public-source prompts written by scripts/corpus/build.py; the real-chat dev set beside them is never trained on.
CORPUS = "corpus"
NOT_TRAINING = frozenset({"realchat_dev.jsonl", "heldout.jsonl"})


def read_corpus(root: Path) -> list[Record]:
    folder = root / CORPUS
    if not folder.is_dir():
        return []
    return [r for path in sorted(folder.glob("*.jsonl")) if path.name not in NOT_TRAINING for r in read_jsonl(path)]


def family(record: Record) -> str:
    """The source dataset a record belongs to: `gsm8k` for `gsm8k:train`, `authored` for `authored/code`.
    Leave-one-source-out folds and runs hold out whole families."""
    return record.source.split(":", 1)[0].split("/", 1)[0]


def read_all(root: Path, exclude: frozenset[str] = frozenset()) -> list[Record]:
    """Every training record under `root`, less the source datasets in `exclude` (see `family`)."""
    records = [r for path in sorted(root.rglob("*.txt")) for r in read_file(path, root)] + read_corpus(root)
    records = [r for r in records if family(r) not in exclude]
    seen: dict[str, str] = {}
    for record in records:
        key = " ".join(record.prompt.lower().split())
        if key in seen:
            raise ValueError(f"duplicate prompt: {record.id} repeats {seen[key]}")
        seen[key] = record.id
    return records


def is_heldout(record: Record) -> bool:
    digest = hashlib.sha256(record.id.encode("utf-8")).digest()
    return digest[0] % HELDOUT_MODULUS == 0


def split(records: Iterable[Record]) -> tuple[list[Record], list[Record]]:
    train: list[Record] = []
    heldout: list[Record] = []
    for record in records:
        (heldout if is_heldout(record) else train).append(record)
    return train, heldout


def digest(records: Iterable[Record]) -> str:
    """sha256 over the records' JSON lines: the manifest's training-data hash."""
    h = hashlib.sha256()
    for record in records:
        h.update(record.to_json().encode("utf-8") + b"\n")
    return h.hexdigest()


def read_jsonl(path: Path) -> list[Record]:
    """An evaluation file such as the development set: `id`, `prompt`, `label`, `source` per line."""
    out = []
    # Split on "\n" only: str.splitlines() also breaks at U+2028 and friends, which JSON keeps raw in strings.
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            row = json.loads(line)
            out.append(Record(str(row["id"]), str(row["prompt"]), str(row["label"]), str(row.get("source", ""))))
    return out
