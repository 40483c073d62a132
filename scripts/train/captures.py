"""Reviewed captures as training records: `make model CAPTURES=<capture dir or file>`.

The opt-in capture (`agent_router.capture`, docs/CONFIGURATION.md) writes each routed request's
view and, later, the feedback given on its id. This joins them the way `agent-router eval` does
(`plugins.capture.rows.joined`: a decision with its first report) and writes the rows whose report
came from a trusted source (default: `reviewer` only; a user's report can be wrong or hostile) as
training records: the deciding user turn as the prompt, the reported intent as the label, source
`capture:<source>`. The output goes into data/corpus/, where `finetune.py` and `build_model.py`
read every file; delete it to train without. Capture text is scrubbed of secrets, not of personal
data: review what you feed back.

    python -m scripts.train.captures CAPTURE [CAPTURE ...] [--sources reviewer user] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plugins.capture.rows import joined
from plugins.cli import read_rows
from scripts.train.data import CORPUS, Record

CLASSES = ("code", "reasoning", "general")
OUT = Path(__file__).resolve().parents[2] / "data" / CORPUS / "captures.jsonl"


def records(rows: Sequence[dict[str, Any]], sources: Sequence[str]) -> tuple[list[Record], int]:
    """Training records from capture lines, and how many labelled rows were left out (a source not
    trusted, an unknown intent, or no user text)."""
    labelled = joined(rows).rows
    out = []
    for row in labelled:
        source = str(row["source"]).removeprefix("capture:")
        users = [m.get("content") for m in row["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        prompt = users[-1] if users and isinstance(users[-1], str) else ""
        if source in sources and row["label"] in CLASSES and prompt.strip():
            out.append(Record(f"capture-{row['id']}", prompt, str(row["label"]), f"capture:{source}"))
    return out, len(labelled) - len(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="+", type=Path, help="capture directories or files")
    parser.add_argument("--sources", nargs="+", default=["reviewer"], choices=["user", "reviewer", "model"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = [row for path in args.captures for row in read_rows(path)]
    found, left_out = records(rows, args.sources)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(r.to_json() + "\n" for r in found), encoding="utf-8")
    print(json.dumps({"out": str(args.out), "records": len(found), "left_out": left_out,
                      "by_label": {c: sum(r.label == c for r in found) for c in CLASSES}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
