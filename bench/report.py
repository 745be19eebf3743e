"""docs/benchmarks.md and the chart, from the records of one run (bench/results/*.jsonl)."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.workloads import BY_NAME, WORKLOADS

LABELS = {
    "headway:default": "Headway",
    "prefect:default": "Prefect",
    "dagster:durable": "Dagster (SQLite)",
    "dagster:memory": "Dagster (in-memory)",
    "airflow:default": "Airflow",
}
INCLUDES = {
    "headway:default": "executor and worker in one process, every state change committed to "
    "SQLite (WAL) before it is acted on; no API server",
    "prefect:default": "`@flow`/`@task`, states sent to Prefect's own ephemeral API server "
    "(a subprocess it starts, SQLite in a temporary PREFECT_HOME); the default thread-pool "
    "task runner for `.map`",
    "dagster:durable": "`execute_in_process` on `DagsterInstance.local_temp()` (run and event "
    "storage in SQLite); the in-process executor runs steps one after another",
    "dagster:memory": "`execute_in_process` on `DagsterInstance.ephemeral()`: nothing durable, "
    "a reference for Dagster's own cost without storage",
    "airflow:default": "`dag.test()` (DAG file in the dags folder, serialised on each call), "
    "SQLite metadata database migrated once; tasks one after another, each through the "
    "in-process execution API",
}
NOT_YET = ["shell100", "python100", "server workloads (API, UI)"]


def _times(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[float]]:
    out: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in records:
        if "seconds" in r:
            out[(r["engine"], r["mode"], r["workload"])].append(r["seconds"])
    return out


def _notes(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    out = {}
    for r in records:
        for key in ("skipped", "error"):
            if key in r:
                out[(r["engine"], r["mode"], r["workload"])] = r[key]
    return out


def engines(records: list[dict[str, Any]]) -> list[str]:
    seen = [r["engine"] for r in records if "workload" in r]
    return sorted(set(seen), key=lambda e: list(LABELS).index(e) if e in LABELS else 99)


def per_unit_ms(
    times: dict[tuple[str, str, str], list[float]], engine: str, mode: str, name: str
) -> tuple[float, float, float] | None:
    """(median, min, max) of the workload's overhead per task (or per item), in ms."""
    w = BY_NAME[name]
    got = times.get((engine, mode, name))
    if not got:
        return None
    if w.kind == "long":
        return tuple((x - 1.0) * 1000 for x in (statistics.median(got), min(got), max(got)))  # type: ignore[return-value]
    base = 0.0
    if w.kind in ("seq", "fanout"):
        empty = times.get((engine, mode, "empty"))
        if not empty:
            return None
        base = statistics.median(empty)
    return tuple((x - base) / w.n * 1000 for x in (statistics.median(got), min(got), max(got)))  # type: ignore[return-value]


def _fmt(v: tuple[float, float, float] | None, note: str | None) -> str:
    if v is None:
        return note or "-"
    return f"{v[0]:.2f} ({v[1]:.2f}-{v[2]:.2f})"


def render(records: list[dict[str, Any]], chart: str) -> str:
    info = next((r for r in records if r.get("engine") == "machine" and "cores" in r), {})
    floor = next((r for r in records if r.get("mode") == "floor"), None)
    times = _times(records)
    notes = _notes(records)
    engs = engines(records)
    label = {e: LABELS.get(e, e) for e in engs}
    versions = {r["engine"]: r["version"] for r in records if "version" in r}
    status = [r for r in records if r.get("status")]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {info.get('date', '?')} on {info.get('cores')} cores, "
        f"{info.get('memory_gib')} GiB, Python {info.get('python')} ({info.get('arch')}, "
        f"{info.get('system')}), by `python -m bench{' --quick' if info.get('quick') else ''}` "
        f"({info.get('runs')} runs per figure, at most {info.get('budget'):.0f} s per workload "
        "and engine: a slow workload gets fewer runs, down to one, and a size whose smaller "
        "size predicts a run over that budget is not run). Raw results: "
        "`bench/results/*.jsonl`; how to run: [bench/README.md](../bench/README.md).",
        "",
        "Engines and what their figures include:",
        "",
    ]
    for e in engs:
        lines.append(f"- **{label[e]}** {versions.get(e, '')}: {INCLUDES.get(e, '')}.")
    for r in status:
        lines.append(f"- **{r['engine']}**: {r['status']}: {r['reason']}")
    lines += [
        "",
        "## Overhead per task, warm (ms)",
        "",
        "The engine already started; overhead per task = (flow time - one-task flow time) / N "
        "for `seq` (N tasks one after another) and `fanout` (one task fans out to N "
        "concurrent tasks, a final task joins); `long10` is what the engine adds to 10 "
        "parallel 1 s sleeps (ms); `scale` is the time per item of a loop over N items, one at "
        "a time (Headway: a ForEach with concurrencyLimit 1). Median (min-max).",
        "",
    ]
    names = [
        w.name
        for w in WORKLOADS
        if w.name != "empty" and any(k[2] == w.name for k in list(times) + list(notes))
    ]
    lines.append("| workload | " + " | ".join(label[e] for e in engs) + " |")
    lines.append("|---|" + "---|" * len(engs))
    for name in names:
        cells = []
        for e in engs:
            eng, mode = e, "warm"
            cells.append(_fmt(per_unit_ms(times, eng, mode, name), notes.get((eng, mode, name))))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    empty_cells = []
    for e in engs:
        got = times.get((e, "warm", "empty"))
        empty_cells.append(f"{statistics.median(got) * 1000:.1f}" if got else "-")
    lines.append("| one-task flow (ms) | " + " | ".join(empty_cells) + " |")
    # Ratios
    hw = "headway:default"
    if hw in engs and len(engs) > 1:
        lines += [
            "",
            "Each peer's figure divided by Headway's, same workload, same run (above 1: Headway "
            "adds less):",
            "",
            "| workload | " + " | ".join(label[e] for e in engs if e != hw) + " |",
            "|---|" + "---|" * (len(engs) - 1),
        ]
        for name in names:
            mine = per_unit_ms(times, hw, "warm", name)
            cells = []
            for e in engs:
                if e == hw:
                    continue
                theirs = per_unit_ms(times, e, "warm", name)
                ok = mine and theirs and mine[0] > 0 and theirs[0] > 0
                cells.append(f"{theirs[0] / mine[0]:.1f}x" if ok else "-")  # type: ignore[index]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    # End to end
    lines += [
        "",
        "## End to end (a fresh process: import, start, run, exit)",
        "",
        "Headway: `python -m headway run FILE`; peers: their script for the workload, once. "
        "Peak RSS is the process tree's (sampled every 50 ms). Median (min-max).",
        "",
        "| engine | one-task flow (s) | seq40 (s) | seq400 (s) "
        "| overhead per task, seq400 (ms) | peak RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for e in engs:
        row = []
        for name in ("empty", "seq40", "seq400"):
            got = times.get((e, "e2e", name))
            row.append(
                f"{statistics.median(got):.2f} ({min(got):.2f}-{max(got):.2f})"
                if got
                else notes.get((e, "e2e", name), "-")
            )
        per = per_unit_ms(_e2e_as_warm(times, e), e, "warm", "seq400")
        rss = [
            r["peak_rss_mib"]
            for r in records
            if r.get("engine") == e and r.get("mode") == "e2e" and "peak_rss_mib" in r
        ]
        row.append(f"{per[0]:.2f}" if per else "-")
        row.append(f"{max(rss):.0f}" if rss else "-")
        lines.append(f"| {label[e]} | " + " | ".join(row) + " |")
    lines += [
        "",
        f"![Overhead per task by engine, and time per item as the loop grows]({chart})",
        "",
    ]
    if floor:
        lines += [
            "## The machine's floor, same run",
            "",
            "| figure | value |",
            "|---|---|",
            "| SQLite commits/s, WAL, synchronous=NORMAL "
            f"| {floor['sqlite_commits_per_s_normal']:,.0f} |",
            "| SQLite commits/s, WAL, synchronous=FULL "
            f"| {floor['sqlite_commits_per_s_full']:,.0f} |",
            f"| fsync/s | {floor['fsyncs_per_s']:,.0f} |",
            f"| fork+exec of /bin/true per s | {floor['fork_exec_true_per_s']:,.0f} |",
            f"| `python -c pass` start-up (ms) | {floor['python_startup_ms']:.0f} |",
            "",
        ]
    lines += [
        "## Not yet measured",
        "",
        *[f"- `{n}`: comes with a later issue." for n in NOT_YET],
        "",
    ]
    return "\n".join(lines)


def _e2e_as_warm(
    times: dict[tuple[str, str, str], list[float]], engine: str
) -> dict[tuple[str, str, str], list[float]]:
    return {(e, "warm", n): v for (e, m, n), v in times.items() if e == engine and m == "e2e"}


def chart(records: list[dict[str, Any]], python: Path, out: Path) -> None:
    """Draw the PNG with matplotlib in its own venv (never one of headway's dependencies)."""
    times = _times(records)
    engs = engines(records)
    data: dict[str, Any] = {"bars": {}, "scale": {}}
    for e in engs:
        for name in ("seq400", "fanout100"):
            v = per_unit_ms(times, e, "warm", name)
            if v:
                data["bars"].setdefault(name, {})[LABELS.get(e, e)] = v[0]
        pts = []
        for w in WORKLOADS:
            if w.kind in ("scale", "fanout"):
                v = per_unit_ms(times, e, "warm", w.name)
                if v:
                    pts.append([w.kind, w.n, v[0]])
        data["scale"][LABELS.get(e, e)] = pts
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(data, f)
    subprocess.run(
        [str(python), str(Path(__file__).with_name("plot.py")), f.name, str(out)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    Path(f.name).unlink()
