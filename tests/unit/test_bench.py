"""The benchmark harness (bench/): its workloads parse, results merge, and ``--quick`` runs
on Headway alone. Nothing here times anything: speed is measured by ``python -m bench``."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """bench's modules (bench/ is beside src/, not installed)."""
    monkeypatch.syspath_prepend(str(ROOT))
    names = [
        "workloads",
        "records",
        "report",
        "reference",
        "server",
        "loadgen",
        "pgworkers",
        "report_pgworkers",
    ]
    return {name: importlib.import_module(f"bench.{name}") for name in names}


def test_every_workload_is_a_valid_headway_flow(bench: dict[str, ModuleType]) -> None:
    w = bench["workloads"]
    registry = default_registry()
    for workload in w.WORKLOADS:
        flow = parse_flow(w.headway_flow(workload), task_types=registry)
        assert flow.id == workload.name
    names = [x.name for x in w.WORKLOADS]
    assert {"shell100", "python100"} <= set(names)


def test_script_workloads_are_script_tasks_on_the_process_runner(
    bench: dict[str, ModuleType],
) -> None:
    w = bench["workloads"]
    for name, plugin in (("shell100", "shell.Commands"), ("python100", "python.Script")):
        flow = parse_flow(w.headway_flow(w.BY_NAME[name]), task_types=default_registry())
        assert len(flow.tasks) == 100
        assert {t.type for t in flow.tasks} == {f"io.kestra.plugin.scripts.{plugin}"}
    assert w.BY_NAME["shell100"].quick and w.BY_NAME["python100"].quick


def test_the_floor_runs_the_same_processes(bench: dict[str, ModuleType]) -> None:
    reference = bench["reference"]
    for kind in ("shell", "python"):
        reference.bare(kind, 2)()  # raises if a process fails
    assert reference.bare("seq", 2) is None


def _run(stamp: str, engine: str, **figures: list[float]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [
        {"engine": "machine", "cores": 2, "date": "2026-11-30", "runs": 1, "stamp": stamp}
    ]
    for workload, times in figures.items():
        for i, seconds in enumerate(times):
            out.append(
                {
                    "engine": engine,
                    "mode": "warm",
                    "workload": workload,
                    "run": i,
                    "seconds": seconds,
                    "version": "1",
                    "stamp": stamp,
                }
            )
    return out


def test_a_partial_run_replaces_only_what_it_measured(bench: dict[str, ModuleType]) -> None:
    records, report = bench["records"], bench["report"]
    old = _run("A", "headway:default", empty=[0.010], seq40=[0.050], shell100=[1.010])
    old += _run("A", "prefect:default", empty=[1.0], seq40=[3.0], shell100=[6.0])
    new = _run("B", "headway:default", empty=[0.020], shell100=[0.520])
    merged = records.merge(old, new)
    figs = report.Figures(merged)
    # seq40 kept, net of run A's baseline; shell100 from run B, net of run B's baseline
    assert figs.per_unit_ms("headway:default", "seq40")[0] == pytest.approx(1.0)
    assert figs.per_unit_ms("headway:default", "shell100")[0] == pytest.approx(5.0)
    assert figs.per_unit_ms("prefect:default", "shell100")[0] == pytest.approx(50.0)
    text = report.render(merged, chart="c.png")
    assert "| shell100 | 5.00 (5.00-5.00) | 50.00 (50.00-50.00) |" in text
    assert "10.0x *" in text  # Prefect's shell100 (run A) over Headway's (run B)
    # Measured again in full, a run leaves nothing of the previous one.
    again = _run("C", "headway:default", empty=[0.01], seq40=[0.05], shell100=[1.0])
    again += _run("C", "prefect:default", empty=[1.0], seq40=[3.0], shell100=[6.0])
    assert {r["stamp"] for r in records.merge(merged, again)} == {"C"}


def test_server_workloads_flows_are_valid(bench: dict[str, ModuleType]) -> None:
    server = bench["server"]
    registry = default_registry()
    for source in (server.WEBHOOK_FLOW, server.SCHEDULE_FLOW, server.RECOVER_FLOW):
        parse_flow(source, task_types=registry)
    from bench.server_seed import flow_sources

    for source in flow_sources().values():
        parse_flow(source, task_types=registry)
    assert [w.name for w in server.SERVER_WORKLOADS] == list(server.MEASURE)


def test_missed_dates_and_percentiles(bench: dict[str, ModuleType]) -> None:
    server, loadgen = bench["server"], bench["loadgen"]
    # last fired at 100, restarted at 135.5: 110, 120, 130 were missed
    assert server.missed_dates(100.0, 135.5) == [110.0, 120.0, 130.0]
    assert server.missed_dates(100.0, 109.0) == []
    values = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    assert loadgen.percentile(values, 50) == 0.050
    assert loadgen.percentile(values, 99) == 0.099
    assert loadgen.summary_ms(values) == {"p50_ms": 50.0, "p99_ms": 99.0, "max_ms": 100.0}


def test_server_records_make_the_server_section(bench: dict[str, ModuleType]) -> None:
    records, report = bench["records"], bench["report"]
    old = _run("A", "headway:default", empty=[0.010], seq40=[0.050])
    hook = {"engine": "headway:default", "mode": "server", "workload": "webhook"}
    figures = {
        "rate_per_s": 200,
        "duration_s": 30,
        "requests": 6000,
        "answered": 6000,
        "failed": 0,
        "executions_created": 6000,
        "p50_ms": 4.0,
        "p99_ms": 12.5,
        "max_ms": 30.0,
        "load_before": [1.5, 1.0, 1.0],
        "load_after": [1.7, 1.0, 1.0],
    }
    first = [{**hook, **figures, "stamp": "B", "p99_ms": 40.0}]
    second = [{**hook, **figures, "stamp": "C"}]
    merged = records.merge(records.merge(old, first), second)
    assert [r["stamp"] for r in merged if r.get("mode") == "server"] == ["C"]
    text = report.render(merged, chart="c.png")
    assert "## Server (Headway alone)" in text and "### webhook" in text
    assert "| latency p50 / p99 / max (ms) | 4.0 / 12.5 / 30.0 |" in text
    assert "no request lost | met |" in text
    assert "load average (1 min, 2 cores) 1.5 at the start, 1.7 at the end" in text
    assert "| seq40 | 1.00 (1.00-1.00) |" in text  # the flow workloads stay


def test_pgworkers_is_registered_with_a_flow_of_worker_tasks(
    bench: dict[str, ModuleType],
) -> None:
    from headway.plugins.base import RunnableTask

    pgw = bench["pgworkers"]
    assert pgw.NAME == "pgworkers"
    assert {1, 2, 4} <= set(pgw.WORKER_COUNTS)
    flow = parse_flow(pgw.FLOW, task_types=default_registry())
    assert len(flow.tasks) == pgw.TASKS >= 10
    # each one a RunnableTask: run by a worker process, not by the executor
    assert all(isinstance(t, RunnableTask) for t in flow.tasks)
    # Two loads: few executions at once for the latency, more (and more slots) for the rate.
    assert [load.name for load in pgw.LOADS] == ["latency", "throughput"]
    assert pgw.THROUGHPUT.in_flight > pgw.LATENCY.in_flight
    for load in pgw.LOADS:
        # never more TaskRuns ready at once than one worker's slots: none waits for a slot
        assert 0 < load.in_flight <= load.slots
        for sizes in (pgw.FULL, pgw.QUICK):
            # every client runs one execution in the warm-up at least
            assert sizes[load.name].warmup >= load.in_flight
            assert sizes[load.name].executions >= load.in_flight
        assert pgw.QUICK[load.name].executions < pgw.FULL[load.name].executions
    # The commands it starts: one server without a worker, and the workers.
    assert pgw.SERVER_ARGS[0] == "server" and "--components" in pgw.SERVER_ARGS
    assert pgw.WORKER_ARGS == ("worker",)
    # `--only pgworkers` is a name the suite knows (an unknown one lists them all).
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "no-such-workload"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "pgworkers" in done.stderr


def _execution(start: float, task_runs: list[tuple[float, float, str]]) -> dict[str, object]:
    """An ended execution in Kestra's JSON: (CREATED, RUNNING, worker) of each TaskRun,
    seconds after ``start``."""

    def date(t: float) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(start + t, UTC).isoformat().replace("+00:00", "Z")

    end = max(r for _, r, _ in task_runs) + 0.001
    return {
        "state": {"current": "SUCCESS", "startDate": date(0), "endDate": date(end)},
        "taskRunList": [
            {
                "state": {"histories": [{"state": "CREATED", "date": date(c)}]},
                "attempts": [
                    {
                        "state": {"histories": [{"state": "RUNNING", "date": date(r)}]},
                        "workerId": worker,
                    }
                ],
            }
            for c, r, worker in task_runs
        ]
        # a flowable TaskRun: no attempt, not a worker's
        + [{"state": {"histories": [{"state": "CREATED", "date": date(0)}]}, "attempts": []}],
    }


def test_pgworkers_figures_from_the_ended_executions(bench: dict[str, ModuleType]) -> None:
    pgw = bench["pgworkers"]
    first = 1_000_000.0
    executions = [
        _execution(first, [(0.0, 0.002, "h:1:a"), (0.010, 0.014, "h:2:b")]),
        _execution(first + 0.5, [(0.0, 0.001, "h:1:a"), (0.400, 0.499, "h:1:a")]),
    ]
    got = pgw.figures(first, executions)
    assert got["executions"] == 2 and got["states"] == {"SUCCESS": 2}
    assert got["taskruns"] == 4  # the flowable TaskRuns are not counted
    assert got["wall_s"] == pytest.approx(1.0, abs=0.002)  # first request to the last end
    assert got["taskruns_per_s"] == pytest.approx(4.0, abs=0.01)
    assert got["ready_to_start"]["max_ms"] == pytest.approx(99.0, abs=0.01)
    assert got["ready_to_start"]["p50_ms"] == pytest.approx(2.0, abs=0.01)
    assert got["per_worker"] == [3, 1]


def test_pgworkers_measures_every_worker_count_under_both_loads(
    bench: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pgw = bench["pgworkers"]
    measured: list[tuple[int, str, int, int, int]] = []

    def measure_one(
        workers: int, load: Any, size: Any, admin: str, env: dict[str, str], log: Path
    ) -> dict[str, object]:
        measured.append((workers, load.name, load.in_flight, load.slots, size.executions))
        if (workers, load.name) == (2, "throughput"):
            raise RuntimeError("boom")
        return {
            "workers": workers,
            "load": load.name,
            "taskruns_per_s": 1.0,
            "ready_to_start": {},
            "load_before": [0.0, 0.0, 0.0],
        }

    monkeypatch.setattr(pgw, "admin_url", lambda: "postgresql://admin")
    monkeypatch.setattr(pgw, "missing_commands", lambda env: None)
    monkeypatch.setattr(pgw, "measure_one", measure_one)
    got: list[dict[str, object]] = []
    pgw.measure(True, {}, tmp_path / "log", lambda **r: got.append(r), lambda text: None)
    latency, throughput = pgw.LATENCY, pgw.THROUGHPUT
    assert measured == [
        (n, load.name, load.in_flight, load.slots, pgw.QUICK[load.name].executions)
        for n in pgw.WORKER_COUNTS
        for load in (latency, throughput)
    ]
    assert [(r["workers"], r["load"]) for r in got] == [(n, name) for n, name, *_ in measured]
    (failed,) = [r for r in got if "error" in r]
    assert failed["error"] == "RuntimeError: boom"
    assert (failed["load"], failed["in_flight"], failed["slots"]) == (
        "throughput",
        pgw.THROUGHPUT.in_flight,
        pgw.THROUGHPUT.slots,
    )
    # PostgreSQL not reachable: every worker count and load says so.
    got.clear()

    def unreachable() -> str:
        raise RuntimeError("PostgreSQL is not reachable")

    monkeypatch.setattr(pgw, "admin_url", unreachable)
    pgw.measure(False, {}, tmp_path / "log", lambda **r: got.append(r), lambda text: None)
    assert len(got) == 2 * len(pgw.WORKER_COUNTS)
    assert {r["load"] for r in got} == {"latency", "throughput"} and all("error" in r for r in got)


def test_pgworkers_records_make_their_section(bench: dict[str, ModuleType]) -> None:
    records, report, section = bench["records"], bench["report"], bench["report_pgworkers"]
    base = {"engine": "headway:default", "mode": "workers", "workload": "pgworkers"}

    def row(
        stamp: str, workers: int, rate: float, p99: float, load: str = "throughput"
    ) -> dict[str, object]:
        throughput = load == "throughput"
        return {
            **base,
            "stamp": stamp,
            "workers": workers,
            "load": load,
            "quick": False,
            "executions": 400,
            "in_flight": 64 if throughput else 16,
            "slots": 64 if throughput else 32,
            "tasks_per_execution": 10,
            "taskruns": 4000,
            "wall_s": 4000 / rate,
            "taskruns_per_s": rate,
            "ready_to_start": {"p50_ms": 3.0, "p99_ms": p99, "max_ms": 80.0},
            "execution_duration": {"p50_ms": 100.0, "p99_ms": 200.0, "max_ms": 300.0},
            "cpu_ms_per_taskrun": {"server": 1.0, "workers": 0.5, "postgres": 0.25},
            "db_per_taskrun": {"xact_commit": 6.0, "tup_inserted": 5.5, "tup_deleted": 3.0},
            "per_worker": [4000 // max(workers, 1)] * max(workers, 1),
            "load_before": [1.5, 1.0, 1.0],
            "load_after": [2.0, 1.0, 1.0],
            "other_cores": 0.25,
        }

    old = _run("A", "headway:default", empty=[0.010], seq40=[0.050])
    first = [row("B", n, 100.0, 90.0) for n in (0, 1, 2, 4)]
    # The throughput load: rates judged, its p99 (90 ms) not.
    second = [row("C", 0, 400.0, 90.0), row("C", 1, 500.0, 90.0), row("C", 2, 800.0, 90.0)]
    second.append({**base, "stamp": "C", "workers": 4, "load": "throughput", "error": "boom"})
    # The latency load: each p99 judged, its rates (below the target) not.
    second += [row("C", n, 200.0, p99, "latency") for n, p99 in ((0, 10.0), (1, 20.0), (2, 60.0))]
    second.append({**base, "stamp": "C", "workers": 4, "load": "latency", "error": "bang"})
    merged = records.merge(records.merge(old, first), second)
    assert {r["stamp"] for r in merged if r.get("mode") == "workers"} == {"C"}
    text = report.render(merged, chart="c.png")
    assert f"## {section.TITLE}" in text
    throughput_part, latency_part = text.split("**Throughput load**")[1].split("**Latency load**")
    assert "run C, full size: 400 executions of 10 tasks per worker count, 64 at a time, 64 " in (
        throughput_part
    )
    assert "| target: 1,000 TaskRuns/s |" in throughput_part
    assert "| 0 (all-in-one server) | 400 (4000 in 10.0 s) | 3.0 / 90.0 / 80.0 |" in throughput_part
    assert "| 2 | 800 (4000 in 5.0 s) | 3.0 / 90.0 / 80.0 | 100.0 / 200.0 / 300.0 | " in (
        throughput_part
    )
    assert "| 1.00 / 0.50 / 0.25 | 6.0 / 8.5 | 2000, 2000 | 1.5, 2.0; 0.25 | **missed** |" in (
        throughput_part
    )
    assert "| 4 | boom |" in throughput_part
    assert "With 1, 2 worker processes: 500, 800 TaskRuns/s" in throughput_part
    assert "(1.60x from 1 to 2, 2x the processes)" in throughput_part
    assert "is **missed** (best: 800 TaskRuns/s with 2 worker processes)" in throughput_part
    assert "run C, full size: 400 executions of 10 tasks per worker count, 16 at a time, 32 " in (
        latency_part
    )
    assert "| target: p99 under 50 ms |" in latency_part
    assert "| 1 | 200 (4000 in 20.0 s) | 3.0 / 20.0 / 80.0 |" in latency_part
    assert "| 2000, 2000 | 1.5, 2.0; 0.25 | **missed** |" in latency_part  # 60 ms
    assert "| 4000 | 1.5, 2.0; 0.25 | met |" in latency_part  # 20 ms, at 200 TaskRuns/s
    assert "| 4 | bang |" in latency_part
    assert "with 1, 2 worker processes: 20.0, 60.0 ms; the all-in-one server: 10.0 ms" in (
        latency_part
    )
    assert (
        "p99 under 50 ms is met with 1 and **missed** with 2 worker processes (met all in one)."
        in (latency_part)
    )
    assert "| seq40 | 1.00 (1.00-1.00) |" in text  # the flow workloads stay
    met = [row("D", 4, 1200.0, 90.0)]
    assert "is met (best: 1,200" in section.scaling(met)
    all_met = [row("D", n, 100.0, 40.0, "latency") for n in (1, 4)]
    assert "is met with 1, 4 worker processes." in section.latency(all_met)
    # Records from before the two loads (no "load": 16 at a time) are the latency load's.
    older = [{k: v for k, v in row("E", 1, 300.0, 30.0, "latency").items() if k != "load"}]
    lines = section.section(older)
    assert "**Throughput load** (the TaskRuns/s target is judged on it): not measured" in (
        "\n".join(lines)
    )
    assert "p99 under 50 ms is met with 1 worker process." in "\n".join(lines)


def test_quick_runs_on_headway_alone(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    """``--quick`` on Headway alone, with one run and a budget that leaves out what a smaller
    size predicts to be slow, so that it stays short; docs/ and bench/published.jsonl are
    left alone. The server workloads are left out (``--no-server``): their quick variants
    take minutes together (``recover`` alone stops a server for 30 s)."""
    docs = (ROOT / "docs" / "benchmarks.md").read_bytes()
    cmd = [sys.executable, "-m", "bench", "--quick", "--only", "headway", "--runs", "1"]
    cmd += ["--budget", "0.5", "--no-write", "--no-server", "--results", str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr[-2000:]
    (raw,) = tmp_path.glob("*.jsonl")
    lines = [json.loads(line) for line in raw.read_text().splitlines()]
    assert not [r for r in lines if "error" in r]
    assert not [r for r in lines if r.get("mode") == "server"]
    measured = {(r["engine"], r["workload"]) for r in lines if "seconds" in r}
    for name in ("empty", "seq40", "fanout100", "long10", "shell100", "python100"):
        assert ("headway:default", name) in measured  # no smaller size to skip them by
    skipped = {r["workload"] for r in lines if "skipped" in r}
    quick = {w.name for w in bench["workloads"].WORKLOADS if w.quick}
    assert {name for engine, name in measured} | skipped == quick
    floors = [r for r in lines if "floor_seconds" in r]
    assert {r["workload"] for r in floors} == {"shell100", "python100"}
    assert "| shell100 |" in done.stdout and "## Script tasks against the" in done.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_bytes() == docs
