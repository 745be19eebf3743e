"""The benchmark suite: Headway and its peers on the same workloads, and the machine's floor.

    python -m bench [--quick] [--only NAME ...] [--runs N] [--budget SECONDS] [--no-write]

NAME is a workload (seq40, fanout1000, shell100 ...), a server workload of Headway alone
(webhook, schedule, recover, list100k: see bench/server.py; pgworkers, on PostgreSQL with
separate worker processes: see bench/pgworkers.py), an engine (headway, prefect, dagster,
airflow) or ``machine``. Raw results go to ``bench/results/<time>.jsonl`` (one line
per run: engine, version, workload, mode, run, figures); merged into
``bench/published.jsonl`` (unless ``--fresh``), they make the summary ``docs/benchmarks.md``
and the chart ``docs/benchmarks-overhead.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import headway_side, machine, pgworkers, records, server
from bench.procs import Failed, run_measured
from bench.workloads import BY_NAME, END_TO_END, WORKLOADS, Workload

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VENVS = BENCH / ".venvs"
RESULTS = BENCH / "results"
PUBLISHED = BENCH / "published.jsonl"  # the records docs/benchmarks.md is written from
DOCS = ROOT / "docs"


@dataclass(frozen=True)
class Peer:
    name: str  # the venv and the package under bench/peers/
    requirements: tuple[tuple[str, ...], ...]  # pip install steps, in order
    modes: tuple[str, ...] = ("default",)


PEERS = [
    # prefect 3.9.1 needs a certifi newer than the index offers; prefect 3.8.8's API server
    # fails to start with the fastapi it resolves (0.165: Body(min_items=...)), so fastapi
    # is pinned to the last version we verified it runs with.
    Peer("prefect", (("prefect==3.8.8",), ("fastapi==0.119.1",))),
    Peer("dagster", (("dagster==1.13.29",),), modes=("durable", "memory")),
    Peer("airflow", (("apache-airflow==3.3.2",),)),
]
PLOT = Peer("plot", (("matplotlib==3.10.*",),))
ENGINES = ["headway"] + [p.name for p in PEERS]


@dataclass
class Run:
    quick: bool
    runs: int
    budget: float
    out: Path
    log: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    # Environment of Headway's side (which src/ it imports: see headway_source)
    headway_env: dict[str, str] = field(default_factory=dict)

    def record(self, **fields: Any) -> None:
        fields["stamp"] = self.out.stem
        self.records.append(fields)
        with self.out.open("a") as f:
            f.write(json.dumps(fields) + "\n")

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def ensure_venv(peer: Peer, run: Run) -> Path:
    """The peer's python, its venv created and its pinned packages installed on first use.
    Raises Failed with the reason when it cannot be installed."""
    venv = VENVS / peer.name
    python = venv / "bin" / "python"
    marker = venv / ".bench-installed"
    wanted = json.dumps(peer.requirements)
    if marker.exists() and marker.read_text() == wanted:
        return python
    run.say(f"installing {peer.name} into {venv.relative_to(ROOT)} (first use, minutes)")
    if not python.exists():
        base = shutil.which("python3.11") or sys.executable
        step = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
        if step.returncode:
            raise Failed(f"venv: {step.stderr.strip()[-300:]}")
    for reqs in peer.requirements:
        cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *reqs]
        try:
            step = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
        except subprocess.TimeoutExpired as exc:
            raise Failed(f"pip install {' '.join(reqs)}: timed out") from exc
        if step.returncode:
            errors = [line for line in step.stderr.splitlines() if line.startswith("ERROR")]
            raise Failed(f"pip install {' '.join(reqs)}: {' '.join(errors)[-400:]}")
    marker.write_text(wanted)
    return python


def _estimate_skip(run: Run, engine: str, w: Workload) -> str | None:
    """A reason to skip w when a smaller size of its kind predicts a run over the budget."""
    best = None
    for r in run.records:
        if r.get("engine") != engine or r.get("mode") != "warm" or "seconds" not in r:
            continue
        other = BY_NAME[r["workload"]]
        # same kind, or a loop estimated from sequential tasks (one task per item)
        similar = other.kind == w.kind or (other.kind == "seq" and w.kind == "scale")
        if similar and other.n < w.n:
            est = r["seconds"] * w.n / other.n  # linear: optimistic
            best = est if best is None else min(best, est)
    if best is not None and best > run.budget:
        return (
            f"not run: estimated >= {best:.0f} s per run (linear from a smaller size), "
            f"over the {run.budget:.0f} s budget"
        )
    return None


def measure_warm(
    run: Run, engine: str, mode: str, cmd: list[str], env: dict[str, str], workloads: list[Workload]
) -> None:
    """Each workload in a process of its own (cmd + name), warm runs inside it."""
    for w in workloads:
        reason = _estimate_skip(run, f"{engine}:{mode}", w)
        if reason:
            run.record(engine=f"{engine}:{mode}", workload=w.name, mode="warm", skipped=reason)
            run.say(f"{engine}:{mode} {w.name}: {reason}")
            continue
        args = [*cmd, w.name, "--runs", str(run.runs), "--budget", str(run.budget)]
        timeout = run.budget * 2 + 120
        run.say(f"{engine}:{mode} {w.name} warm ...")
        try:
            with run.log.open("a") as log:
                log.write(f"\n=== {engine}:{mode} {w.name}\n")
                log.flush()
                proc = subprocess.run(
                    args,
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    timeout=timeout,
                )
        except subprocess.TimeoutExpired:
            run.record(
                engine=f"{engine}:{mode}",
                workload=w.name,
                mode="warm",
                error=f"timed out after {timeout:.0f} s",
            )
            continue
        lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
        if not lines or "error" in lines[-1] or proc.returncode:
            why = (
                lines[-1].get("error") if lines else f"exit {proc.returncode} (see {run.log.name})"
            )
            run.record(engine=f"{engine}:{mode}", workload=w.name, mode="warm", error=why)
            run.say(f"  failed: {why}")
            continue
        floors = lines[-1].get("floor_times", [])
        for i, seconds in enumerate(lines[-1]["times"]):
            # a script workload's floor: its bare processes, timed right after this run
            floor = {"floor_seconds": floors[i]} if i < len(floors) else {}
            run.record(
                engine=f"{engine}:{mode}",
                version=lines[-1]["version"],
                workload=w.name,
                mode="warm",
                run=i,
                seconds=seconds,
                **floor,
            )
        run.say(f"  median {statistics.median(lines[-1]['times']):.3f} s")


def measure_e2e(
    run: Run,
    engine: str,
    mode: str,
    version: str,
    make_cmd: Any,
    env: dict[str, str],
    names: list[str],
) -> None:
    """A fresh process per run: import, start, run the workload once, exit."""
    count = min(run.runs, 3) if run.quick else run.runs
    for name in names:
        warm = [r for r in run.records if r.get("engine") == f"{engine}:{mode}"]
        skipped = [r for r in warm if r.get("workload") == name and "skipped" in r]
        if skipped:
            run.record(
                engine=f"{engine}:{mode}", workload=name, mode="e2e", skipped=skipped[0]["skipped"]
            )
            continue
        run.say(f"{engine}:{mode} {name} end to end ...")
        for i in range(count):
            try:
                seconds, rss = run_measured(make_cmd(name), env=env, timeout=run.budget * 2 + 120)
            except Failed as exc:
                run.record(engine=f"{engine}:{mode}", workload=name, mode="e2e", error=str(exc))
                break
            run.record(
                engine=f"{engine}:{mode}",
                version=version,
                workload=name,
                mode="e2e",
                run=i,
                seconds=seconds,
                peak_rss_mib=round(rss, 1),
            )


def _end_to_end(workloads: list[Workload]) -> list[str]:
    """The workloads measured end to end too: none when only the baseline would be."""
    names = [w.name for w in workloads if w.name in END_TO_END]
    return names if [n for n in names if n != "empty"] else []


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextlib.contextmanager
def headway_source(commit: str | None) -> Iterator[tuple[dict[str, str], str]]:
    """Which Headway is measured: the work tree's src/, or ``commit``'s src/ extracted to a
    temporary directory put first on PYTHONPATH (a long run on a work tree that others edit
    would measure whatever it holds at each moment). Yields (environment, description)."""
    try:
        if commit is None:
            dirty = _git("status", "--porcelain", "--", "src")
            head = _git("rev-parse", "--short", "HEAD")
            yield {}, f"work tree at {head}" + (" with uncommitted changes" if dirty else "")
            return
        sha = _git("rev-parse", "--short", f"{commit}^{{commit}}")
    except (OSError, subprocess.CalledProcessError):
        if commit is not None:
            raise
        yield {}, "work tree"
        return
    with tempfile.TemporaryDirectory(prefix="headway-src-") as tmp:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha, "src"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        path = os.pathsep.join(
            p for p in (str(Path(tmp) / "src"), os.environ.get("PYTHONPATH")) if p
        )
        yield {"PYTHONPATH": path}, f"commit {sha}"


def run_headway(run: Run, workloads: list[Workload]) -> None:
    env = {**os.environ, **run.headway_env}
    cmd = [sys.executable, "-m", "bench.headway_side"]
    measure_warm(run, "headway", "default", cmd, env, workloads)
    names = _end_to_end(workloads)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **run.headway_env, "HEADWAY_HOME": tmp}
        for name in names:
            (Path(tmp) / f"{name}.yaml").write_text(headway_side.headway_flow(BY_NAME[name]))

        def make_cmd(name: str) -> list[str]:
            return [sys.executable, "-m", "headway", "run", str(Path(tmp) / f"{name}.yaml")]

        measure_e2e(run, "headway", "default", headway_side.version(), make_cmd, env, names)


def run_server(run: Run, names: list[str]) -> None:
    """Each server workload against a ``headway server`` process of its own; one record
    each: its figures, or the error."""
    env = {**os.environ, **run.headway_env}
    for name in names:
        run.say(f"headway server {name}{' (quick)' if run.quick else ''} ...")
        fields: dict[str, Any] = {"engine": "headway:default", "mode": "server", "workload": name}
        before = server.load()
        try:
            figures = server.MEASURE[name](run.quick, env, run.log)
        # Whatever fails (the server, httpx, Playwright, an assertion of the workload) is
        # reported as that workload's result, and the others still run.
        except Exception as exc:  # noqa: BLE001
            run.record(**fields, error=f"{type(exc).__name__}: {exc}"[:500], load_before=before)
            run.say(f"  failed: {exc}")
            continue
        run.record(
            **fields,
            version=headway_side.version(),
            quick=run.quick,
            load_before=before,
            load_after=server.load(),
            **figures,
        )
        run.say(f"  {json.dumps(figures)[:400]}")


def peer_env(peer: Peer, home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AIRFLOW", "DAGSTER_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.pop("VIRTUAL_ENV", None)
    if peer.name == "prefect":
        env.update(
            PREFECT_HOME=str(home),
            PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",
            PREFECT_LOGGING_LEVEL="WARNING",
        )
    elif peer.name == "airflow":
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        )
    elif peer.name == "dagster":
        env["DAGSTER_HOME"] = str(home)
    return env


def run_peer(run: Run, peer: Peer, workloads: list[Workload]) -> None:
    try:
        python = ensure_venv(peer, run)
    except Failed as exc:
        run.record(engine=peer.name, status="not installed", reason=str(exc))
        run.say(f"{peer.name}: not installed: {exc}")
        return
    module = f"bench.peers.{peer.name}.run"
    with tempfile.TemporaryDirectory() as tmp:
        env = peer_env(peer, Path(tmp))
        prep = subprocess.run(
            [str(python), "-m", module, "--prepare"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if prep.returncode:
            run.record(
                engine=peer.name, status="failed", reason=f"prepare: {prep.stderr.strip()[-300:]}"
            )
            return
        for mode in peer.modes:
            base = [str(python), "-m", module, "--mode", mode]
            measure_warm(run, peer.name, mode, base, env, workloads)
            names = _end_to_end(workloads)
            version = next(
                (
                    r["version"]
                    for r in run.records
                    if r.get("engine") == f"{peer.name}:{mode}" and "version" in r
                ),
                "?",
            )

            def make_cmd(name: str, base: list[str] = base) -> list[str]:
                return [*base, name, "--runs", "1", "--no-warmup"]

            measure_e2e(run, peer.name, mode, version, make_cmd, env, names)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 runs, smaller budget, no scale100k")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, 3 with --quick)")
    parser.add_argument(
        "--budget", type=float, help="seconds per workload (default 120, 20 with --quick)"
    )
    parser.add_argument("--no-write", action="store_true", help="leave docs/ alone")
    parser.add_argument(
        "--no-server",
        action="store_true",
        help="leave out the server workloads (webhook, schedule, recover, list100k, pgworkers)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, metavar="DIR", help="where raw results go"
    )
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="measure Headway as committed at REV (its src/ extracted), not the work tree",
    )
    parser.add_argument(
        "--report", type=Path, metavar="JSONL", help="measure nothing: write docs/ from raw results"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help=f"docs/ from this run alone, not merged into {PUBLISHED.relative_to(ROOT)}",
    )
    args = parser.parse_args()
    if args.report:
        report_run = Run(False, 0, 0.0, args.report, args.report)
        write_docs(records.load(args.report), report_run, args.no_write, args.fresh)
        return
    known = [*BY_NAME, *server.SERVER_BY_NAME, pgworkers.NAME, *ENGINES, "machine"]
    unknown = [n for n in args.only if n not in known]
    if unknown:
        parser.error(f"unknown --only {', '.join(unknown)}; one of {', '.join(known)}")
    only_w = [n for n in args.only if n in BY_NAME]
    only_s = [n for n in args.only if n in server.SERVER_BY_NAME]
    only_p = pgworkers.NAME in args.only
    only_e = [n for n in args.only if n in ENGINES]
    named = only_w or only_s or only_p  # workloads named: only those run
    workloads = [
        w for w in WORKLOADS if (w.name in only_w or (not named and (w.quick or not args.quick)))
    ]
    if workloads and workloads[0].name != "empty":
        workloads.insert(0, BY_NAME["empty"])  # the baseline every figure subtracts
    servers = [
        w.name
        for w in server.SERVER_WORKLOADS
        if w.name in only_s or not (named or args.no_server or args.only == ["machine"])
    ]
    # pgworkers (PostgreSQL, separate worker processes) is a server workload too
    with_pgworkers = only_p or not (named or args.no_server or args.only == ["machine"])
    if (only_s or only_p) and not only_w and not only_e:
        only_e = ["headway"]  # the server workloads are Headway's alone
    engines = only_e or ([] if args.only == ["machine"] else ENGINES)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run = Run(
        quick=args.quick,
        runs=args.runs or (3 if args.quick else 5),
        budget=args.budget or (20.0 if args.quick else 120.0),
        out=args.results / f"{stamp}.jsonl",
        log=args.results / f"{stamp}.log",
    )
    with headway_source(args.commit) as (env, source):
        run.headway_env = env
        measure(run, args, workloads, servers, engines, only_e, source, with_pgworkers)
    write_docs(run.records, run, args.no_write, args.fresh)


def measure(
    run: Run,
    args: argparse.Namespace,
    workloads: list[Workload],
    servers: list[str],
    engines: list[str],
    only_e: list[str],
    source: str,
    with_pgworkers: bool = False,
) -> None:
    started = time.perf_counter()
    run.record(
        engine="machine",
        **machine.describe(),
        date=f"{datetime.now(UTC):%Y-%m-%d}",
        quick=args.quick,
        only=args.only,
        runs=run.runs,
        budget=run.budget,
        headway=source,
    )
    if not only_e or "machine" in args.only or (servers and not workloads):
        run.say("machine floor ...")
        run.record(engine="machine", mode="floor", **machine.floors(args.quick))
    if "headway" in engines:
        if workloads:
            run_headway(run, workloads)
        run_server(run, servers)
        if with_pgworkers:
            env = {**os.environ, **run.headway_env}
            pgworkers.measure(run.quick, env, run.log, run.record, run.say)
    for peer in PEERS:
        if peer.name in engines:
            run_peer(run, peer, workloads)
    run.say(f"done in {time.perf_counter() - started:.0f} s; raw results {run.out}")


def write_docs(new: list[dict[str, Any]], run: Run, no_write: bool, fresh: bool) -> None:
    """docs/benchmarks.md and the chart from ``new`` merged into the published records (or
    from ``new`` alone when ``fresh``); the merged set becomes the published one."""
    from bench import report

    published = (
        new if fresh or not PUBLISHED.exists() else records.merge(records.load(PUBLISHED), new)
    )
    text = report.render(published, chart="benchmarks-overhead.png")
    print(text)
    if not no_write:
        records.save(PUBLISHED, published)
        (DOCS / "benchmarks.md").write_text(text)
        try:
            python = ensure_venv(PLOT, run)
            report.chart(published, python, DOCS / "benchmarks-overhead.png")
        except (Failed, subprocess.SubprocessError) as exc:
            run.say(f"no chart: {exc}")
