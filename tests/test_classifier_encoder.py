"""The encoder classifier's documented behaviour, on the packaged artifact (no mocks, no network)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from plugins.classify.build import load_directory
from plugins.classify.encoder_input import (
    CONTEXT_TOKENS,
    HEAD,
    NON_LATIN_HEAD_TAIL,
    InputBuilder,
    mostly_non_latin,
    pad_batch,
)
from plugins.classify.onnx_encoder import PACKAGED_ENCODER, EncoderClassifier, EncoderManifest
from plugins.config import ConfigError, load_config
from plugins.prompt import Prompt
from scripts.stack import ROOT

CONFIG = load_config(ROOT / "litellm_config.yaml")
MANIFEST = json.loads((PACKAGED_ENCODER / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def encoder() -> EncoderClassifier:
    return EncoderClassifier.load(PACKAGED_ENCODER, "general")


@pytest.fixture(scope="module")
def builder() -> InputBuilder:
    return InputBuilder.from_file(PACKAGED_ENCODER / "tokenizer.json", 64, 2000)


def test_the_artifact_matches_its_manifest() -> None:
    for name, digest in MANIFEST["files"].items():
        assert hashlib.sha256((PACKAGED_ENCODER / name).read_bytes()).hexdigest() == digest, name
    assert MANIFEST["kind"] == "encoder"
    assert MANIFEST["base_model"]["licence"] == "MIT"
    assert MANIFEST["figures"]["int8_agrees_with_fp32"] >= 0.98
    assert (PACKAGED_ENCODER / "model.onnx").stat().st_size < 80_000_000


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Write a Python function that parses a CSV file and returns a list of dicts.", "code"),
        ("Solve step by step: if 3x + 5 = 20, what is x?", "reasoning"),
        ("Tell me a story about the history of Rome.", "general"),
        ("Напиши функцию на Python, которая сортирует словарь по значению.", "code"),
        ("Un tren sale a las 8:00 a 60 km/h y otro a las 9:00 a 90 km/h. ¿A qué hora se encuentran?", "reasoning"),
        ("请推荐几本适合初学者阅读的中国历史书。", "general"),
    ],
)
def test_clear_prompts_in_several_languages_get_their_intent(encoder: EncoderClassifier, text: str,
                                                             intent: str) -> None:
    decision = encoder.classify(Prompt(latest=text))
    assert decision.intent == intent, decision
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert decision.confidence == decision.scores[intent]


def test_no_user_text_decides_nothing(encoder: EncoderClassifier) -> None:
    decision = encoder.classify(Prompt(latest="   ", system="You are a coding assistant."))
    assert (decision.intent, decision.confidence) == ("general", 0.0)


def test_any_request_size_is_one_bounded_sequence(builder: InputBuilder) -> None:
    for size in (0, 50, 5_000, 300_000):
        ids = builder.for_texts("x = compute(y) " * (size // 15)).ids
        assert len(ids) <= builder.max_tokens
    long_context = Prompt(latest="why?", context=tuple("def f(): return 1" * 200 for _ in range(300)))
    assert len(builder.for_prompt(long_context).ids) <= builder.max_tokens


def test_context_fills_only_the_room_the_latest_turn_leaves(builder: InputBuilder) -> None:
    alone = builder.for_texts("why does it still fail?").ids
    with_context = builder.for_texts("why does it still fail?", "my pytest run fails with ImportError " * 20).ids
    assert with_context[: len(alone) - 1] == alone[:-1]  # the latest turn comes first, unchanged
    assert len(alone) < len(with_context) <= len(alone) + CONTEXT_TOKENS + 2
    filling = " ".join(f"v{i}=f({i})" for i in range(200))
    assert len(builder.for_texts(filling).ids) == builder.max_tokens
    assert builder.for_texts(filling, "context " * 50).ids == builder.for_texts(filling).ids  # no room: no context


def test_a_dense_non_latin_turn_keeps_its_end_where_the_artifact_says_so() -> None:
    tokenizer = PACKAGED_ENCODER / "tokenizer.json"
    head = InputBuilder.from_file(tokenizer, 64, 2000, HEAD)
    head_tail = InputBuilder.from_file(tokenizer, 64, 2000, NON_LATIN_HEAD_TAIL)
    decode = Tokenizer.from_file(str(tokenizer)).decode
    # A pasted table in Chinese, then the request: the character clip keeps both, the token budget not.
    table = "、".join(f"第{i}月收入{i * 37}万元" for i in range(1, 40))
    turn = f"下面是销售数据 {table}。请用Python写一个函数画出折线图"
    kept = decode(list(head_tail.for_texts(turn).ids))
    assert kept.startswith("下面是销售数据") and kept.endswith("写一个函数画出折线图")
    assert len(head_tail.for_texts(turn).ids) == 64
    assert "折线图" not in decode(list(head.for_texts(turn).ids))
    # Latin-script text (code, English) and a turn within the budget are cut as before.
    code = " ".join(f"v{i}=f({i})" for i in range(200)) + " -- now fix the bug"
    for text in (code, "请用Python写一个函数"):
        assert head_tail.for_texts(text).ids == head.for_texts(text).ids


def test_the_packaged_encoder_reads_the_end_of_a_long_chinese_turn(encoder: EncoderClassifier,
                                                                   tmp_path: Path) -> None:
    # A pasted story, then the request at the end (count each character with Python): past the token budget.
    story = "从前有一个小村庄，村里住着一位老人，他每天早上都去河边钓鱼，村里的孩子们都喜欢听他讲故事。" * 4  # noqa: RUF001
    request = "用Python写一个函数，统计上面这段文字里每个字出现的次数，并按次数排序输出"  # noqa: RUF001
    turn = Prompt(latest=story + request)
    assert MANIFEST["runtime"]["cut"] == NON_LATIN_HEAD_TAIL
    assert encoder.classify(turn).intent == "code"
    # The same weights told to cut by head see only the story, and miss the request.
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copyfile(PACKAGED_ENCODER / name, tmp_path / name)
    head_only = {**MANIFEST, "runtime": {**MANIFEST["runtime"], "cut": HEAD}}
    (tmp_path / "manifest.json").write_text(json.dumps(head_only), encoding="utf-8")
    assert EncoderClassifier.load(tmp_path, "general").classify(turn).intent != "code"


def test_the_script_of_a_text_is_read_from_its_letters() -> None:
    assert mostly_non_latin("Напиши функцию на Python, которая сортирует список")
    assert mostly_non_latin("用 numpy 计算矩阵的逆")
    assert not mostly_non_latin("Write a Python function, café")
    assert not mostly_non_latin("Viết một hàm Python để sắp xếp danh sách")  # Vietnamese is Latin script
    assert not mostly_non_latin("12 + 35 = ?")  # no letters
    assert not mostly_non_latin("total = sum(values)  # 计算")  # more Latin letters than CJK


def test_earlier_turns_and_the_system_prompt_reach_the_sequence(builder: InputBuilder) -> None:
    bare = builder.for_prompt(Prompt(latest="and now?")).ids
    assert builder.for_prompt(Prompt(latest="and now?", system="You write SQL.")).ids != bare
    assert builder.for_prompt(Prompt(latest="and now?", context=("SELECT * FROM t",))).ids != bare


def test_batches_are_right_padded_with_masks(builder: InputBuilder) -> None:
    short, long = builder.for_texts("hi"), builder.for_texts("a longer request about SQL joins")
    ids, masks = pad_batch([short, long], pad_id=1)
    assert len(ids[0]) == len(ids[1]) == len(long.ids)
    assert masks[0] == [1] * len(short.ids) + [0] * (len(long.ids) - len(short.ids))


def test_a_bad_manifest_is_refused_with_its_reason(tmp_path: Path) -> None:
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copyfile(PACKAGED_ENCODER / name, tmp_path / name)
    bad_cut = {"runtime": {**MANIFEST["runtime"], "cut": "tail"}}
    for change, reason in (({"kind": "learned"}, "kind"), ({"calibration": {"temperature": 0}}, "temperature"),
                           (bad_cut, "cut")):
        (tmp_path / "manifest.json").write_text(json.dumps({**MANIFEST, **change}), encoding="utf-8")
        with pytest.raises(ValueError, match=reason):
            EncoderManifest.read(tmp_path)
    # Through the loader the proxy and `agent-router eval` use, it stops start-up naming the artifact.
    with pytest.raises(ConfigError, match="runtime cut"):
        load_directory(CONFIG, tmp_path)


def test_an_unknown_default_intent_is_refused() -> None:
    with pytest.raises(ValueError, match="default intent"):
        EncoderClassifier.load(PACKAGED_ENCODER, "chit-chat")


def test_a_tokenizer_that_pads_or_truncates_is_refused_not_changed() -> None:
    tokenizer = Tokenizer.from_file(str(PACKAGED_ENCODER / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=16)
    with pytest.raises(ValueError, match="neither pad nor truncate"):
        InputBuilder(tokenizer, 64, 2000)
    assert tokenizer.truncation is not None  # the caller's tokenizer is left as it was
