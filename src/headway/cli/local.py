"""What the local (no ``--server``) commands share: settings, the store, flow files."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import click
import yaml

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.execution import LogEntry
from headway.flows.loader import parse_flow
from headway.flows.model import Flow
from headway.plugins.registry import default_registry
from headway.settings import Settings
from headway.store import Batch, Store, open_store

FLOW_SUFFIXES = (".yaml", ".yml")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"cannot read {path}: {exc}") from exc


def flow_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file())
    if path.is_file():
        return [path]
    raise click.UsageError(f"no such file or directory: {path}")


def load_flow(path: Path) -> tuple[Flow, str]:
    source = read_text(path)
    return parse_flow(source, file=str(path), task_types=default_registry()), source


class FlowDirectory:
    """The flows of a directory tree, by namespace and id, read the first time one is looked
    up (most runs need none). Files that cannot be read or parsed are skipped: a flow is
    validated when it is used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._found: dict[tuple[str, str], LocalFlow] | None = None

    def find(self, namespace: str, flow_id: str) -> LocalFlow | None:
        if self._found is None:
            self._found = self._scan()
        return self._found.get((namespace, flow_id))

    def _scan(self) -> dict[tuple[str, str], LocalFlow]:
        found: dict[tuple[str, str], LocalFlow] = {}
        if not self.directory.is_dir():
            return found
        for path in flow_files(self.directory):
            try:
                source = path.read_text(encoding="utf-8")
                data = yaml.safe_load(source)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if (
                isinstance(data, dict)
                and isinstance(data.get("namespace"), str)
                and isinstance(data.get("id"), str)
            ):
                found.setdefault((data["namespace"], data["id"]), LocalFlow(source, str(path)))
        return found


@contextlib.asynccontextmanager
async def local_store(settings: Settings) -> AsyncIterator[Store]:
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


class LogPrinter:
    """Prints logs to stderr as they are committed: of every execution, or only of the
    followed ones and the subflow executions they start."""

    def __init__(self, *, only_followed: bool) -> None:
        self.only_followed = only_followed
        self.family: set[str] = set()

    def follow(self, execution_id: str) -> None:
        self.family.add(execution_id)

    def on_commit(self, batch: Batch) -> None:
        for execution in batch.executions:
            if execution.parent_id in self.family:
                self.family.add(execution.id)

    def on_log(self, entry: LogEntry) -> None:
        if not self.only_followed or entry.execution_id in self.family:
            print_log(entry)


@contextlib.asynccontextmanager
async def local_engine(
    settings: Settings,
    directory: FlowDirectory | None = None,
    *,
    printer: LogPrinter | None = None,
) -> AsyncIterator[Engine]:
    async with local_store(settings) as store:
        registry = default_registry()
        flows = FlowRepository(
            store,
            registry,
            tenant=settings.tenant,
            find_local=directory.find if directory is not None else None,
        )
        engine = Engine(store, settings, registry=registry, flows=flows)
        if printer is not None:
            engine.log_listeners.append(printer.on_log)
            engine.executor.listeners.append(printer.on_commit)
        await engine.start()
        try:
            yield engine
        finally:
            await engine.stop()


LEVEL_COLORS = {"ERROR": "red", "WARN": "yellow", "DEBUG": "blue", "TRACE": "blue"}


def print_log(entry: LogEntry) -> None:
    click.secho(
        entry.line(),
        err=True,
        fg=LEVEL_COLORS.get(entry.level),
        color=sys.stderr.isatty(),
    )
