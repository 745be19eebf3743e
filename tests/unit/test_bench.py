"""The benchmark harness (bench/): its workloads parse, results merge, and ``--quick`` runs
on Headway alone. Nothing here times anything: speed is measured by ``python -m bench``."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """bench's modules (bench/ is beside src/, not installed)."""
    monkeypatch.syspath_prepend(str(ROOT))
    names = ["workloads", "records", "report", "reference", "server", "loadgen"]
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
