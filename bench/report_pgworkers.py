"""The "PostgreSQL with separate workers" section of docs/benchmarks.md, from the records
of ``pgworkers`` (``mode: workers``, one per worker count and load, written by
``bench/pgworkers.py``): a table per load, the TaskRuns/s target judged on the throughput
load, the ready-to-start target on the latency load."""

from __future__ import annotations

from typing import Any

from bench.pgworkers import ABOUT, LATENCY, NAME, TASKS, THROUGHPUT, Load

TITLE = "PostgreSQL: TaskRuns/s by worker processes (Headway alone)"
ANCHOR = "postgresql-taskrunss-by-worker-processes-headway-alone"
# Issue 5's target.
TARGET_RATE = 1000.0  # TaskRuns/s in total
TARGET_P99_MS = 50.0  # ready to start


# Where the time went when last profiled by hand (py-spy on the server and a worker, and
# PostgreSQL's statement log, as bench/README.md says): not measured by the suite, so dated.
PROFILE = [
    "Where the time goes (profiled by hand with py-spy on 2026-11-30, Headway at commit "
    "4567401, 1 worker process, the throughput load; see [bench/README.md](../bench/README.md) "
    "for how): each TaskRun costs about 2.7 ms of CPU in all (server 1.25, worker 0.83, "
    "PostgreSQL 0.61 in the table above), down from about 9 ms at 0fb73b1; 1,000 TaskRuns/s "
    "on 2 cores needs at most 2 ms. The machine is not saturated either (about 1.4 of its 2 "
    "cores busy): the one executor is the critical path. It evaluates what one read of its "
    "inbox brought and commits it while the workers wait for that commit to claim, then "
    "waits for their results.",
    "- Since 0fb73b1: the executor commits the evaluations of one read of its inbox together "
    "(up to 64 executions in one transaction), and a worker the results that finished while "
    "its previous commit was in flight; each kind of row is written by one statement from "
    "arrays sent in binary (psycopg's text format escaped each element in Python: 5 ms for "
    "64 TaskRuns' JSON, 28 us in binary); a worker reads the executions of one claim in one "
    "query; a quick task's start goes in its result event. With 1 worker under the latency "
    "load (the only one measured then), PostgreSQL transactions per TaskRun went from 5.7 "
    "to 1.7 (1.1 under the throughput load), rows written from 10.9 to 8.9.",
    "- Server: about 30% of its samples are the executor's loop (evaluating flows about 6%, "
    "turning TaskRuns into rows about 6%, the rest the store's round trips), about 15% the "
    "HTTP side of the bench's `wait=true` requests (creating the execution, its audit row, "
    "the waits' reads); about 37% of the samples could not be attributed to a coroutine.",
    "- Worker: about 40% of its samples read executions: whole executions, every TaskRun's "
    "state history parsed from JSON (the JSON 14%, the TaskRun objects 17%); committing "
    "results 7%, claiming 2%, the task itself 5%.",
    "- More workers now cost little in the database (1.1, 1.2, 1.3 transactions per TaskRun "
    "with 1, 2, 4, throughput load), but each worker process adds its own CPU on the 2 "
    "shared cores (0.83 ms per TaskRun with 1, 1.17 with 4).",
    "- Next steps: workers keep executions between TaskRuns and read only what changed (about "
    "a third of a worker's CPU); the executor reads its next inbox while a group commits; "
    "with more cores, several executor processes, which own disjoint executions (not "
    "measurable on this 2-core machine).",
]


def records_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pgworkers records, by worker count."""
    mine = [r for r in records if r.get("mode") == "workers" and r.get("workload") == NAME]
    return sorted(mine, key=lambda r: r.get("workers", 0))


def load_of(r: dict[str, Any]) -> str:
    """The load a record was measured under; one without (measured before there were two
    loads: 16 at a time, 32 slots) was under the latency load."""
    return str(r.get("load") or LATENCY.name)


def _who(workers: int) -> str:
    return "0 (all-in-one server)" if workers == 0 else str(workers)


def _lat(f: dict[str, Any] | None) -> str:
    if not f or "p50_ms" not in f:
        return "-"
    return f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f}"


def _load(r: dict[str, Any]) -> str:
    before, after = r.get("load_before") or [], r.get("load_after") or []
    if not before:
        return "?"
    text = f"{before[0]:.1f}, {after[0]:.1f}" if after else f"{before[0]:.1f}"
    if "other_cores" in r:
        text += f"; {r['other_cores']:.2f}"
    return text


def _cpu(r: dict[str, Any]) -> str:
    c = r.get("cpu_ms_per_taskrun") or {}
    if not c:
        return "-"
    return " / ".join(f"{c.get(k, 0):.2f}" for k in ("server", "workers", "postgres"))


def _db(r: dict[str, Any]) -> str:
    d = r.get("db_per_taskrun") or {}
    if not d:
        return "-"
    written = d.get("tup_inserted", 0) + d.get("tup_updated", 0) + d.get("tup_deleted", 0)
    return f"{d.get('xact_commit', 0):.1f} / {written:.1f}"


def _rate_met(r: dict[str, Any]) -> bool:
    """Issue 5's throughput target (judged on the throughput load)."""
    return bool(r.get("taskruns_per_s", 0) >= TARGET_RATE)


def _p99_met(r: dict[str, Any]) -> bool:
    """Issue 5's ready-to-start target (judged on the latency load)."""
    return bool((r.get("ready_to_start") or {}).get("p99_ms", 1e9) < TARGET_P99_MS)


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _counts(workers: list[int]) -> str:
    return ", ".join(str(n) for n in workers)


def scaling(rows: list[dict[str, Any]]) -> str:
    """A sentence on how throughput changes with the worker processes, and the TaskRuns/s
    target judged on the best of them (``rows``: the throughput load's)."""
    measured = {r["workers"]: r for r in rows if "taskruns_per_s" in r}
    separate = sorted(n for n in measured if n > 0)
    if not separate:
        return (
            "Separate worker processes were not measured under the throughput load in this "
            "run: the TaskRuns/s target is not judged."
        )
    rates = [measured[n]["taskruns_per_s"] for n in separate]
    text = (
        "With "
        + ", ".join(str(n) for n in separate)
        + " worker process"
        + ("es" if len(separate) > 1 else "")
        + ": "
        + ", ".join(f"{x:,.0f}" for x in rates)
        + " TaskRuns/s"
    )
    if len(separate) > 1:
        ratio = rates[-1] / rates[0] if rates[0] else 0.0
        how = (
            "grows with the workers"
            if ratio >= 1.5
            else "grows a little with the workers"
            if ratio >= 1.1
            else "does not grow with the workers"
        )
        text += (
            f": throughput {how} ({ratio:.2f}x from {separate[0]} to {separate[-1]}, "
            f"{separate[-1] // separate[0]}x the processes)"
        )
    if 0 in measured:
        base = measured[0]["taskruns_per_s"]
        text += f"; the all-in-one server (no claim, results in memory): {base:,.0f} TaskRuns/s"
    best = max((measured[n] for n in separate), key=lambda r: r["taskruns_per_s"])
    text += (
        f". The target of {TARGET_RATE:,.0f} TaskRuns/s is {_verdict(_rate_met(best))}"
        + f" (best: {best['taskruns_per_s']:,.0f} TaskRuns/s with {best['workers']} worker "
        + ("process)." if best["workers"] == 1 else "processes).")
    )
    return text


def latency(rows: list[dict[str, Any]]) -> str:
    """A sentence on the ready-to-start p99 of each worker count, each judged against the
    target (``rows``: the latency load's)."""
    measured = {r["workers"]: r for r in rows if "p99_ms" in (r.get("ready_to_start") or {})}
    separate = sorted(n for n in measured if n > 0)
    if not separate:
        return (
            "Separate worker processes were not measured under the latency load in this run: "
            "the ready-to-start target is not judged."
        )
    p99 = {n: r["ready_to_start"]["p99_ms"] for n, r in measured.items()}
    text = (
        f"Ready to start p99 with {_counts(separate)} worker process"
        + ("es" if len(separate) > 1 else "")
        + ": "
        + ", ".join(f"{p99[n]:.1f}" for n in separate)
        + " ms"
    )
    if 0 in measured:
        text += f"; the all-in-one server: {p99[0]:.1f} ms"
    met = [n for n in separate if _p99_met(measured[n])]
    missed = [n for n in separate if n not in met]
    verdicts = ([f"met with {_counts(met)}"] if met else []) + (
        [f"**missed** with {_counts(missed)}"] if missed else []
    )
    text += (
        f". The target of p99 under {TARGET_P99_MS:.0f} ms is "
        + " and ".join(verdicts)
        + " worker process"
        + ("es" if len(separate) > 1 else "")
    )
    if 0 in measured:
        text += f" ({_verdict(_p99_met(measured[0]))} all in one)"
    text += "."
    return text


def _table(load: Load, rows: list[dict[str, Any]]) -> list[str]:
    """The load's table, its target column judged as that load is (TaskRuns/s for the
    throughput load, ready to start p99 for the latency load)."""
    throughput = load.name == THROUGHPUT.name
    target = f"{TARGET_RATE:,.0f} TaskRuns/s" if throughput else f"p99 under {TARGET_P99_MS:.0f} ms"
    lines = [
        "| worker processes | TaskRuns/s | ready to start p50 / p99 / max (ms) | execution "
        f"({TASKS} tasks) p50 / p99 / max (ms) | CPU ms per TaskRun: server / workers / "
        "PostgreSQL | PostgreSQL per TaskRun: transactions / rows written | TaskRuns per worker "
        f"| load average; other work (cores) | target: {target} |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        who = _who(r.get("workers", 0))
        if "taskruns_per_s" not in r:
            why = r.get("error") or r.get("skipped") or "not measured"
            lines.append(f"| {who} | {why} | | | | | | | |")
            continue
        per_worker = r.get("per_worker") or []
        spread = ", ".join(str(x) for x in per_worker) if r.get("workers") else "-"
        met = _rate_met(r) if throughput else _p99_met(r)
        lines.append(
            f"| {who} | {r['taskruns_per_s']:,.0f} ({r['taskruns']} in {r['wall_s']:.1f} s) | "
            f"{_lat(r.get('ready_to_start'))} | {_lat(r.get('execution_duration'))} | "
            f"{_cpu(r)} | {_db(r)} | {spread} | {_load(r)} | {_verdict(met)} |"
        )
    return lines


def _part(load: Load, rows: list[dict[str, Any]]) -> list[str]:
    """One load: what it was (its size, clients and slots), its table and its verdict."""
    what = "TaskRuns/s" if load.name == THROUGHPUT.name else "ready-to-start"
    head = f"**{load.name.capitalize()} load** (the {what} target is judged on it)"
    if not rows:
        return [f"{head}: not measured in this run.", ""]
    done = [r for r in rows if "taskruns_per_s" in r]
    lines = [f"{head}."]
    if done:
        first = done[0]
        size = "`--quick` size" if first.get("quick") else "full size"
        lines[0] = (
            f"{head}: run {first.get('stamp', '?')}, {size}: {first['executions']} executions "
            f"of {first.get('tasks_per_execution', TASKS)} tasks per worker count, "
            f"{first['in_flight']} at a time, {first['slots']} slots per worker."
        )
    sentence = scaling(rows) if load.name == THROUGHPUT.name else latency(rows)
    return [*lines, "", *_table(load, rows), "", sentence, ""]


def section(records: list[dict[str, Any]]) -> list[str]:
    """The section, or nothing when pgworkers was never measured or tried."""
    rows = records_of(records)
    if not rows:
        return []
    lines = [
        f"## {TITLE}",
        "",
        f"{ABOUT[0].upper()}{ABOUT[1:]}. CPU per TaskRun: the CPU time the server, the workers "
        "and the database's PostgreSQL backends spent over the measured window, divided by its "
        "TaskRuns (the client's own not counted); other work: the cores the rest of the machine "
        "kept busy meanwhile, on average (PostgreSQL's background processes, such as its WAL "
        "writer, included; the load average counts the bench's own processes too, this does "
        "not); PostgreSQL per TaskRun: "
        "the transactions committed in the database and the rows inserted, updated or deleted, "
        "as `pg_stat_database` counts them (a few idle polls included); load average (1 min, "
        "2 cores): at the start and at the end of each measurement. Issue 5's targets: at "
        f"least {TARGET_RATE:,.0f} TaskRuns/s in total, judged on the throughput load (its "
        f"best worker count), and ready to start p99 under {TARGET_P99_MS:.0f} ms, judged on "
        "the latency load (each worker count).",
        "",
    ]
    for load in (THROUGHPUT, LATENCY):
        lines += _part(load, [r for r in rows if load_of(r) == load.name])
    if any("taskruns_per_s" in r for r in rows):
        lines += [PROFILE[0], "", *PROFILE[1:], ""]
    return lines
