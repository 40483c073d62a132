"""Reads the training prompts under data/ and splits them into train and held-out, deterministically.

data/corpus/*.jsonl (public sources, FORMAT.md records) is read beside the authored text files. Records that a
development set lists (data/devsets/*.tsv, see `dev_ids`) are never training data, whichever file holds them.

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
    #: ISO 639-1 language of the request (FORMAT.md), set on development-set lines and on the non-English training
    #: records (scripts/train/corpus/multilingual.py); None = not recorded.
    lang: str | None = None

    def to_json(self) -> str:
        row = {"id": self.id, "prompt": self.prompt, "label": self.label, "source": self.source}
        # Only when set: the older training records keep the exact JSON the manifest's training-data hash was taken
        # over.
        if self.lang is not None:
            row["lang"] = self.lang
        return json.dumps(row, ensure_ascii=False)


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


# Public-source prompts written by scripts/train/corpus/build.py; the development sets beside them are never trained on.
CORPUS = "corpus"
# Development sets carved out of the corpus: one `<name>.tsv` of `id<TAB>label<TAB>lang` lines each, written into
# data/corpus/<name>.jsonl by scripts/train/corpus/devsets.py. Only ids are committed (public prompts never are).
DEVSETS = "devsets"
NOT_TRAINING = frozenset({"realchat_dev.jsonl", "heldout.jsonl"})


@dataclass(frozen=True)
class DevItem:
    id: str
    label: str
    lang: str


def read_devset(path: Path) -> list[DevItem]:
    """One development set's list: `id<TAB>label<TAB>lang` lines; `#` starts a comment line."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3 or not all(f.strip() for f in fields[:3]):
            raise ValueError(f"{path}:{number}: expected id<TAB>label<TAB>lang")
        items.append(DevItem(fields[0].strip(), fields[1].strip(), fields[2].strip()))
    return items


def devset_paths(root: Path) -> list[Path]:
    return sorted((root / DEVSETS).glob("*.tsv"))


def not_training(root: Path) -> frozenset[str]:
    """Corpus file names never read as training data: the fixed ones and every development set's output."""
    return NOT_TRAINING | {f"{path.stem}.jsonl" for path in devset_paths(root)}


def dev_ids(root: Path) -> frozenset[str]:
    """Every record id a development set under `root` lists: excluded from training by `read_all`.

    The rule is by id, not by file, so the training split is the same whether or not the development sets'
    JSONL files have been written, and its hash changes only when the training records do."""
    return frozenset(item.id for path in devset_paths(root) for item in read_devset(path))


def read_corpus(root: Path) -> list[Record]:
    folder = root / CORPUS
    if not folder.is_dir():
        return []
    skip = not_training(root)
    return [r for path in sorted(folder.glob("*.jsonl")) if path.name not in skip for r in read_jsonl(path)]


def family(record: Record) -> str:
    """The source dataset a record belongs to: `gsm8k` for `gsm8k:train`, `authored` for `authored/code`.
    Leave-one-source-out folds and runs hold out whole families."""
    return record.source.split(":", 1)[0].split("/", 1)[0]


def read_all(root: Path, exclude: frozenset[str] = frozenset()) -> list[Record]:
    """Every training record under `root`, less the source datasets in `exclude` (see `family`) and the records
    a development set lists (`dev_ids`)."""
    records = [r for path in sorted(root.rglob("*.txt")) for r in read_file(path, root)] + read_corpus(root)
    held_for_dev = dev_ids(root)
    records = [r for r in records if family(r) not in exclude and r.id not in held_for_dev]
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
            lang = row.get("lang")
            out.append(Record(str(row["id"]), str(row["prompt"]), str(row["label"]), str(row.get("source", "")),
                              None if lang is None else str(lang)))
    return out
