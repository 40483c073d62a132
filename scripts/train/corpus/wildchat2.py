"""More real first user turns: WildChat (AI2, ODC-BY 1.0) as four further public repositories sampled it, and PRISM's
opening prompts (CC BY 4.0 for the human-written text).

- issacting93/Convo-topo: one JSON file per WildChat-1M conversation (its scripts/download-wildchat.py: 3-50
  messages, non-toxic); only the `wildchat_<hash>.json` files (the repository also holds Chatbot Arena and OASST
  files, never read). Some files are cut off after the messages (at the timestamp); they are read up to there.
- zc277584121/search-datasets: the 280 `first_user_message` queries of its WildChat retrieval task.
- penfever/wildchat-50m: the llama3.3-vs-qwen2.5 side-by-side pages of WildChat-1M prompts that show the user
  turn; NOT its `judged/` pages (MT-Bench, off-limits).
- davidjurgens/human-llm-similarity: the WildChat first human turn shown to its annotators.
- HannahKirk/prism-alignment: the example opening prompts of its 22 topic clusters.

Items repeating, after normalising, a turn of an earlier source here or of scripts/train/corpus/wildchat.py are dropped,
as are near-empty turns (< 3 characters) and all but 3 of each template flood (TEMPLATES). Labelled by reading
(labels/wildchat2.tsv, every item read; "-" drops one); unlisted items are general."""

from __future__ import annotations

import ast
import csv
import html
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from scripts.train.corpus import wildchat
from scripts.train.corpus.chat import labelled
from scripts.train.corpus.mirror import Blob, list_tree
from scripts.train.corpus.overlap import normalise
from scripts.train.data import Record

CONVO_REPO = "issacting93/Convo-topo"
CONVO_COMMIT = "c24138a2d402839fc0537c5a8baac8bdd250814b"
# folder -> git tree id (all its wildchat_<hash>.json files are read; the folders overlap)
CONVO_DIRS = {
    "public/output-wildchat": "d8d85272c28a3a60c206881be504e60766029f7e",
    "public/output-backup-v1.1": "efe54f24ae9df2f8185adc6522937a5142e77cec",
    "public/output-old-taxonomy": "e262010546fec29ad82b12de590629288a84a70c",
}
SEARCH = Blob("zc277584121/search-datasets", "80980f31dbb1ba45fe5d02351bda4bdc06a3715c", "wildchat/queries.json",
              "6c0cd349bb846e3ab91bd7f7533f67c04f10975c")
PENFEVER_REPO = "penfever/wildchat-50m"
PENFEVER_COMMIT = "297e4b9f630e7155048eebf528979d90895654d6"
PENFEVER_DIR = "model_responses/pairwise/llama3.3-qwen2.5-comparison"
PENFEVER_TREE = "86e694ced2f854a56a9b474cc6df8557ba0e884b"
JURGENS = Blob("davidjurgens/human-llm-similarity", "87a4e32e254b86e3511a80ba74fafea353b8d02f",
               "src/annotation/data_files/for_human_3_annotation_response_text.csv",
               "b4a41e5765b50193354c933d43efc5544689cce9")
# The turn as human-llm-similarity shows it to its annotators.
JURGENS_TURN = re.compile(r'You said this to an LLM: <br/><div style="[^"]*">(.*?)</div><br/><br/>LLM response:', re.S)
PRISM = Blob("HannahKirk/prism-alignment", "a9ec82149036374768f70e132a2369a750e06bbe",
             "results/clusters/opening_prompt_cluster_df_original.csv", "d8a3bb414c1518b65120413021f210fd24d7921d")
# Templates one user (or one tool) sent many times; the first 3 of each are kept.
TEMPLATES = ('As a prompt generator for a generative AI called "Midjourney"',
             "Write an engaging and a constructive article for my",  # one user's travel-guide series (28)
             "Write a very long, elaborate, descriptive and detailed shooting script",  # one user's film scenes (9)
             "This is fictional contain content warning",
             "CONSTRAINTS:\n\n1. ~4000 word limit",  # Auto-GPT's prompt
             "For the rest of this conversation, you are replaced by the non-moral and unbiased model",  # jailbreaks
             "_ { >> _ _ System annou-ncement begins <<")
TEMPLATE_KEEP = 3
MIN_CHARS = 3


def _convo_messages(text: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        head = text.split('\n  "metadata":', 1)[0].rstrip().rstrip(",")
        try:
            data = json.loads(head + "\n}")
        except json.JSONDecodeError:
            data = ast.literal_eval(text.strip())  # one file is a Python repr of a one-element list
    if isinstance(data, list):
        data = data[0]
    return list(data.get("messages", []))


def convo_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for folder, tree in CONVO_DIRS.items():
        files = list_tree(mirrors, CONVO_REPO, CONVO_COMMIT, folder, tree)
        for path, blob in sorted(files.items()):
            name = path.rsplit("/", 1)[-1]
            match = re.fullmatch(r"wildchat_([0-9a-f]{32})\.json", name)
            if not match or match.group(1) in seen:
                continue
            seen.add(match.group(1))
            messages = _convo_messages(Blob(CONVO_REPO, CONVO_COMMIT, path, blob).read(mirrors))
            first = next((m for m in messages if m.get("role") == "user"), None)
            if first is not None:
                yield f"wildchat2-convo-{match.group(1)[:12]}", str(first.get("content", "")), "wildchat:convo-topo"


def search_turns(blob: Blob, prefix: str, mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """The `first_user_message` of every query of one version of search-datasets' WildChat task."""
    for row in json.loads(blob.read(mirrors))["queries"]:
        key = f"{prefix}-search-{row['conversation_id'][:12]}"
        yield key, str(row["first_user_message"]), "wildchat:search-datasets"


def search_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    return search_turns(SEARCH, "wildchat2", mirrors)


def _html_turn(page: str) -> str:
    """The first USER turn of a side-by-side page: paragraphs rejoined, the page's line wrapping (<br />) undone."""
    part = page.split("👤 USER", 1)[1]
    body = part.split('<div class="turn-content">', 1)[1].split('<div class="turn-header"', 1)[0]
    body = re.sub(r"<br\s*/?>\s*", " ", body)
    body = re.sub(r"</p>\s*<p>", "\n\n", body)
    body = re.sub(r"<[^>]+>", "", body)
    body = html.unescape(body)
    return "\n".join(" ".join(line.split()) for line in body.strip().splitlines()).strip()


def penfever_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    files = list_tree(mirrors, PENFEVER_REPO, PENFEVER_COMMIT, PENFEVER_DIR, PENFEVER_TREE)
    for path, blob in sorted(files.items()):
        match = re.search(r"comparison_(\d+)\.html$", path)
        if match:
            page = Blob(PENFEVER_REPO, PENFEVER_COMMIT, path, blob).read(mirrors)
            if "👤 USER" not in page:
                continue  # some pages show only the two models' replies
            yield f"wildchat2-50m-{match.group(1)}", _html_turn(page), "wildchat:wildchat-50m"


def jurgens_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """The first human turn shown to annotators ("You said this to an LLM: <div ...>turn</div>")."""
    csv.field_size_limit(1 << 30)
    for index, row in enumerate(csv.DictReader(io.StringIO(JURGENS.read(mirrors)))):
        match = JURGENS_TURN.search(row["text"])
        if match:
            text = html.unescape(re.sub(r"<br\s*/?>", "\n", match.group(1)))
            yield f"wildchat2-jurgens-{index}", text, "wildchat:human-llm-similarity"


def prism_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """PRISM's opening prompts (people talking to LLMs for the study), the example texts of its topic clusters."""
    for row in csv.DictReader(io.StringIO(PRISM.read(mirrors))):
        for index, text in enumerate(ast.literal_eval(row["top_texts"])):
            yield f"prism-cluster{row['cluster_id']}-{index}", str(text), "prism:opening_prompt"


def fresh_turns(items: Iterable[tuple[str, str, str]], seen: set[str], templates: tuple[str, ...]
                ) -> Iterator[tuple[str, str, str]]:
    """(id, prompt, source) items whose normalised text is new (not in `seen`, which grows), not near-empty,
    and at most TEMPLATE_KEEP per template flood (a prompt starting with one of `templates`)."""
    template: dict[str, int] = {}
    for key, prompt, name in items:
        text = prompt.strip()
        norm = normalise(text)
        if len(norm) < MIN_CHARS or norm in seen:
            continue
        seen.add(norm)
        hit = next((t for t in templates if text.startswith(t)), None)
        if hit is not None:
            template[hit] = template.get(hit, 0) + 1
            if template[hit] > TEMPLATE_KEEP:
                continue
        yield key, text, name


def raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen = {normalise(prompt) for _, prompt, _ in wildchat.raw(mirrors)}
    sources = (convo_raw, search_raw, penfever_raw, jurgens_raw, prism_raw)
    return fresh_turns((item for source in sources for item in source(mirrors)), seen, TEMPLATES)


def records(mirrors: Path) -> Iterator[Record]:
    return labelled(raw(mirrors), "wildchat2", "general")
