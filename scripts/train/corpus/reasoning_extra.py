"""Reasoning prompts people wrote, of the two kinds the classifier got wrong, and their general look-alikes.

(b) maths in notation:
- `math_train`: MATH (Hendrycks et al., MIT) **train** split only, as vendored file by file in aiwaves-cn/agents
  (`.../data/math/train/<subject>/<n>.json`; the sibling `test/` folder is never read, and none of the drawn
  problems' texts occurs in it). 100 problems per subject (7 subjects) drawn with `Random(SEED)`; the problem
  statement only (no solution). Label: reasoning (source category: competition maths in LaTeX).
- `mathoverflow`: MathOverflow / Stats / Physics Stack Exchange questions (title + body, LaTeX) as curated in
  StackMathQA (yifanzhang-pro/StackMathQA, CC BY 4.0; Stack Exchange content CC BY-SA), the 100k subset's files
  under 4 MiB. One record per question URL; 120 MathOverflow, 80 Stats, 80 Physics drawn (`Random(SEED+3)`), then
  80 more MathOverflow and all the other Stats and Physics questions (`Random(SEED+6)`). All 535 read one by one
  (labels/reasoning-extra.tsv): derivations, proofs, computations and maths / statistics concepts in notation ->
  reasoning (the default; every MathOverflow question, a k-means++ step worked by hand among them); a physics
  concept or interpretation asked in words, or a list of known techniques -> general (5 Physics questions); the
  maths asked for with a program (a quantile function "and plot it with R") -> code (1 Stats question).

(a) logic in words:
- `ar_lsat`: AR-LSAT (zhongwanjun/AR-LSAT, MIT) **train** analytical-reasoning games
  (`complete_lsat_data/train_ar.json`; no game's rules occur in its val or test files): 200 of the 268 games, one
  question each (`Random(SEED+1)`): the rules, the question and its five options A)-E), no answer.
  Label: reasoning (deduction puzzles in words).
- `folio`: FOLIO v0.0 (Yale-LILY/FOLIO, CC BY-SA 4.0) **train** stories (`data/v0.0/folio-train.jsonl`), first-order
  logic in words written by expert annotators: 250 of the 340 stories, one conclusion each (`Random(SEED+4)`).
  FOLIO has no question, so the premises and conclusion are put into one of three fixed question wordings
  (FOLIO_ASK, ours); the True/False/Unknown label is left out. Label: reasoning (deduction in words).
The HH-RLHF helpful-base first turns are read by scripts/train/corpus/hh_helpful.py (all of them, every one read).
"""

from __future__ import annotations

import json
import random
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts.train.corpus.chat import labelled
from scripts.train.corpus.mirror import Blob, list_tree, snapshot
from scripts.train.data import Record

SEED = 20261201
LABELS = "reasoning-extra"

MATH_REPO = "aiwaves-cn/agents"
MATH_COMMIT = "e8c4e3c2d19739d3dff59e577d1c97090cc15f59"
MATH_TRAIN = "src/agents/datasets/data/math/train"
MATH_TRAIN_TREE = "1b5669532fda015eed688683b42c2cf892ec8997"
MATH_PER_SUBJECT = 100

STACKMATH_REPO = "yifanzhang-pro/StackMathQA"
STACKMATH_COMMIT = "80c89c14d96a17af7f75383bc7a2add47cd928f9"
STACKMATH_DIR = "data/stackmathqa100k"
STACKMATH_TREE = "f93e8cc9a23954e6db0e1b6f10102a24a9d982b6"
STACKMATH_MAX_BYTES = 4 * 1024 * 1024  # the snapshot lacks files of 4 MiB and more (0-31.jsonl)
STACKMATH_FILES = 96  # 32-127.jsonl: a snapshot missing one of them would change the draw
SITES = {"mathoverflow.net": "mathoverflow", "stats.stackexchange.com": "stats",
         "physics.stackexchange.com": "physics"}
#: questions drawn per site (Random(SEED+3)), from those under MAX_CHARS
PER_SITE = {"mathoverflow": 120, "stats": 80, "physics": 80}
MORE_PER_SITE = {"mathoverflow": 80, "stats": 1000, "physics": 1000}  # Stats, Physics: all the rest

AR_LSAT = Blob("zhongwanjun/AR-LSAT", "41f78ca7be3e24602b694b9d6b78105fc0c8bfc6",
               "complete_lsat_data/train_ar.json", "b3e57b967f84b78b454f8752e8be1c11e82f3454")
FOLIO = Blob("Yale-LILY/FOLIO", "5d7bb84c7edab3fb358e057d2807f19cf5cf5e2d", "data/v0.0/folio-train.jsonl",
              "6b199ee52af24a6e74fda22f87760a8647c9dbbd")
FOLIO_STORIES = 250
# FOLIO gives premises and a conclusion, no question: the question is ours, one of these (Random(SEED+4)).
FOLIO_ASK = (
    "{lines}\n\nBased on the premises above, is the following conclusion true, false, or uncertain?\n{conclusion}",
    "Premises:\n{lines}\n\nConclusion: {conclusion}\n\nDoes the conclusion follow from the premises? "
    "Answer true, false or uncertain and explain why.",
    "Given these statements:\n{lines}\n\nCan we conclude the following? {conclusion}",
)
AR_GAMES = 200
MAX_CHARS = 4000


def math_train(mirrors: Path) -> Iterator[Record]:
    by_subject: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, blob in list_tree(mirrors, MATH_REPO, MATH_COMMIT, MATH_TRAIN, MATH_TRAIN_TREE).items():
        if path.endswith(".json"):
            subject, name = path.removeprefix(MATH_TRAIN + "/").split("/")
            by_subject[subject].append((name, blob))
    rng = random.Random(SEED)
    for subject in sorted(by_subject):
        files = sorted(by_subject[subject], key=lambda item: int(item[0].removesuffix(".json")))
        for name, blob in sorted(rng.sample(files, MATH_PER_SUBJECT)):
            row = json.loads(Blob(MATH_REPO, MATH_COMMIT, f"{MATH_TRAIN}/{subject}/{name}", blob).read(mirrors))
            problem = str(row["problem"]).strip()
            if problem and len(problem) < MAX_CHARS:
                yield Record(f"math-train-{subject}-{name.removesuffix('.json')}", problem, "reasoning",
                             f"math:{subject}")


def stackmath_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    git_dir = snapshot(mirrors, STACKMATH_REPO)
    blobs = list_tree(mirrors, STACKMATH_REPO, STACKMATH_COMMIT, STACKMATH_DIR, STACKMATH_TREE)
    seen: set[str] = set()
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    sizes = {path: _blob_size(git_dir, blob) for path, blob in blobs.items() if path.endswith(".jsonl")}
    paths = [p for p in sorted(sizes, key=lambda p: (len(p), p)) if (sizes[p] or 1 << 40) < STACKMATH_MAX_BYTES]
    if len(paths) != STACKMATH_FILES:
        raise ValueError(f"{STACKMATH_REPO}: {len(paths)} files under 4 MiB, expected {STACKMATH_FILES}")
    for path in paths:
        for line in Blob(STACKMATH_REPO, STACKMATH_COMMIT, path, blobs[path]).read(mirrors).splitlines():
            row = json.loads(line)
            url = str(row["meta"]["url"])
            site = SITES.get(url.split("/")[2])
            if site is None or url in seen:
                continue
            seen.add(url)
            question = str(row["Q"]).strip()
            if question and len(question) < MAX_CHARS:
                found[site].append((f"stackmathqa-{site}-{url.rstrip('/').rsplit('/', 1)[1]}", question))
    rng, more_rng = random.Random(SEED + 3), random.Random(SEED + 6)
    for site in sorted(found):
        first = rng.sample(found[site], PER_SITE[site])
        rest = [item for item in found[site] if item not in set(first)]
        more = more_rng.sample(rest, min(len(rest), MORE_PER_SITE[site]))  # a second draw, read after the first
        for key, question in sorted(first + more):
            yield key, question, f"stackmathqa:{site}"


def _blob_size(git_dir: Path, blob: str) -> int | None:
    done = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-s", blob], capture_output=True, text=True)
    return int(done.stdout) if done.returncode == 0 else None


def mathoverflow(mirrors: Path) -> Iterator[Record]:
    """MathOverflow (default reasoning) and Stats / Physics SE questions (read; default reasoning)."""
    return labelled(stackmath_raw(mirrors), LABELS, "reasoning")


def ar_lsat(mirrors: Path) -> Iterator[Record]:
    games: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in json.loads(AR_LSAT.read(mirrors)):
        games[str(row["context"]).strip()].append(row)
    rng = random.Random(SEED + 1)
    for context in sorted(rng.sample(sorted(games), AR_GAMES)):
        questions = sorted(games[context], key=lambda r: str(r["id_string"]))
        row = rng.choice(questions)
        answers = [str(opt).strip() for opt in row["answers"]]
        options = "\n".join(f"{letter}) {opt}" for letter, opt in zip("ABCDE", answers, strict=True))
        prompt = f"{context}\n\n{str(row['question']).strip()}\n{options}"
        if len(prompt) < MAX_CHARS:
            yield Record(f"ar-lsat-train-{row['id_string']}", prompt, "reasoning", "ar-lsat:train")


def folio(mirrors: Path) -> Iterator[Record]:
    stories: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in FOLIO.read(mirrors).splitlines():
        if line.strip():
            row = json.loads(line)
            stories[int(row["story_id"])].append(row)
    rng = random.Random(SEED + 4)
    for story in sorted(rng.sample(sorted(stories), FOLIO_STORIES)):
        row = rng.choice(sorted(stories[story], key=lambda r: int(r["example_id"])))
        lines = "\n".join(" ".join(str(p).split()) for p in row["premises"])
        conclusion = " ".join(str(row["conclusion"]).split())
        prompt = rng.choice(FOLIO_ASK).format(lines=lines, conclusion=conclusion)
        if len(prompt) < MAX_CHARS:
            yield Record(f"folio-train-{row['example_id']}", prompt, "reasoning", f"folio:train-{row['source']}")
