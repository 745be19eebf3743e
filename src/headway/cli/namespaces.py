"""``headway namespace files apply``: a namespace's files from a directory (GitOps)."""

from __future__ import annotations

import asyncio
import base64
import sys
from pathlib import Path
from typing import Any

import click

from headway.cli.remote import remote as open_remote
from headway.cli.remote import server_option
from headway.server.gitops import FileChange, file_summary
from headway.server.namespace_files import apply_files, read_directory
from headway.settings import Settings
from headway.storage import NamespaceFileTree, open_storage

COLORS = {"create": "green", "update": "yellow", "delete": "red"}


@click.group()
def namespace() -> None:
    """A namespace's files."""


@namespace.group()
def files() -> None:
    """Namespace files: scripts and data that flows of the namespace read."""


@files.command("apply")
@click.argument("namespace_id", metavar="NAMESPACE")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--prune", is_flag=True, help="Delete the namespace's files that are not in DIR.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@server_option
def apply(
    namespace_id: str, directory: Path, prune: bool, dry_run: bool, server: str | None
) -> None:
    """Make NAMESPACE's files (on the server, or locally) those of DIRECTORY, by their paths
    relative to it; each change is shown first."""
    settings = Settings.load()
    given = read_directory(directory)
    client = open_remote(settings, server)
    if client is not None:
        body = {
            "files": [
                {"path": path, "content": base64.b64encode(data).decode()}
                for path, data in given.items()
            ],
            "prune": prune,
            "dryRun": dry_run,
        }
        with client:
            result = client.request("POST", f"/namespaces/{namespace_id}/files/apply", json=body)
        changes = [_change(c) for c in result["changes"]]
    else:
        tree = NamespaceFileTree(open_storage(settings), settings.tenant, namespace_id)
        changes = asyncio.run(apply_files(tree, given, prune=prune, dry_run=dry_run))
    color = sys.stdout.isatty()
    for change in changes:
        if change.action == "unchanged":
            continue
        click.secho(f"{change.action:<9} {change.path}", fg=COLORS.get(change.action), color=color)
        for line in change.diff.splitlines():
            click.echo(f"  {line}")
    counts = file_summary(changes)
    line = (
        f"{counts['create']} created, {counts['update']} updated, {counts['delete']} deleted, "
        f"{counts['unchanged']} unchanged"
    )
    click.echo(f"dry run: {line} (nothing applied)" if dry_run else line, err=True)


def _change(data: dict[str, Any]) -> FileChange:
    return FileChange(data["path"], data["action"], data["size"], data["diff"])
