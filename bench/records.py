"""The raw results: JSON lines, one per run of a workload (or per workload not run), and the
set that ``docs/benchmarks.md`` is written from.

Every record carries the ``stamp`` of the suite run it comes from (the name of its
``bench/results/<stamp>.jsonl``). ``bench/published.jsonl`` (committed) holds the records the
current ``docs/benchmarks.md`` was written from; a new run is merged into it, so a partial run
(``--only shell100``) replaces only what it measured and the other figures stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Record = dict[str, Any]


def load(path: Path) -> list[Record]:
    """The records of a JSON-lines file; a record without a stamp gets the file's name."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for r in records:
        r.setdefault("stamp", path.stem)
    return records


def save(path: Path, records: Iterable[Record]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def key(r: Record) -> tuple[str, str, str]:
    """What a workload record is a figure of: (engine:mode, warm or e2e, workload)."""
    return (r["engine"], r["mode"], r["workload"])


def merge(previous: list[Record], new: list[Record]) -> list[Record]:
    """``new`` on top of ``previous``: a workload measured (or skipped, or failed) in ``new``
    replaces its previous records for that engine and mode; a peer tried in ``new`` replaces
    its previous install status; a new machine floor replaces the previous one. What is left of
    a previous run keeps its own one-task baseline and machine description."""
    replaced = {key(r) for r in new if "workload" in r and r["workload"] != "empty"}
    tried = {r["engine"].split(":")[0] for r in new if r.get("engine") != "machine"}
    new_floor = any(r.get("mode") == "floor" for r in new)
    kept = []
    for r in previous:
        if "workload" in r and key(r) in replaced:
            continue
        if r.get("status") and r["engine"] in tried:
            continue
        if r.get("mode") == "floor" and new_floor:
            continue
        kept.append(r)
    # A baseline (the empty workload) or a machine description that no longer goes with any
    # figure of its run is dropped.
    figures = {
        (r.get("stamp"), r["engine"], r["mode"])
        for r in kept
        if "workload" in r and r["workload"] != "empty"
    }
    kept = [
        r
        for r in kept
        if not ("workload" in r and r["workload"] == "empty")
        or (r.get("stamp"), r["engine"], r["mode"]) in figures
    ]
    stamps = {r.get("stamp") for r in kept if r.get("engine") != "machine" or "mode" in r}
    kept = [
        r for r in kept if r.get("engine") != "machine" or "mode" in r or r.get("stamp") in stamps
    ]
    return kept + new
