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
    "Where the time goes (measured by hand on 2026-11-30 at commits 4425b4b and 01ec082 with "
    "1 worker process: the CPU of each process, cProfile on the server and the worker, "
    "PostgreSQL's statement log, and the executor's loop timed; see "
    "[bench/README.md](../bench/README.md) for how): each TaskRun costs about 1.4 to 1.6 ms "
    "of CPU in all (server, worker and PostgreSQL in the table above, throughput load), down "
    "from 2.7 ms at 4567401 and about 9 ms at 0fb73b1. This machine's speed varies (a virtual "
    "machine): the throughput load with 1 worker gave 823 to 1,140 TaskRuns/s over eight runs "
    "in one hour at these two commits, its CPU per TaskRun varying in proportion, so read "
    "one run's figures with that spread (in paired runs, 01ec082 was faster than 4425b4b "
    "each time). The machine is "
    "not saturated (about 1.4 of its 2 cores busy): the rate is the executions in flight / "
    "the time of one step's round (the executor commits the TaskRun, a worker claims it, "
    "reads what changed of its execution, runs it and commits its result, the executor reads "
    "that from its inbox), over 100 ms at 128 in flight. With 64 in flight (the throughput "
    "load until 4425b4b) the rate was 810 to 900 TaskRuns/s; with 256, 918 with 2 workers "
    "(the server's core saturated). More worker processes share the same 2 cores: they add "
    "CPU and no speed here.",
    "- Since 4567401: the server and the workers run on uvloop and parse HTTP with httptools "
    "(server CPU per TaskRun about a quarter less); a `wait=true` request is woken only when "
    "its execution settles (it was woken at each commit of its execution and of every "
    "acknowledgement, about 20 times per execution); a worker keeps the executions it read "
    "and reads only the TaskRuns written since (worker CPU per TaskRun 0.76 to 0.43 ms; the "
    "reads were 40% of it); the store keeps a state's history without the dates derived from "
    "it; an inbox read of executions the executor owns writes nothing.",
    "- The executor's loop (timed by hand, 64 in flight): each turn reads the inbox (about 8 "
    "ms, 37 events), evaluates (6 ms) and commits them in one transaction (10 ms); it is busy "
    "about 60% of the time. The waits are the round trips through PostgreSQL and the server's "
    "event loop, which the API's 128 waiting requests share; PostgreSQL's own statements "
    "take about 1 ms of each turn, its commits (a WAL flush) about 1 ms each.",
    "- Next steps: the executor reads its next inbox while a group commits (a shorter step "
    "round, so the same rate with fewer executions in flight); the API and the executor in "
    "separate processes, and several executors, which own disjoint executions, on more cores "
    "(not measurable on this 2-core machine).",
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
