"""``headway server``: the engine, the API and the flows directory in one process (or the
components chosen); ``headway worker``: a worker alone, on a shared store."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click
import uvloop

from headway.server.service import serve
from headway.settings import Settings


@click.command()
@click.option("--host", help="Address to listen on (setting host, default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (setting port, default 8080).")
@click.option(
    "--flows",
    "flows_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A directory of flows applied at start and whenever a file changes (GitOps).",
)
@click.option("--worker-slots", type=click.IntRange(1), help="TaskRuns run at once.")
@click.option(
    "--db-url", help="The store (setting db_url; default sqlite:///$HEADWAY_HOME/headway.db)."
)
@click.option(
    "--auth",
    type=click.Choice(["none", "tokens", "proxy"]),
    help="Access control (setting auth; see docs/security.md).",
)
@click.option(
    "--components",
    help="What this process runs, comma-separated: api, executor, scheduler, worker "
    "(setting components; default all). See docs/deployment.md.",
)
def server(
    host: str | None,
    port: int | None,
    flows_dir: Path | None,
    worker_slots: int | None,
    db_url: str | None,
    auth: str | None,
    components: str | None,
) -> None:
    """Run Headway: the web UI at http://HOST:PORT/, the API under /api/v1, the executor,
    a worker and the scheduler, on the configured store (SQLite by default)."""
    settings = Settings.load(
        {
            "host": host,
            "port": port,
            "worker_slots": worker_slots,
            "db_url": db_url,
            "auth": auth,
            "components": components,
        }
    )
    _run(settings, flows_dir)


@click.command()
@click.option("--slots", type=click.IntRange(1), help="TaskRuns run at once (worker_slots).")
@click.option(
    "--group",
    help="Take only TaskRuns of tasks with this workerGroup.key (setting worker_group); "
    "without, only tasks without a worker group.",
)
@click.option(
    "--drain-seconds",
    type=click.FloatRange(0),
    help="On SIGTERM, how long running TaskRuns may finish before they are handed back "
    "(setting drain_seconds, default 30).",
)
@click.option("--db-url", help="The shared store (setting db_url): postgresql://...")
def worker(
    slots: int | None, group: str | None, drain_seconds: float | None, db_url: str | None
) -> None:
    """Run a worker alone: it claims TaskRuns from the store and runs them, next to servers
    that run the executor and the scheduler (see docs/deployment.md)."""
    settings = Settings.load(
        {
            "worker_slots": slots,
            "worker_group": group,
            "drain_seconds": drain_seconds,
            "db_url": db_url,
            "components": "worker",
        }
    )
    _run(settings, None)


def _run(settings: Settings, flows_dir: Path | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # uvloop: the event loop of a long-running process spends a fraction of asyncio's CPU
    # on each wake-up (many per TaskRun under load).
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(settings, flows_dir=flows_dir))
