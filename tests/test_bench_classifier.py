"""The classifier benchmark's own plumbing: it finds the training corpus and reports every length."""

from __future__ import annotations

from scripts.bench.classifier import LENGTHS, corpus, prompts


def test_the_corpus_is_the_repositorys_training_data_and_long_enough_for_every_length() -> None:
    text = corpus()
    assert len(text) > 2 * max(LENGTHS)
    cut = prompts(text, max(LENGTHS), 3)
    assert [len(p) for p in cut] == [max(LENGTHS)] * 3


def test_the_mix_figures_cover_every_prompt_of_the_mix_each_pass() -> None:
    from plugins.classify.decision import Decision
    from plugins.prompt import Prompt
    from scripts.bench.chat_mix import chat_mix
    from scripts.bench.classifier import mix_figures

    class Counting:
        kind = "counting"

        def __init__(self) -> None:
            self.seen: list[str] = []

        def classify(self, prompt: Prompt) -> Decision:
            self.seen.append(prompt.latest)
            return Decision("general", 1.0, {"general": 1.0})

    classifier = Counting()
    found = mix_figures(classifier, passes=2)
    assert found["calls"] == 2 * len(chat_mix())
    assert set(classifier.seen) == set(chat_mix())
    assert {"mean_ms", "cpu_mean_ms", "p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms"} <= set(found)


def test_the_encoder_measured_is_the_environments_or_the_packaged_one() -> None:
    from plugins.classify.onnx_encoder import PACKAGED_ENCODER
    from scripts.bench.classifier import encoder_dir

    assert str(encoder_dir({"BENCH_ENCODER_MODEL": "/tmp/x"})) == "/tmp/x"
    assert encoder_dir({}) == PACKAGED_ENCODER


def test_hybrid_is_measured_over_the_base_it_is_told() -> None:
    # `--hybrid-base encoder` measures the keyword rules over the packaged encoder, not the config's base.
    from plugins.classify.hybrid import HybridClassifier
    from plugins.classify.onnx_encoder import EncoderClassifier
    from scripts.bench.classifier import build
    from scripts.stack import ROOT

    classifier, costs = build(ROOT / "litellm_config.yaml", "hybrid", {}, "encoder")
    assert isinstance(classifier, HybridClassifier) and isinstance(classifier._model, EncoderClassifier)
    assert costs["load_ms"]["first"] >= 0


def test_the_long_conversation_has_200_messages() -> None:
    from scripts.bench.classifier import long_conversations

    text = "\n".join(f"line {i} of the corpus" for i in range(2_000))
    conversations = long_conversations(text, 3)
    assert len(conversations) == 3
    for prompt in conversations:
        assert 1 + len(prompt.context) + 1 == 200  # system, earlier turns, latest
        assert len(prompt.latest) == 200 and len(prompt.system) == 2_000
        assert {len(turn) for turn in prompt.context} == {50, 200, 1_000}


def test_the_fusion_bench_runs_both_sessions_on_the_same_inputs_and_they_agree() -> None:
    """The proxy's session leaves SkipLayerNormalization unfused for speed (scripts/bench/fusions.py): it must
    still compute the model onnxruntime's fully fused session computes, to int8 rounding."""
    from scripts.bench.fusions import TOKENS, bench_fusions, report

    found = bench_fusions(n=2)
    assert found["disabled"] == ["SkipLayerNormFusion"]
    assert set(found["tokens"]) == {str(t) for t in TOKENS}
    assert all(set(row) == {"proxy", "all_fusions"} for row in found["tokens"].values())
    assert found["mix_argmax_agreement"] >= 0.97
    assert found["mix_max_abs_logit_diff"] < 1.0
    assert len(report(found)) == 2 + len(TOKENS)
