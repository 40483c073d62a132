"""The load phase's real-chat length mix: fixed, in the documented bands, distinct per request."""

from __future__ import annotations

from scripts.bench.chat_mix import BANDS, band_counts, chat_mix, cut, is_english, length_profile, unique


def test_the_mix_fills_every_documented_band_exactly() -> None:
    prompts = chat_mix()
    assert len(prompts) == sum(n for _, _, n in BANDS) == 100
    assert band_counts(prompts) == [n for _, _, n in BANDS]


def test_the_mix_is_mostly_short_with_a_long_tail_and_some_other_languages() -> None:
    profile = length_profile()
    assert int(str(profile["p50_chars"])) <= 200
    assert int(str(profile["p90_chars"])) >= 1_000
    assert 3_000 < int(str(profile["max_chars"])) <= 6_000
    assert 15 <= int(str(profile["non_english"])) <= 30


def test_the_mix_is_the_same_every_time_and_has_no_duplicates() -> None:
    assert chat_mix() == chat_mix.__wrapped__()
    assert len(set(chat_mix())) == len(chat_mix())


def test_unique_prompts_differ_per_request_only_in_trailing_whitespace() -> None:
    prompt = chat_mix()[40]
    made = [unique(prompt, index) for index in range(2_000)]
    assert len(set(made)) == 2_000
    assert {m.rstrip() for m in made} == {prompt.rstrip()}


def test_cut_ends_at_a_line_when_one_is_near() -> None:
    assert cut("abc\ndef\nghi", 9) == "abc\ndef"
    assert cut("abcdefghij", 4) == "abcd"
    assert cut("short", 10) == "short"


def test_english_detection_reads_the_first_line_only() -> None:
    assert is_english("Fix this:\n```\nprint('é')\n```")
    assert not is_english("Wie koche ich Reis?")
    assert not is_english("写一个快速排序")
