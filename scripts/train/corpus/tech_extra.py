"""Short technical questions written by people, for two confusions of the classifier:

(a) programming questions asked without code (SQL, React, Docker/Kubernetes/Jenkins/cloud, Spring/Java, Rust, Go,
    Git) -> code: StaQC's SQL Stack Overflow titles, sudheerj's React interview list, learning-zone's
    Docker/Kubernetes/cloud and Spring Boot lists, the Rust and Go FAQs, git-tips' titles;
(b) questions on technical but non-programming subjects -> general: IT careers and job-interview talk
    (tech-interview-handbook's behavioral and end-of-interview questions, the career small talk of h5bp's
    general/fun lists and of test-your-sysadmin-skills), and Natural Questions (open) search queries on
    computers, phones, the internet, video games and other technology (plus a sample of the other queries), and
    HH-RLHF first turns about technology (Wi-Fi, hacking, phones, AI) that the build's HH draw leaves unused.

Labelling. Each source has a default (its category) and the items a reader changed are in
labels/tech-extra.tsv (id<TAB>label; "-" drops an item). Every item this module yields was read by the data
helper, and more: all learning-zone, Rust FAQ, Go FAQ, git-tips, career, Natural Questions and word-list HH-RLHF
items, and for StaQC and React the larger draws of 350 and 150 that the shipped draws are a subset of (same seed).
Rules (FORMAT.md): questions about a language, framework, library, database, developer tool, DevOps tool or cloud
service are code, with or without code; questions about careers, interviews and working as a developer, about
devices, apps, games, the internet and the history of computing as trivia are general.

Lists that keep growing are read at a commit from before November 2022 (before chat models wrote such lists).
Sampling: random.Random(SEED + k).sample of the sorted candidates, then sorted again, so the output is fixed.
"""

from __future__ import annotations

import html
import io
import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from scripts.train.corpus.chat import hh_drawn, hh_raw, labelled, sorted_sample
from scripts.train.corpus.mirror import Blob
from scripts.train.data import Record

SEED = 20250611 + 100
LABELS_NAME = "tech-extra"

# --- (a) code ---------------------------------------------------------------------------------------------
# StaQC (CC BY 4.0; the titles are Stack Overflow content, CC BY-SA): Stack Overflow question titles of the SQL
# "how-to-do-it" questions, {question id: title}. The Python file of the pair is absent from the snapshot (>4 MiB).
STAQC_SQL = Blob("LittleYUYU/StackOverflow-Question-Code-Dataset", "81b74afb40b2c57b34a92ad94a67ade0c305d101",
                 "annotation_tool/data/code_solution_labeled_data/source/"
                 "sql_how_to_do_it_by_classifier_multiple_qid_to_title.pickle",
                 "4bb64eff18dce677a5987622388d36c3d1616cc8")
STAQC_N = 180
# sudheerj/reactjs-interview-questions (MIT) at its October 2022 commit: the questions of the table of contents.
REACT = Blob("sudheerj/reactjs-interview-questions", "359af1a719f83e7f341cfbeb039147153f1f3b38", "README.md",
             "3575f48c343782447abeaab271c15f08c4ceb9b0")
REACT_N = 100
# learning-zone/docker-and-kubernetes-basics (MIT) at its 1 November 2022 commit.
DOCKER_COMMIT = "0741ccf74c884d7a9ebcf4a29c9b7684db610b1e"
DOCKER = {
    "docker.md": "cfafe5148502a25ea116fdc2e11fffa4167fafe4",
    "kubernetes.md": "0b67f4c7b05611b3ba0451e312c38549a682db93",
    "cloud.md": "86d84adf6b091f1f3f632dca7537129757aab399",
    "jenkins.md": "5671098949ea863f3f7d22bce4d1625f497d51ea",
}
DOCKER_N = 170
# learning-zone/spring-boot-basics (The Unlicense) at its September 2022 commit.
SPRING = Blob("learning-zone/spring-boot-basics", "64f3d51b8533feda073c4f6b411ec5f69275b81c", "README.md",
              "8c17d8ba5aabc0a3055f29b976074f53d59f860e")

# The Rust FAQ of the old rust-lang.org (MIT OR Apache-2.0), last changed December 2018.
RUST_FAQ = Blob("rust-lang/prev.rust-lang.org", "3c8d24f62264c5dd1bd8cb4acc29c2fa2bbc678e", "en-US/faq.md",
                "886c21bc029e8300e63841d91812b34c2f799536")
RUST_N = 70
# The Go FAQ (go.dev/doc/faq; site content CC BY 4.0 per _content/copyright.md, code BSD-3-Clause).
GO_FAQ = Blob("golang/website", "b02076ae6df08ee9d495fe4b283f88ac18e51012", "_content/doc/faq.md",
              "d151eae16be9b03b0be025422bd3dc178f91ef08")
# git-tips (MIT) at its May 2021 version: one title per tip; a title that does not name Git gets " in Git".
GIT_TIPS = Blob("git-tips/tips", "1b89495cfb37e080d2b6510a104d4f79152055a8", "tips.json",
                "5c38a632bd56f98aed938fa36fb2a2bd143c699e")
GIT_N = 70

# --- (b) general ------------------------------------------------------------------------------------------
# yangshun/tech-interview-handbook (MIT) at its 1 November 2022 commit.
TIH_COMMIT = "64bc8158c12d1d48b96bddb640caab38ca110f8c"
TIH_BEHAVIORAL = Blob("yangshun/tech-interview-handbook", TIH_COMMIT,
                      "apps/website/contents/behavioral-interview-questions.md",
                      "17a7aab0252652953ead96e0177809ccf3e24270")
TIH_FINAL = Blob("yangshun/tech-interview-handbook", TIH_COMMIT, "apps/website/contents/final-questions.md",
                 "3709735044a8eb15897c6e8d19b8c39a1a5f896f")
# h5bp (MIT), same commit as scripts/train/corpus/programming.py: the two files that module leaves out.
H5BP_COMMIT = "c8023cdcc4e13d45c096c3f37160a8fa5ab066d6"
H5BP_OTHER = {
    "src/questions/general-questions.md": "f202f6416e6795fd971883368d29d22702b33329",
    "src/questions/fun-questions.md": "1d8511cbd2f82b6fd26ebbee83ccb64e7caceec2",
}
# trimstray/test-your-sysadmin-skills (MIT), same blob as programming.py: the "Simple Questions" it skips.
SYSADMIN = Blob("trimstray/test-your-sysadmin-skills", "d566322e4f6a656fb835bf34712a67db269d5f2d",
                "README.md", "a443c2de285a8812975279a64b0cc41ae7eba6ef")
# Natural Questions open (CC BY-SA 3.0): real Google queries, the dev split and EfficientQA's dev split.
NQ_COMMIT = "fb26a3073b1fe636c97302890a27b491d6530130"
NQ = {
    "dev": Blob("google-research-datasets/natural-questions", NQ_COMMIT, "nq_open/NQ-open.dev.jsonl",
                "18e80da5a6cf5e0a9274bb843c18128ff9882ffd"),
    "efficientqa_dev": Blob("google-research-datasets/natural-questions", NQ_COMMIT,
                            "nq_open/NQ-open.efficientqa.dev.1.1.jsonl", "248b91731d55da211549525e452355a1ffb0b922"),
}
NQ_OTHER_N = 250  # queries not matched by _TECH, drawn from the dev split
# HH-RLHF harmless-base test first turns (MIT) that build.py does NOT draw (its 800 for hh_rlhf_harmless and the
# real-chat dev set are excluded here by repeating its draw), matched by a technology word list and then chosen by
# reading: those whose subject is technology (Wi-Fi, hacking, phones, viruses, the dark web, AI/robots, video
# games); celebrity e-mail/phone look-ups and "buy X online" matched by the word list were left out.
HH_TECH_KEYS = frozenset(f"hh-harmless-test-{i}" for i in (
    31, 52, 194, 284, 288, 400, 418, 431, 467, 498, 512, 519, 628, 659, 751, 777, 924, 987, 1060, 1070, 1071,
    1091, 1178, 1194, 1271, 1345, 1445, 1535, 1558, 1608, 1635, 1728, 1770, 1789, 1818, 1870, 1898, 1912, 1963,
    2008, 2177, 2190, 2233, 2309))

_TECH = re.compile(
    r"\b(computers?|internet|web ?sites?|web|online|e-?mail|phones?|iphone|ipad|ipod|android|smartphones?|mobile|"
    r"cell ?phones?|video ?games?|videogames?|game ?boy|xbox|playstation|ps[1-5]|nintendo|wii|sega|console|steam|"
    r"minecraft|pokemon|fortnite|zelda|atari|software|apps?|google|microsoft|apple|windows|macbook|mac ?os|osx|imac|"
    r"linux|unix|microchips?|cpu|processors?|gpu|ram|usb|hdmi|wi-?fi|bluetooth|laptops?|pc|printers?|keyboard|"
    r"screen|monitor|pixels?|hard (disk|drive)|flash drive|ssd|dvd|cd-?rom|byte|megabyte|gigabyte|data|network|"
    r"router|modem|ip address|broadband|facebook|youtube|twitter|instagram|snapchat|netflix|amazon|tesla|"
    r"digital|technology|satellite|gps|programming|coding|html|java|python|sql|algorithm|"
    r"computer virus|malware|hacker|encryption|password|cyber|electronic|transistor|semiconductor)\b", re.I)
_LZ_Q = re.compile(r"^#+ Q\.?\s*(.+)$")
_REACT_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*\[(.+)\]\(#[^)]*\)\s*\|\s*$")
_BOLD = re.compile(r"<b>(.+?)</b>")
_TAG = re.compile(r"<[^>]+>")


class _NoGlobals(pickle.Unpickler):
    """Plain containers only: a data pickle that names a class or function is refused, not run."""

    def find_class(self, module: str, name: str) -> NoReturn:
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def _clean(text: str) -> str:
    text = html.unescape(text).replace("***", "").replace("**", "").strip()
    return " ".join(text.split())


# --- raw readers: (id, prompt, source) ---------------------------------------------------------------------
def staqc_sql_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    titles = _NoGlobals(io.BytesIO(STAQC_SQL.read_bytes(mirrors)), encoding="utf-8").load()
    items, seen = [], set()
    for qid, title in titles.items():
        text = _clean(str(title))
        if text and text.lower() not in seen:
            seen.add(text.lower())
            items.append((f"staqc-sql-{qid}", text, "staqc:sql_title"))
    yield from sorted_sample(items, STAQC_N, SEED + 1)


def react_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    items = []
    for line in REACT.read(mirrors).splitlines():
        match = _REACT_ROW.match(line.strip())
        if match:
            items.append((f"react-iq-{int(match.group(1))}", _clean(match.group(2)), "reactjs-interview:toc"))
    yield from sorted_sample(items, REACT_N, SEED + 2)


def docker_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    yield from sorted_sample(list(_docker_all(mirrors)), DOCKER_N, SEED + 6)


def _docker_all(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    for path, blob in DOCKER.items():
        topic = path.removesuffix(".md")
        text = Blob("learning-zone/docker-and-kubernetes-basics", DOCKER_COMMIT, path, blob).read(mirrors)
        index = 0
        for line in text.splitlines():
            match = _LZ_Q.match(line.strip())
            if match:
                yield f"lz-{topic}-{index}", _clean(match.group(1)), f"learning-zone:{topic}"
                index += 1


def spring_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    index = 0
    for line in SPRING.read(mirrors).splitlines():
        match = _LZ_Q.match(line.strip())
        if match:
            yield f"lz-spring-boot-{index}", _clean(match.group(1)), "learning-zone:spring-boot"
            index += 1


def rust_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    text = RUST_FAQ.read(mirrors)
    found = [(m.start(), m.group(1)) for m in re.finditer(r'<h3><a href="#[^"]*" name="[^"]*">\s*(.+?)\s*</a></h3>',
                                                         text, re.S)]
    found += [(m.start(), m.group(1)) for m in re.finditer(r"^### (.+)$", text, re.M)]
    items = []
    for index, (_, question) in enumerate(sorted(found)):
        question = re.sub(r"</?code>", "`", question)
        question = re.sub(r"\[(https?://[^\]]+)\]\([^)]*\)", r"\1", question)
        items.append((f"rust-faq-{index}", _clean(question), "rust-faq:question"))
    yield from sorted_sample(items, RUST_N, SEED + 4)


def go_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    index = 0
    for line in GO_FAQ.read(mirrors).splitlines():
        if line.startswith("### "):
            question = re.sub(r"\s*\{#[^}]*\}\s*$", "", line[4:])
            yield f"go-faq-{index}", _clean(question), "go-faq:question"
            index += 1


def git_tips_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    items = []
    for index, tip in enumerate(json.loads(GIT_TIPS.read(mirrors))):
        title = _clean(str(tip["title"])).rstrip(".").strip()
        if "git" not in title.lower():
            title = f"{title} in Git"
        items.append((f"git-tips-{index}", title, "git-tips:title"))
    yield from sorted_sample(items, GIT_N, SEED + 5)


def careers_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """Interview and career talk: tech-interview-handbook, h5bp general/fun, sysadmin 'Simple Questions'."""
    seen: set[str] = set()

    def fresh(text: str) -> bool:
        key = text.lower()
        if key in seen:
            return False
        seen.add(key)
        return True

    index = 0
    for line in TIH_BEHAVIORAL.read(mirrors).splitlines():
        match = re.match(r"^(?:\d+\.|-)\s+(.+)$", line)
        if match and fresh(text := _clean(match.group(1))):
            yield f"tih-behavioral-{index}", text, "tech-interview-handbook:behavioral"
            index += 1
    index = 0
    for line in TIH_FINAL.read(mirrors).splitlines():
        match = re.match(r"^-\s+(.+)$", line)
        if match and fresh(text := _clean(match.group(1))):
            yield f"tih-final-{index}", text, "tech-interview-handbook:final_questions"
            index += 1
    for path, blob in H5BP_OTHER.items():
        topic = path.rsplit("/", 1)[1].removesuffix("-questions.md")
        text = Blob("h5bp/Front-end-Developer-Interview-Questions", H5BP_COMMIT, path, blob).read(mirrors)
        index = 0
        for line in text.splitlines():
            if line.startswith("* "):
                yield f"h5bp-{topic}-{index}", _clean(line[2:]), f"h5bp-interview:{topic}"
                index += 1
    inside, index = False, 0
    for line in SYSADMIN.read(mirrors).splitlines():
        if 'name="simple-questions"' in line:
            inside = True
            continue
        if inside and line.startswith("## "):
            break
        if inside and line.startswith("- <b>"):
            match = _BOLD.search(line)
            if match:
                yield f"sysadmin-simple-{index}", _TAG.sub("", match.group(1)).strip(), "sysadmin-skills:simple"
                index += 1


def nq_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """Every query matched by _TECH in both files, and NQ_OTHER_N of the other dev queries."""
    seen: set[str] = set()
    matched, other = [], []
    for split, blob in NQ.items():
        for index, line in enumerate(blob.read(mirrors).splitlines()):
            if not line.strip():
                continue
            question = str(json.loads(line)["question"]).strip()
            key = question.lower()
            if key in seen:
                continue
            seen.add(key)
            item = (f"nq-{split}-{index}", question, f"natural-questions:{split}")
            if _TECH.search(question):
                matched.append(item)
            elif split == "dev":
                other.append(item)
    yield from sorted(matched)
    yield from sorted_sample(other, NQ_OTHER_N, SEED + 3)


def hh_tech_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    drawn = {r.id for r in hh_drawn(mirrors)}
    for key, prompt, _ in hh_raw(mirrors):
        if key in HH_TECH_KEYS and key not in drawn:
            yield key, prompt, "hh-rlhf:harmless-base-tech"


# --- records ----------------------------------------------------------------------------------------------
def staqc_sql(mirrors: Path) -> Iterator[Record]:
    return labelled(staqc_sql_raw(mirrors), LABELS_NAME, "code")


def react(mirrors: Path) -> Iterator[Record]:
    return labelled(react_raw(mirrors), LABELS_NAME, "code")


def docker(mirrors: Path) -> Iterator[Record]:
    return labelled(docker_raw(mirrors), LABELS_NAME, "code")


def spring(mirrors: Path) -> Iterator[Record]:
    return labelled(spring_raw(mirrors), LABELS_NAME, "code")


def rust(mirrors: Path) -> Iterator[Record]:
    return labelled(rust_raw(mirrors), LABELS_NAME, "code")


def go(mirrors: Path) -> Iterator[Record]:
    return labelled(go_raw(mirrors), LABELS_NAME, "code")


def git_tips(mirrors: Path) -> Iterator[Record]:
    return labelled(git_tips_raw(mirrors), LABELS_NAME, "code")


def careers(mirrors: Path) -> Iterator[Record]:
    return labelled(careers_raw(mirrors), LABELS_NAME, "general")


def hh_tech(mirrors: Path) -> Iterator[Record]:
    return labelled(hh_tech_raw(mirrors), LABELS_NAME, "general")


def nq(mirrors: Path) -> Iterator[Record]:
    return labelled(nq_raw(mirrors), LABELS_NAME, "general")


SOURCES = {
    "staqc_sql": staqc_sql,
    "reactjs_interview": react,
    "learning_zone_docker": docker,
    "learning_zone_spring": spring,
    "rust_faq": rust,
    "go_faq": go,
    "git_tips": git_tips,
    "it_careers": careers,
    "nq_tech": nq,
    "hh_rlhf_tech": hh_tech,
}
