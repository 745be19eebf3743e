"""``headway server``: the engine, the API and the flows directory in one process."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

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
def server(
    host: str | None,
    port: int | None,
    flows_dir: Path | None,
    worker_slots: int | None,
    db_url: str | None,
    auth: str | None,
) -> None:
    """Run Headway: the web UI at http://HOST:PORT/, the API under /api/v1, the executor,
    a worker and the scheduler, on the configured store (SQLite by default)."""
    settings = Settings.load(
        {"host": host, "port": port, "worker_slots": worker_slots, "db_url": db_url, "auth": auth}
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(serve(settings, flows_dir=flows_dir))
