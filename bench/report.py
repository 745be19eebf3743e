"""docs/benchmarks.md and the chart, from raw records (one run's, or several merged: see
bench/records.py)."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import pgworkers, report_pgworkers, report_server
from bench.server import SERVER_WORKLOADS
from bench.workloads import BY_NAME, SCRIPT_KINDS, WORKLOADS

LABELS = {
    "headway:default": "Headway",
    "prefect:default": "Prefect",
    "dagster:durable": "Dagster (SQLite)",
    "dagster:memory": "Dagster (in-memory)",
    "airflow:default": "Airflow",
}
INCLUDES = {
    "headway:default": "executor and worker in one process, every state change committed to "
    "SQLite (WAL) before it is acted on; no API server (the [server workloads]"
    "(#server-headway-alone) run one)",
    "prefect:default": "`@flow`/`@task`, states sent to Prefect's own ephemeral API server "
    "(a subprocess it starts, SQLite in a temporary PREFECT_HOME); the default thread-pool "
    "task runner for `.map`. A flow run's states are proposed to the server, but a task run's "
    "are kept locally and sent as events in the background (recorded, maybe, after the flow has "
    "moved on); here a run of sequential tasks took either about the one-task flow's time plus "
    "about 1 ms per task, or tens of ms per task more (its min-max), so its medians swing "
    "from run to run and can even fall below a script workload's floor",
    "dagster:durable": "`execute_in_process` on `DagsterInstance.local_temp()` (run and event "
    "storage in SQLite); the in-process executor runs steps one after another",
    "dagster:memory": "`execute_in_process` on `DagsterInstance.ephemeral()`: nothing durable, "
    "a reference for Dagster's own cost without storage",
    "airflow:default": "`dag.test()` (DAG file in the dags folder, serialised on each call), "
    "SQLite metadata database migrated once; tasks one after another, each through the "
    "in-process execution API",
}
FLOOR = "fork+exec (floor)"
# How each engine runs the process of a script task.
PROCESS = {
    "headway:default": "`shell.Commands` / `python.Script` on the Process runner: `/bin/sh -c` "
    "in a fresh temporary working directory, its own session (process group), each output "
    "line parsed and logged",
    "prefect:default": "a `@task` calling `subprocess.run`, output captured",
    "dagster:durable": "an `@op` calling `subprocess.run`, output captured",
    "dagster:memory": "an `@op` calling `subprocess.run`, output captured",
    "airflow:default": "a `BashOperator` (`bash -c`, output lines logged)",
}
NOT_YET: list[str] = []


class Figures:
    """The timings of the records, by (engine:mode, warm or e2e, workload), each figure net of
    the one-task baseline measured in the same run."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        newest = max((r.get("stamp", "") for r in records), default="")
        self.times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.stamps: dict[tuple[str, str, str], str] = {}
        self.baselines: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.floors: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        empties: dict[tuple[str, str], str] = {}
        for r in records:
            if "seconds" not in r:
                continue
            k = (r["engine"], r["mode"], r["workload"])
            stamp = r.get("stamp", newest)
            if r["workload"] == "empty":
                self.baselines[(stamp, r["engine"], r["mode"])].append(r["seconds"])
                empties[(r["engine"], r["mode"])] = max(
                    stamp, empties.get((r["engine"], r["mode"]), "")
                )
                continue
            self.times[k].append(r["seconds"])
            self.stamps[k] = stamp
            if "floor_seconds" in r:
                self.floors[k].append(r["floor_seconds"])
        for (engine, mode), stamp in empties.items():  # the newest one-task flow is shown
            self.times[(engine, mode, "empty")] = self.baselines[(stamp, engine, mode)]
            self.stamps[(engine, mode, "empty")] = stamp

    def per_unit_ms(
        self, engine: str, name: str, mode: str = "warm"
    ) -> tuple[float, float, float] | None:
        """(median, min, max) of the workload's overhead per task (or per item), in ms."""
        w = BY_NAME[name]
        got = self.times.get((engine, mode, name))
        if not got:
            return None
        stats = (statistics.median(got), min(got), max(got))
        if w.kind == "long":
            return tuple((x - 1.0) * 1000 for x in stats)  # type: ignore[return-value]
        base = 0.0
        if w.kind in ("seq", "fanout", *SCRIPT_KINDS):
            empty = self.baselines.get((self.stamps[(engine, mode, name)], engine, mode))
            empty = empty or self.times.get((engine, mode, "empty"))
            if not empty:
                return None
            base = statistics.median(empty)
        return tuple((x - base) / w.n * 1000 for x in stats)  # type: ignore[return-value]

    def floor_ms(self, engine: str, name: str) -> tuple[float, float, float] | None:
        """(median, min, max) per task of the bare processes of a script workload, timed by
        the engine's side right after each of its runs."""
        got = self.floors.get((engine, "warm", name))
        if not got:
            return None
        n = BY_NAME[name].n
        return tuple(x / n * 1000 for x in (statistics.median(got), min(got), max(got)))  # type: ignore[return-value]

    def same_run(self, a: tuple[str, str, str], b: tuple[str, str, str]) -> bool:
        return self.stamps.get(a) == self.stamps.get(b)


def _notes(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    out = {}
    for r in records:
        for key in ("skipped", "error"):
            if key in r:
                out[(r["engine"], r["mode"], r["workload"])] = r[key]
    return out


def engines(records: list[dict[str, Any]]) -> list[str]:
    """The engines measured, in the order of LABELS."""
    seen = {r["engine"] for r in records if "workload" in r}
    return sorted(seen, key=lambda e: list(LABELS).index(e) if e in LABELS else 99)


def _fmt(v: tuple[float, float, float] | None, note: str | None) -> str:
    if v is None:
        return note or "-"
    return f"{v[0]:.2f} ({v[1]:.2f}-{v[2]:.2f})"


def _runs(records: list[dict[str, Any]]) -> list[str]:
    """One line per suite run that figures come from: when, how, what it measured."""
    measured: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if "workload" in r and r["workload"] != "empty":
            measured[r.get("stamp", "")].add(r["workload"])
    out = []
    for r in records:
        if r.get("engine") != "machine" or "cores" not in r:
            continue
        if r.get("stamp", "") not in measured:
            continue
        command = "python -m bench" + (" --quick" if r.get("quick") else "")
        command += "".join(f" --only {n}" for n in r.get("only", []))
        done = measured[r.get("stamp", "")]
        names = [w.name for w in WORKLOADS if w.name in done]
        servers = [w.name for w in SERVER_WORKLOADS if w.name in done]
        parts = []
        if names:
            parts.append(
                f"{r.get('runs')} runs per figure, at most {r.get('budget', 0):.0f} s per "
                f"workload and engine: {', '.join(names)}"
            )
        if pgworkers.NAME in done:
            servers.append(pgworkers.NAME)
        if servers:
            parts.append(f"server workloads: {', '.join(servers)}")
        if r.get("headway"):
            parts.append(f"Headway: {r['headway']}")
        out.append(
            f"- {r.get('date', '?')} (`{r.get('stamp', '?')}`), `{command}`, " + "; ".join(parts)
        )
    return out


def render(records: list[dict[str, Any]], chart: str) -> str:
    machines = [r for r in records if r.get("engine") == "machine" and "cores" in r]
    info = max(machines, key=lambda r: r.get("stamp", ""), default={})
    floor = next((r for r in records if r.get("mode") == "floor"), None)
    figs = Figures(records)
    notes = _notes(records)
    engs = engines(records)
    label = {e: LABELS.get(e, e) for e in engs}
    versions = {r["engine"]: r["version"] for r in records if "version" in r}
    status = [r for r in records if r.get("status")]
    runs = _runs(records)
    lines = [
        "# Benchmarks",
        "",
        f"Measured on {info.get('cores')} cores, {info.get('memory_gib')} GiB, Python "
        f"{info.get('python')} ({info.get('arch')}, {info.get('system')}). A slow workload gets "
        "fewer runs, down to one, and a size whose smaller size predicts a run over the budget "
        "is not run. Raw results: `bench/published.jsonl` (what this page is written from) "
        "and `bench/results/*.jsonl`; how to run: [bench/README.md](../bench/README.md).",
        "",
    ]
    if len(runs) > 1:
        lines += [
            "The figures come from these runs (a later partial run replaced what it measured; "
            "a ratio of two figures from different runs is marked *):",
            "",
            *runs,
            "",
        ]
    else:
        lines += ["From one run:", "", *runs, ""]
    lines += ["Engines and what their figures include:", ""]
    sources = {r.get("stamp"): r.get("headway") for r in machines if r.get("headway")}
    for e in engs:
        version = versions.get(e, "")
        stamps = sorted(v for k, v in figs.stamps.items() if k[0] == e)
        if e == "headway:default" and stamps and sources.get(stamps[-1]):
            version += f" ({sources[stamps[-1]]})"
        lines.append(f"- **{label[e]}** {version}: {INCLUDES.get(e, '')}.")
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
        "a time (Headway: a ForEach with concurrencyLimit 1); `shell100` and `python100` "
        "likewise for 100 script tasks one after another, each task's figure including the "
        "process it starts ([against the floor below](#script-tasks-against-the-forkexec-floor)"
        "). Median (min-max).",
        "",
    ]
    names = [
        w.name
        for w in WORKLOADS
        if w.name != "empty"
        and any(k[2] == w.name and k[0] in engs for k in list(figs.times) + list(notes))
    ]
    lines.append("| workload | " + " | ".join(label[e] for e in engs) + " |")
    lines.append("|---|" + "---|" * len(engs))
    for name in names:
        cells = [_fmt(figs.per_unit_ms(e, name), notes.get((e, "warm", name))) for e in engs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    empty_cells = []
    for e in engs:
        got = figs.times.get((e, "warm", "empty"))
        empty_cells.append(f"{statistics.median(got) * 1000:.1f}" if got else "-")
    lines.append("| one-task flow (ms) | " + " | ".join(empty_cells) + " |")
    mixed = False
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
            mine = figs.per_unit_ms(hw, name)
            cells = []
            for e in engs:
                if e == hw:
                    continue
                theirs = figs.per_unit_ms(e, name)
                if not (mine and theirs and mine[0] > 0 and theirs[0] > 0):
                    cells.append("-")
                    continue
                star = "" if figs.same_run((hw, "warm", name), (e, "warm", name)) else " *"
                mixed = mixed or bool(star)
                cells.append(f"{theirs[0] / mine[0]:.1f}x{star}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += _script_section(figs, engs, label, notes)
    e2e = [e for e in engs if any(k[:2] == (e, "e2e") for k in [*figs.times, *notes])]
    if e2e:
        lines += _end_to_end_section(records, figs, e2e, label, notes)
    lines += [
        "",
        f"![Overhead per task by engine, and time per item as the loop grows]({chart})",
        "",
    ]
    if floor:
        lines += [
            "## The machine's floor"
            + (", same run" if not mixed and len(runs) == 1 else f" ({floor.get('stamp', '')})"),
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
    if mixed:
        lines += ["\\* the two figures of this ratio come from different runs.", ""]
    lines += report_server.section(records)[1:]
    lines += report_pgworkers.section(records)
    if NOT_YET:
        lines += [
            "## Not yet measured",
            "",
            *[f"- `{n}`: comes with a later issue." for n in NOT_YET],
            "",
        ]
    return "\n".join(lines)


def _end_to_end_section(
    records: list[dict[str, Any]],
    figs: Figures,
    e2e: list[str],
    label: dict[str, str],
    notes: dict[tuple[str, str, str], str],
) -> list[str]:
    lines = [
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
    for e in e2e:
        row = []
        for name in ("empty", "seq40", "seq400"):
            got = figs.times.get((e, "e2e", name))
            row.append(
                f"{statistics.median(got):.2f} ({min(got):.2f}-{max(got):.2f})"
                if got
                else notes.get((e, "e2e", name), "-")
            )
        per = figs.per_unit_ms(e, "seq400", mode="e2e")
        rss = [
            r["peak_rss_mib"]
            for r in records
            if r.get("engine") == e and r.get("mode") == "e2e" and "peak_rss_mib" in r
        ]
        row.append(f"{per[0]:.2f}" if per else "-")
        row.append(f"{max(rss):.0f}" if rss else "-")
        lines.append(f"| {label[e]} | " + " | ".join(row) + " |")
    return lines


def _script_section(
    figs: Figures, engs: list[str], label: dict[str, str], notes: dict[tuple[str, str, str], str]
) -> list[str]:
    """Cost per script task against the same processes started bare (bench/reference.py)."""
    names = [w.name for w in WORKLOADS if w.kind in SCRIPT_KINDS]
    if not any(figs.per_unit_ms(e, n) or notes.get((e, "warm", n)) for e in engs for n in names):
        return []
    lines = [
        "",
        "## Script tasks against the fork+exec floor",
        "",
        "`shell100`: 100 shell tasks one after another, each running `echo 'value i*i'`; "
        "`python100`: 100 Python script tasks, each a fresh interpreter running one "
        "`print`. Cost per task = (flow time - one-task flow time) / 100, warm, median "
        "(min-max). The floor is the same 100 processes started one after another with "
        "`subprocess.run` from Python, output read, nothing around them "
        "([bench/reference.py](../bench/reference.py)), timed by each engine's own process "
        "right after each of its runs (so under the same load, and for `python100` with the "
        "same interpreter); `x floor` is the cost per task divided by that floor, `added` "
        "the cost per task less the floor (ms), to be read against the engine's own `seq400` "
        "overhead per task.",
        "",
        "How each engine runs the process of a task:",
        "",
        *[f"- **{label[e]}**: {PROCESS[e]}." for e in engs if e in PROCESS],
        "",
        "| engine | "
        + " | ".join(f"{n} (ms/task) | floor (ms/task) | x floor | added (ms)" for n in names)
        + " | seq400 overhead (ms) |",
        "|---|" + "---|---|---|---|" * len(names) + "---|",
    ]
    for e in engs:
        row = []
        for n in names:
            mine, floor = figs.per_unit_ms(e, n), figs.floor_ms(e, n)
            row.append(_fmt(mine, notes.get((e, "warm", n))))
            row.append(_fmt(floor, None))
            if mine and floor and floor[0] > 0:
                row.append(f"{mine[0] / floor[0]:.1f}x")
                row.append(f"{mine[0] - floor[0]:.2f}")
            else:
                row += ["-", "-"]
        seq = figs.per_unit_ms(e, "seq400")
        lines.append(
            f"| {label[e]} | " + " | ".join(row) + f" | {f'{seq[0]:.2f}' if seq else '-'} |"
        )
    return lines


def chart(records: list[dict[str, Any]], python: Path, out: Path) -> None:
    """Draw the PNG with matplotlib in its own venv (never one of headway's dependencies)."""
    figs = Figures(records)
    data: dict[str, Any] = {"bars": {}, "scale": {}}
    floors: dict[str, list[float]] = defaultdict(list)
    for e in engines(records):
        for name in ("seq400", "fanout100", "shell100", "python100"):
            v = figs.per_unit_ms(e, name)
            if v:
                data["bars"].setdefault(name, {})[LABELS.get(e, e)] = v[0]
            floor = figs.floor_ms(e, name)
            if floor:
                floors[name].append(floor[0])
        pts = []
        for w in WORKLOADS:
            if w.kind in ("scale", "fanout"):
                v = figs.per_unit_ms(e, w.name)
                if v:
                    pts.append([w.kind, w.n, v[0]])
        if pts:
            data["scale"][LABELS.get(e, e)] = pts
    for name, values in floors.items():  # the engines' floors, as one bar
        data["bars"][name][FLOOR] = statistics.median(values)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(data, f)
    subprocess.run(
        [str(python), str(Path(__file__).with_name("plot.py")), f.name, str(out)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    Path(f.name).unlink()
