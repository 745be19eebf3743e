"""The server workloads: a real ``headway server`` process (API, executor, worker and
scheduler in one process, SQLite) on a temporary HEADWAY_HOME and a free port, measured from
outside over HTTP, then stopped with SIGTERM. Headway alone: the peers' equivalents (their
own API servers, schedulers and UIs) differ too much to compare.

- ``webhook``: an open-loop fixed rate of webhook requests (200/s for 30 s; --quick 50/s for
  5 s), latency from the planned send to the answer (the execution is created by then);
- ``schedule``: a 6-field cron firing every second for 60 s (--quick 10 s): delay from each
  execution's scheduled date to its creation;
- ``recover``: three schedules every 10 s (recoverMissedSchedules ALL, LAST, NONE), the
  server stopped for 5 minutes (--quick 30 s): executions created for the downtime;
- ``list100k``: 100,000 ended executions in the store (--quick 10,000): executions search
  and an execution with 500 TaskRuns through the API, and the UI's pages in Chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import open_loop, percentile, summary_ms

NAMESPACE = "bench.server"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ServerWorkload:
    name: str
    about: str  # what it measures, for the page


SERVER_WORKLOADS = [
    ServerWorkload(
        "webhook",
        "webhook requests (POST, a small JSON body) at a fixed rate, open loop (each sent at "
        "its planned moment, answered or not: latency counts from that moment, so queueing "
        "shows); the answer is the created execution (the trigger has no `wait`); the flow "
        "(one Return task) runs in the same server meanwhile",
    ),
    ServerWorkload(
        "schedule",
        "a Schedule with `cron: '* * * * * *'`, `withSeconds: true`; delay = the execution's "
        "first state date (its creation) - its `scheduleDate`, for each second of the window",
    ),
    ServerWorkload(
        "recover",
        "three Schedules every 10 s (`*/10` seconds) with `recoverMissedSchedules` ALL, LAST, "
        "NONE; each fired once, the server stopped with SIGTERM, restarted after the downtime; "
        "executions counted whose `scheduleDate` falls in the downtime",
    ),
    ServerWorkload(
        "list100k",
        "ended executions written into the SQLite store through `Store.commit` (12 "
        "namespaces, 5 flows each, 85% SUCCESS, 8% FAILED, 5% WARNING, 2% KILLED, 2-3 labels, "
        "start dates over 30 days, 1-4 TaskRuns each) and one execution of 500 TaskRuns; API "
        "latency over sequential requests on one keep-alive connection (after 2 not counted); "
        "the UI: from navigation to the executions table (or the 500 Gantt bars) shown in "
        "headless Chromium, a fresh page each time",
    ),
]
SERVER_BY_NAME = {w.name: w for w in SERVER_WORKLOADS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class HeadwayServer:
    """``python -m headway server --port P --flows DIR`` on HEADWAY_HOME=home."""

    def __init__(self, home: Path, flows: Path, env: dict[str, str], log: Path) -> None:
        self.home, self.flows, self.log = home, flows, log
        self.env = {k: v for k, v in env.items() if not k.startswith("HEADWAY_")}
        self.env["HEADWAY_HOME"] = str(home)
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 90) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "headway", "server", "--port", str(port)]
        cmd += ["--flows", str(self.flows)]
        with self.log.open("a") as log:
            log.write(f"\n=== headway server on {self.url}\n")
            log.flush()
            self.process = subprocess.Popen(
                cmd, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"headway server exited {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"headway server not healthy after {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        """SIGTERM, and the seconds it took to exit (killed after 30 s)."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        started = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.perf_counter() - started

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{self.url}/api/v1{path}", timeout=60, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def executions(self, flow_id: str) -> list[dict[str, Any]]:
        """Every execution of the flow (oldest first)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"namespace": NAMESPACE, "flowId": flow_id, "size": 1000, "page": page}
            found = self.api("GET", "/executions/search", params=params)
            out += found["results"]
            if len(out) >= found["total"] or not found["results"]:
                return sorted(out, key=lambda e: e["state"]["startDate"])
            page += 1

    def count(self, flow_id: str, state: str | None = None) -> int:
        params: dict[str, Any] = {"namespace": NAMESPACE, "flowId": flow_id, "size": 1}
        if state:
            params["state"] = state
        total: int = self.api("GET", "/executions/search", params=params)["total"]
        return total


@contextlib.contextmanager
def server_with(flows: dict[str, str], env: dict[str, str], log: Path) -> Iterator[HeadwayServer]:
    """A started server with these flows (file name -> YAML), stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="headway-bench-") as tmp:
        flows_dir = Path(tmp) / "flows"
        flows_dir.mkdir()
        for name, source in flows.items():
            (flows_dir / name).write_text(source)
        server = HeadwayServer(Path(tmp) / "home", flows_dir, env, log)
        try:
            yield server
        finally:
            server.stop()


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


# --- webhook -----------------------------------------------------------------------------
WEBHOOK_FLOW = f"""\
id: hook
namespace: {NAMESPACE}
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "request {{{{ trigger.body.i }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: bench-key
"""


def webhook(quick: bool, env: dict[str, str], log: Path) -> dict[str, Any]:
    rate, seconds = (50, 5) if quick else (200, 30)
    with server_with({"hook.yaml": WEBHOOK_FLOW}, env, log) as server:
        server.start()
        url = f"{server.url}/api/v1/executions/webhook/{NAMESPACE}/hook/bench-key"
        cpu = server.cpu_seconds()
        out = asyncio.run(open_loop(url, rate, seconds, lambda i: {"i": i}))
        cpu = server.cpu_seconds() - cpu
        ended = time.perf_counter()
        created = server.count("hook")  # each answered request created its execution
        _wait_until(lambda: server.count("hook", "SUCCESS") >= created, 120, step=0.5)
        drain = time.perf_counter() - ended
        created -= out.warmup
        succeeded = server.count("hook", "SUCCESS") - out.warmup
    return {
        "rate_per_s": rate,
        "duration_s": seconds,
        "requests": out.sent,
        "answered": len(out.latencies),
        "failed": len(out.failed),
        "failures": out.failed[:3],
        "executions_created": created,
        "executions_succeeded": succeeded,
        "drain_s": round(drain, 2),
        "server_cpu_ms_per_request": round(cpu / max(out.sent, 1) * 1000, 2),
        "connections": out.connections,
        "send_lag": summary_ms(out.send_lag),
        **summary_ms(out.latencies),
    }


# --- schedule ----------------------------------------------------------------------------
SCHEDULE_FLOW = f"""\
id: every-second
namespace: {NAMESPACE}
tasks:
  - id: date
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.date }}}}"
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""


def fire_delays(executions: list[dict[str, Any]]) -> list[tuple[datetime, float]]:
    """(scheduled date, seconds from it to the execution's creation) of each execution."""
    out = []
    for e in executions:
        when = e.get("scheduleDate") or ((e.get("trigger") or {}).get("variables") or {}).get(
            "date"
        )
        if not when:
            continue
        created = _date(e["state"]["histories"][0]["date"])
        out.append((_date(when), (created - _date(when)).total_seconds()))
    return out


def schedule(quick: bool, env: dict[str, str], log: Path) -> dict[str, Any]:
    seconds = 10 if quick else 60
    with server_with({"every-second.yaml": SCHEDULE_FLOW}, env, log) as server:
        server.start()
        if not _wait_until(lambda: server.count("every-second") > 0, 15):
            raise RuntimeError("the schedule did not fire within 15 s of the start")
        first = min(d for d, _ in fire_delays(server.executions("every-second")))
        time.sleep(seconds + 2)
        delays = fire_delays(server.executions("every-second"))
    window = [(d, s) for d, s in delays if 0 <= (d - first).total_seconds() < seconds]
    dates = {d for d, _ in window}
    return {
        "duration_s": seconds,
        "expected": seconds,
        "fired": len(window),
        "missing": seconds - len(dates),
        "doubled": len(window) - len(dates),
        **summary_ms([s for _, s in window]),
        "min_ms": round(min((s for _, s in window), default=0) * 1000, 2),
        # (seconds into the window, delay in ms) of each execution created 100 ms late or more
        "late": [
            [round((d - first).total_seconds()), round(s * 1000)] for d, s in window if s >= 0.1
        ],
    }


# --- recover -----------------------------------------------------------------------------
MODES = ("ALL", "LAST", "NONE")
RECOVER_FLOW = f"""\
id: recover
namespace: {NAMESPACE}
tasks:
  - id: date
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.date }}}}"
triggers:
""" + "".join(
    f"""\
  - id: {mode.lower()}
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/10 * * * * *"
    withSeconds: true
    recoverMissedSchedules: {mode}
"""
    for mode in MODES
)
PERIOD = 10


def _at_phase(low: float, high: float) -> None:
    """Sleep until the wall clock's seconds modulo PERIOD are in [low, high): far from a
    date of the schedules, so that stopping or starting never races one."""
    while not low <= time.time() % PERIOD < high:
        time.sleep(0.05)


def missed_dates(last: float, restart: float) -> list[float]:
    """The schedule's dates (epoch seconds, multiples of PERIOD) after ``last`` and before
    ``restart``."""
    first = (int(last) // PERIOD + 1) * PERIOD
    return [float(t) for t in range(first, int(restart) + 1, PERIOD) if last < t < restart]


def _by_trigger(server: HeadwayServer) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {m.lower(): [] for m in MODES}
    for e in server.executions("recover"):
        trigger = (e.get("trigger") or {}).get("id")
        when = e.get("scheduleDate")
        if trigger in out and when:
            out[trigger].append(_date(when).timestamp())
    return out


def recover(quick: bool, env: dict[str, str], log: Path) -> dict[str, Any]:
    downtime = 30 if quick else 300
    with server_with({"recover.yaml": RECOVER_FLOW}, env, log) as server:
        server.start()
        fired_once = _wait_until(lambda: all(_by_trigger(server).values()), 2 * PERIOD + 5)
        if not fired_once:
            raise RuntimeError(f"not every trigger fired within {2 * PERIOD + 5} s")
        _at_phase(3, 6)
        before = _by_trigger(server)
        stopped = time.time()
        stop_s = server.stop()
        time.sleep(downtime)
        _at_phase(1, 3)
        restarted = time.time()
        server.start()
        # Checked once each trigger fired a date after the restart: the scheduler has been
        # through the missed dates by then.
        ticked = _wait_until(
            lambda: all(max(v, default=0) > restarted for v in _by_trigger(server).values()),
            3 * PERIOD,
        )
        after = _by_trigger(server)
        up = time.time()
    expected_all = {}
    result: dict[str, Any] = {
        "downtime_s": round(restarted - stopped, 1),
        "sigterm_exit_s": round(stop_s, 2),
        "restart_to_checked_s": round(up - restarted, 1),
        "fired_after_restart": ticked,
    }
    for mode in MODES:
        key = mode.lower()
        last = max(before[key])
        missed = missed_dates(last, restarted)
        expected_all[key] = missed
        seen = sorted(t for t in after[key] if last < t < restarted)
        want = {"ALL": len(missed), "LAST": min(1, len(missed)), "NONE": 0}[mode]
        result[key] = {
            "missed_dates": len(missed),
            "expected": want,
            "seen": len(seen),
            "dates_ok": (seen == missed)
            if mode == "ALL"
            else (seen == missed[-1:] if mode == "LAST" else not seen),
        }
    return result


# --- list100k ----------------------------------------------------------------------------
def _timed_gets(client: httpx.Client, path: str, params: dict[str, Any], n: int) -> dict[str, Any]:
    times = []
    total = None
    for i in range(n + 2):
        started = time.perf_counter()
        answer = client.get(path, params=params)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        if i >= 2:
            times.append(elapsed)
        if total is None:
            body = answer.json()
            total = body.get("total") if "total" in body else len(body.get("taskRunList", []))
    return {**summary_ms(times), "n": n, "found": total, "bytes": len(answer.content)}


def browser_available() -> str | None:
    """The Chromium to drive, or None when Chromium or Playwright is missing."""
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    return path


def _ui_times(url: str, big_id: str, big: int, chromium: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import Page, sync_playwright

    pages: dict[str, tuple[str, Callable[[Page], Any]]] = {
        "ui_executions_list": (
            "/executions",
            lambda p: p.locator("table.executions tbody tr").first.wait_for(state="visible"),
        ),
        "ui_execution_500": (
            f"/executions/{big_id}",
            lambda p: p.wait_for_function(
                "n => document.querySelectorAll('.gantt-bar').length >= n", arg=big
            ),
        ),
    }
    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(60_000)
            for name, (path, shown) in pages.items():
                times = []
                for i in range(runs + 1):  # the first loads the assets into the cache
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(path, wait_until="commit")
                    shown(page)
                    elapsed = time.perf_counter() - started
                    page.close()
                    if i:
                        times.append(elapsed)
                out[name] = {
                    "median_ms": round(percentile(times, 50) * 1000, 1),
                    "max_ms": round(max(times) * 1000, 1),
                    "n": runs,
                }
        finally:
            browser.close()
    return out


def list100k(quick: bool, env: dict[str, str], log: Path) -> dict[str, Any]:
    import json

    from bench.server_seed import flow_sources

    count, n = (10_000, 20) if quick else (100_000, 50)
    big = 500
    with server_with(flow_sources(), env, log) as server:
        server.home.mkdir(parents=True)
        db = server.home / "headway.db"
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.server_seed", str(db), str(count), "--big", str(big)],
            env=server.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=1200,
        )
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        server.start()
        result: dict[str, Any] = {
            "executions": count,
            "seed_s": round(seed["seconds"], 1),
            "db_mib": round(db.stat().st_size / 2**20, 1),
        }
        queries: dict[str, dict[str, Any]] = {
            "first_page": {},
            "namespace": {"namespace": "company.data"},
            "state": {"state": "FAILED"},
            "label": {"labels": "team:infra"},
            "page_100": {"page": 100},
        }
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as client:
            for name, params in queries.items():
                result[f"search_{name}"] = _timed_gets(client, "/executions/search", params, n)
            result["get_500_taskruns"] = _timed_gets(client, f"/executions/{seed['big_id']}", {}, n)
        chromium = browser_available()
        if chromium:
            result.update(_ui_times(server.url, seed["big_id"], big, chromium, runs=5))
        else:
            result["ui"] = "not measured: Debian's chromium or Playwright is not installed"
    return result


MEASURE: dict[str, Callable[[bool, dict[str, str], Path], dict[str, Any]]] = {
    "webhook": webhook,
    "schedule": schedule,
    "recover": recover,
    "list100k": list100k,
}
