"""Issue 18's encoder gates, computed from a run's results (no processes)."""

from __future__ import annotations

from typing import Any

from scripts.bench.gates import added_cpu, encoder_gates, fallback_share, gate_lines


def bundle(cpu: float, rounds: list[float], live_p99: float, deciders: dict[str, int]) -> dict[str, Any]:
    return {"cpu_ms_per_request": cpu, "rps": 100.0, "rounds": [{"cpu_ms_per_request": c} for c in rounds],
            "liveliness": {"p99_ms": live_p99}, "deciders": deciders}


def results(encoder_cpu: float, encoder_live: float, mix_cpu: float = 3.0,
            probe_added: float | None = 0.4) -> dict[str, Any]:
    return {
        **({} if probe_added is None else {"encoder_lag": {"p99_added_ms": probe_added}}),
        "bundle_learned": bundle(10.0, [9.0, 11.0, 10.0], 20.0, {"learned": 100}),
        "bundle_encoder": {**bundle(encoder_cpu, [12.0, 15.0, 13.5], encoder_live, {"encoder": 90, "learned": 10}),
                           "fallbacks_total": {"deadline": 7, "queue_full": 3, "error": 0}},
        "classifier_mix": {"encoder": {"mix": {"cpu_mean_ms": mix_cpu}}},
        "bundle_hook": {"cpu_ms_per_request": 0.12},
        "ratios": {"bundle_encoder/litellm_tuned": {"cpu_ms_per_request": 1.3, "rps": 0.8}},
    }


def test_added_cpu_is_encoder_minus_learned_pooled_and_per_round() -> None:
    added = added_cpu(bundle(13.5, [12.0, 15.0], 0, {}), bundle(10.0, [9.0, 11.0], 0, {}))
    assert added == {"pooled_ms": 3.5, "median_of_rounds_ms": 3.5}
    assert added_cpu({"cpu_ms_per_request": 2.0}, {"cpu_ms_per_request": 1.0})["median_of_rounds_ms"] is None


def test_the_added_cpu_gate_is_the_mix_mean_plus_the_hook_budget() -> None:
    met = encoder_gates(results(encoder_cpu=13.6, encoder_live=22.0, mix_cpu=3.0))
    assert met["added_cpu_allowed_ms"] == 3.6
    assert met["added_cpu_met"] is True
    missed = encoder_gates(results(encoder_cpu=13.7, encoder_live=22.0, mix_cpu=3.0))
    assert missed["added_cpu_met"] is False


def test_the_lag_gate_allows_five_ms_more_at_p99_on_the_in_process_probe() -> None:
    assert encoder_gates(results(13.0, encoder_live=25.0, probe_added=5.0))["lag_met"] is True
    late = encoder_gates(results(13.0, encoder_live=20.0, probe_added=5.1))
    assert late["lag_met"] is False and late["lag_probe_p99_added_ms"] == 5.1


def test_the_liveliness_delta_is_reported_not_gated() -> None:
    noisy = encoder_gates(results(13.0, encoder_live=80.0, probe_added=0.3))
    assert noisy["liveliness_p99_delta_ms"] == 60.0 and noisy["lag_met"] is True
    unprobed = encoder_gates(results(13.0, encoder_live=25.0, probe_added=None))
    assert unprobed["lag_met"] is None and unprobed["lag_probe_p99_added_ms"] is None


def test_fallback_share_counts_every_decider_but_the_encoder() -> None:
    assert fallback_share({"encoder": 90, "learned": 10}) == 0.1
    assert fallback_share({"learned": 5}) == 1.0
    assert fallback_share({}) is None
    gates = encoder_gates(results(13.0, 22.0))
    assert gates["fallback_share_c32"] == 0.1
    assert gates["fallbacks_by_reason"] == {"deadline": 7, "queue_full": 3, "error": 0}
    assert gates["learned_hook_met"] is True


def test_no_gates_without_both_bundles_and_the_encoders_mix() -> None:
    partial = results(13.0, 22.0)
    del partial["bundle_encoder"]
    assert encoder_gates(partial) == {}
    assert gate_lines({})[0].startswith("encoder gates: not measured")
    lines = gate_lines(encoder_gates(results(13.0, 22.0)))
    assert len(lines) == 4 and "met" in lines[0] and "10.0%" in lines[1]


def test_phase_stats_pool_the_deciders_and_the_probe_over_rounds() -> None:
    from scripts.bench.load import PhaseResult
    from scripts.bench.report import phase_stats, table

    def phase(deciders: dict[str, int], probes: list[float]) -> PhaseResult:
        return PhaseResult(10, 32, wall_s=1.0, latencies_ms=[5.0] * 10, with_header=10, deciders=deciders,
                           probe_ms=probes)

    stats = phase_stats({
        "c32": [(phase({"encoder": 8, "learned": 2}, [1.0, 2.0]), 0.1),
                (phase({"encoder": 10}, [3.0, 40.0]), 0.1)],
        "c1": [(PhaseResult(2, 1, wall_s=0.1, latencies_ms=[1.0, 1.0]), 0.01)] * 2,
    })
    assert stats["deciders"] == {"encoder": 18, "learned": 2}
    assert stats["liveliness"] == {"probes": 4, "p50_ms": 2.0, "p99_ms": 40.0}
    assert stats["serial"]["liveliness"]["probes"] == 0
    printed = table({"bundle_encoder": stats})
    assert "live p99" in printed.splitlines()[0] and printed.splitlines()[2].endswith("40.00")
