"""The "Server" section of docs/benchmarks.md, from the records of the server workloads
(``mode: server``, written by ``bench/server.py``)."""

from __future__ import annotations

from typing import Any

from bench.server import SERVER_BY_NAME, SERVER_WORKLOADS

# What each workload is held to (issue 4: webhook and schedule; issue 7: list100k).
TARGETS = {
    "webhook": "p99 under 20 ms at 200 requests/s for 30 s, no request lost",
    "schedule": "every execution created within 100 ms of its second, over a minute",
    "recover": "after 5 minutes down: ALL = every missed date, LAST = 1, NONE = 0",
    "list100k": "with 100,000 executions, the executions list and an execution page of 500 "
    "TaskRuns each render in under 1 s",
}


def _ms(figures: dict[str, Any], key: str = "") -> str:
    f = figures.get(key, {}) if key else figures
    if not f or "p50_ms" not in f:
        return "-"
    return f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load(r: dict[str, Any]) -> str:
    before, after = r.get("load_before") or [], r.get("load_after") or []
    if not before:
        return "?"
    return f"{before[0]:.1f} at the start, {after[0]:.1f} at the end" if after else f"{before[0]}"


def _run_of(r: dict[str, Any]) -> str:
    size = "`--quick` size" if r.get("quick") else "full size"
    return f"{r.get('stamp', '?')}, {size}; load average (1 min, 2 cores) {_load(r)}"


def _webhook(r: dict[str, Any]) -> list[str]:
    ok = (
        r.get("p99_ms", 1e9) < 20
        and r.get("failed") == 0
        and r.get("executions_created") == r.get("requests")
    )
    return [
        f"| rate, duration | {r['rate_per_s']}/s for {r['duration_s']} s |",
        f"| requests sent / answered / failed | {r['requests']} / {r['answered']} / "
        f"{r['failed']} |",
        f"| executions created (counted through the API) | {r['executions_created']} "
        f"({r.get('executions_succeeded', '?')} SUCCESS, the last {r.get('drain_s', '?')} s "
        "after the last answer) |",
        f"| latency p50 / p99 / max (ms) | {_ms(r)} |",
        f"| the generator's own lateness p50 / p99 / max (ms) | {_ms(r, 'send_lag')} |",
        f"| server CPU per request (ms, execution run included) | "
        f"{r.get('server_cpu_ms_per_request', '-')} |",
        f"| target: {TARGETS['webhook']} | {_verdict(ok)} |",
    ]


def _schedule(r: dict[str, Any]) -> list[str]:
    ok = r.get("max_ms", 1e9) < 100 and not r.get("missing") and not r.get("doubled")
    return [
        f"| window | {r['duration_s']} s |",
        f"| executions expected / created / missing / doubled | {r['expected']} / {r['fired']} "
        f"/ {r['missing']} / {r['doubled']} |",
        f"| delay p50 / p99 / max (ms) | {_ms(r)} |",
        *(
            [
                "| created 100 ms late or more (second of the window: delay ms) | "
                + ", ".join(f"{at}: {ms}" for at, ms in r["late"])
                + " |"
            ]
            if r.get("late")
            else []
        ),
        f"| target: {TARGETS['schedule']} | {_verdict(ok)} |",
    ]


def _recover(r: dict[str, Any]) -> list[str]:
    lines = [
        f"| downtime (SIGTERM to restart) | {r['downtime_s']} s (exit on SIGTERM took "
        f"{r.get('sigterm_exit_s', '?')} s) |",
    ]
    ok = True
    for mode in ("all", "last", "none"):
        m = r[mode]
        good = m["seen"] == m["expected"] and m.get("dates_ok", True)
        ok = ok and good
        lines.append(
            f"| `{mode.upper()}`: dates missed / executions expected / seen | "
            f"{m['missed_dates']} / {m['expected']} / {m['seen']}"
            + ("" if m.get("dates_ok", True) else " (not the missed dates)")
            + " |"
        )
    downtime = r.get("downtime_s", 0) >= 300
    note = "" if downtime else " (a shorter downtime than the target's 5 minutes)"
    lines.append(f"| target: {TARGETS['recover']} | {_verdict(ok)}{note} |")
    return lines


def _list100k(r: dict[str, Any]) -> list[str]:
    lines = [
        f"| executions in the store | {r['executions']:,} (written in {r['seed_s']} s, "
        f"database {r['db_mib']} MiB) |",
    ]
    api = [
        ("search_first_page", "`GET /executions/search`, first page (25, newest first)"),
        ("search_namespace", "... `?namespace=company.data` (a prefix: 5 namespaces)"),
        ("search_state", "... `?state=FAILED`"),
        ("search_label", "... `?labels=team:infra`"),
        ("search_page_100", "... `?page=100`"),
        ("get_500_taskruns", "`GET /executions/{id}`, 500 TaskRuns"),
    ]
    for key, what in api:
        f = r.get(key)
        if f:
            lines.append(
                f"| {what}: p50 / p99 / max (ms) over {f['n']} | {_ms(f)} "
                f"({f['found']:,} found, {f['bytes'] / 1024:.0f} KiB) |"
            )
    ui_ok = True
    for key, what in (
        ("ui_executions_list", "UI: `/executions`, until the table's first row is shown"),
        ("ui_execution_500", "UI: the execution of 500 TaskRuns, until its 500 Gantt bars"),
    ):
        f = r.get(key)
        if f:
            ui_ok = ui_ok and f["median_ms"] < 1000
            lines.append(
                f"| {what}: median (max) of {f['n']} (ms) | {f['median_ms']:.0f} "
                f"({f['max_ms']:.0f}) |"
            )
    if "ui" in r:
        ui_ok = False
        lines.append(f"| UI | {r['ui']} |")
    full = r.get("executions", 0) >= 100_000
    note = "" if full else " (fewer executions than the target's 100,000)"
    lines.append(f"| target: {TARGETS['list100k']} | {_verdict(ui_ok)}{note} |")
    return lines


TABLES = {"webhook": _webhook, "schedule": _schedule, "recover": _recover, "list100k": _list100k}


def section(records: list[dict[str, Any]]) -> list[str]:
    """The Server section, or nothing when no server workload was measured or tried."""
    server = {r["workload"]: r for r in records if r.get("mode") == "server"}
    if not server:
        return []
    lines = [
        "",
        "## Server (Headway alone)",
        "",
        "A real `headway server` process (API, executor, worker and scheduler in one "
        "process, SQLite in a temporary HEADWAY_HOME, a free port), measured from outside over "
        "HTTP on the same machine (the client shares its 2 cores with the server, and the "
        "machine with other work: each table gives the load average), stopped with SIGTERM "
        "([bench/server.py](../bench/server.py)). Headway alone: the peers' equivalents (their "
        "own API servers, schedulers and UIs, run as their users deploy them) are not the same "
        "thing measured, so there is no ratio here. Each table is one run of its workload: "
        "its percentiles are over that run's requests (or executions), not medians of runs, "
        "so read them with the load beside them.",
        "",
    ]
    for w in SERVER_WORKLOADS:
        r = server.get(w.name)
        if r is None:
            continue
        lines += [
            f"### {w.name}",
            "",
            f"{SERVER_BY_NAME[w.name].about[0].upper()}{SERVER_BY_NAME[w.name].about[1:]}.",
            "",
        ]
        if "error" in r or "skipped" in r:
            lines += [f"Not measured: {r.get('error') or r.get('skipped')}.", ""]
            continue
        lines += [f"Run {_run_of(r)}.", "", "| figure | value |", "|---|---|"]
        lines += TABLES[w.name](r)
        lines.append("")
    return lines
