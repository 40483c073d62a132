"""The encoder report's schedule and summary (scripts/train/report.py); the fine-tunes themselves need torch and
run in `.venv-build` only."""

from __future__ import annotations

from typing import Any

from scripts.train.data import Record
from scripts.train.report import GROUPS, RUNS, SEEDS, SOUPS, markdown, run_all


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingRuns:
    """Each run takes one second per training record on the fake clock."""

    def __init__(self, clock: FakeClock, records: list[Record]) -> None:
        self.clock, self.train_records = clock, records
        self.limit: int | None = None
        self.calls: list[str] = []
        self.temperatures: list[float] = []

    def _run(self, n: int, result: dict[str, Any]) -> dict[str, Any]:
        self.clock.now += n
        return {"train_records": n, "train_seconds": n, "temperature": 0.75,
                "sets": [{"set": "heldout", "macro_f1": 0.9 + 0.01 * len(self.calls), "accuracy": 0.9},
                         {"set": "realchat_dev2", "macro_f1": 0.8, "accuracy": 0.8}], **result}

    def seed_run(self, seed: int) -> dict[str, Any]:
        self.calls.append(f"seed {seed}")
        return self._run(len(self.train_records), {"kind": "seed", "seed": seed})

    def soup_run(self, seeds: tuple[int, ...]) -> dict[str, Any] | None:
        """Free on the clock, as a real soup trains nothing; None unless every seed ran."""
        if any(f"seed {seed}" not in self.calls for seed in seeds):
            return None
        self.calls.append("soup " + "+".join(map(str, seeds)))
        return {"kind": "soup", "seeds": list(seeds), "train_records": 0, "train_seconds": 0, "temperature": 0.5,
                "sets": [{"set": "heldout", "macro_f1": 0.95, "accuracy": 0.95},
                         {"set": "realchat_dev2", "macro_f1": 0.85, "accuracy": 0.85}]}

    def group_run(self, group: str, temperature: float) -> dict[str, Any]:
        self.calls.append(f"group {group}")
        self.temperatures.append(temperature)
        kept = [r for r in self.train_records if r.source.split(":")[0] not in GROUPS[group]]
        return self._run(len(kept), {"kind": "group", "group": group, "seed": SEEDS[0]})


def records() -> list[Record]:
    out = [Record(f"w{i}", "hi", "general", "wildchat:x") for i in range(20)]
    return out + [Record(f"g{i}", "2+2?", "reasoning", "gsm8k:train") for i in range(80)]


def test_groups_are_at_most_five_and_disjoint() -> None:
    members = [family for families in GROUPS.values() for family in families]
    assert len(GROUPS) <= 5
    assert len(members) == len(set(members))
    assert {what for kind, what in RUNS if kind == "group"} == set(GROUPS)
    assert [int(what) for kind, what in RUNS if kind == "seed"] == list(SEEDS)


def test_every_run_fits_a_large_budget_seeds_first() -> None:
    clock = FakeClock()
    runs = CountingRuns(clock, records())
    report = run_all(runs, budget_s=10_000, clock=clock)
    assert runs.calls == [f"{kind} {what}" for kind, what in RUNS]
    assert report["skipped"] == []
    # Leaving real chat out trains on the other 80 records; maths leaves out gsm8k.
    by_group = {r["group"]: r["train_records"] for r in report["runs"] if r["kind"] == "group"}
    assert by_group["real-chat"] == 80 and by_group["maths"] == 20
    assert report["summary"]["heldout"]["mean"] > 0.9
    assert report["summary"]["realchat_dev2"]["sd"] == 0.0
    assert report["soup_summary"]["realchat_dev2"]["mean"] == 0.85
    assert "soup of seeds 20250611 + 1" in markdown(report)


def test_soups_average_the_seed_runs_first_pair_shipped_and_need_their_seeds() -> None:
    assert SOUPS[0] == SEEDS[:2]  # the Makefile's `--seed` and `--soup`
    assert all(("soup", "+".join(map(str, pair))) in RUNS for pair in SOUPS)
    clock = FakeClock()
    runs = CountingRuns(clock, records())
    schedule = [("seed", str(SEEDS[0])), ("soup", f"{SEEDS[0]}+{SEEDS[1]}"), ("group", "maths")]
    report = run_all(runs, budget_s=10_000, clock=clock, schedule=schedule)
    assert runs.calls == [f"seed {SEEDS[0]}", "group maths"]
    assert report["skipped"] == [f"soup {SEEDS[0]}+{SEEDS[1]} (a seed run missing)"]
    # The group run scores at the first run's temperature, the seed's, not a soup's.
    assert runs.temperatures == [0.75]


def test_a_run_that_would_end_past_the_budget_is_skipped_and_named() -> None:
    clock = FakeClock()
    runs = CountingRuns(clock, records())
    # 100 s per seed run: after two (200 s) a third would end at 300 > 250, but a run without maths (20 s)
    # still fits; one without real chat (80 s) does not.
    report = run_all(runs, budget_s=250, clock=clock)
    # Soups cost nothing on the clock: the first pair's runs, the others lack seed 2.
    assert runs.calls == ["seed 20250611", "seed 1", "soup 20250611+1", "group maths"]
    assert report["skipped"][:4] == ["seed 2", "soup 20250611+2 (a seed run missing)",
                                     "soup 1+2 (a seed run missing)", "group real-chat"]
    text = markdown(report)
    assert "without maths" in text and "skipped (budget): seed 2, soup 20250611+2" in text


def test_only_the_named_runs_run_and_a_group_without_a_seed_run_takes_the_given_temperature() -> None:
    clock = FakeClock()
    runs = CountingRuns(clock, records())
    report = run_all(runs, budget_s=10_000, clock=clock, schedule=[("group", "maths")], temperature=0.5)
    assert runs.calls == ["group maths"]
    assert runs.temperatures == [0.5]
    assert report["summary"] == {} and report["skipped"] == []
