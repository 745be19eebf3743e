"""`headway worker` and `headway server --components` as processes on PostgreSQL: a server
without a worker and a worker alone run a flow together; a worker stopped by SIGTERM lets
its running TaskRun finish first; a bad component list is refused clearly."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from postgres_db import PostgresDatabase

from .conftest import Cli
from .test_server import running_server

NAP = """\
id: nap
namespace: cli
tasks:
  - id: sleep
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 2", "echo rested"]
"""


def test_a_bad_component_list_is_refused(cli: Cli) -> None:
    done = cli.run("server", "--components", "api,brain")
    assert done.returncode == 1
    assert "setting components: unknown brain; expected a comma-separated list of api, " in (
        done.stderr
    )


@pytest.fixture
def pg_cli(cli: Cli, postgres_database: PostgresDatabase, tmp_path: Path) -> Cli:
    postgres_database.truncate()
    env = cli.env

    class PgCli(Cli):
        def env(self) -> dict[str, str]:
            values = env()
            values["HEADWAY_DB_URL"] = postgres_database.url
            values["HEADWAY_HOME"] = str(self.home)
            return values

    return PgCli(tmp_path / "pg-home")


def test_a_worker_alone_runs_the_tasks_and_drains_on_sigterm(pg_cli: Cli, tmp_path: Path) -> None:
    components = ("--components", "api,executor,scheduler")
    with running_server(pg_cli, *components) as (url, _):
        worker = pg_cli.start("worker", "--slots", "2", "--drain-seconds", "20")
        try:
            assert worker.stderr is not None
            for line in worker.stderr:
                if " ready: 2 slot(s), group (none)" in line:
                    break
            listed = pg_cli.run("workers", "--server", url)
            assert listed.returncode == 0, listed.stderr
            assert "  alive   group -  2 slot(s)  heartbeat " in listed.stdout
            posted = httpx.post(
                f"{url}/api/v1/flows",
                content=NAP,
                headers={"Content-Type": "application/x-yaml"},
            )
            assert posted.status_code == 200, posted.text
            started = httpx.post(f"{url}/api/v1/executions/cli/nap").json()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                execution = httpx.get(f"{url}/api/v1/executions/{started['id']}").json()
                runs = execution["taskRunList"]
                if runs and runs[0]["state"]["current"] == "RUNNING":
                    break
                time.sleep(0.05)
            # Stopped while its task runs: it finishes the task, then exits.
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
            execution = httpx.get(f"{url}/api/v1/executions/{started['id']}").json()
            deadline = time.monotonic() + 20
            while execution["state"]["current"] != "SUCCESS" and time.monotonic() < deadline:
                time.sleep(0.1)
                execution = httpx.get(f"{url}/api/v1/executions/{started['id']}").json()
            assert execution["state"]["current"] == "SUCCESS"
            (run,) = execution["taskRunList"]
            assert len(run["attempts"]) == 1
            # Registered while it ran, gone once it stopped.
            assert httpx.get(f"{url}/api/v1/workers").json()["total"] == 0
            local = pg_cli.run("workers", "--json")  # the local store: the same database
            assert local.returncode == 0 and local.stdout.strip() == "[]", local.stderr
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            for stream in (worker.stdout, worker.stderr):
                if stream is not None:
                    stream.close()
