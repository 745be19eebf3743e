"""WorkingDirectory: tasks that run one after another in one shared working directory.

In Kestra the whole group runs on one worker. Here the executor advances the group like a
Sequential, so each task is a TaskRun of its own (own logs, retries, timeout), and the worker
gives every TaskRun of the group the same directory (``RunContext.shared_directory``, which
script tasks use as their working directory and ``{{ workingDir }}``). Two internal runnable
steps bracket the tasks:

- ``<id>_setup`` creates the directory (fresh), restores the ``cache``, copies the
  ``namespaceFiles`` (as script tasks do), writes ``inputFiles``;
- ``<id>_teardown`` stores the ``outputFiles`` (the group's ``outputFiles`` output), saves
  the ``cache``, and removes the directory. It runs whether the tasks succeeded or not (as
  Kestra's post-execution does), before ``errors`` and ``finally``, which run outside the
  directory like any other task.

The directory lives on the worker's disk, under ``Worker.working_dirs``; a crash of the
process leaves it there, so the group goes on where it was. If a task of the group finds it
gone (another host took the task, or the machine restarted), that TaskRun fails with
``outputs.workingDirectoryLost`` and the group runs again from its start in a new directory
(a new *round*: its TaskRuns carry ``iteration`` = the round), at most ``MAX_ROUNDS`` times in
all; then it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr, model_validator

from headway.errors import TaskFailure
from headway.execution import TaskRun
from headway.flows.tasks import Duration, Dynamic, Model, Task, TaskBase
from headway.plugins.base import (
    Advance,
    FlowableContext,
    FlowableTask,
    Outputs,
    RunContext,
    RunnableTask,
    SharedDirectoryLost,
)
from headway.plugins.core.rendered import rendered
from headway.plugins.flowable.handlers import HandledTask
from headway.plugins.scripts.namespace_files import NamespaceFilesSpec, copy_namespace_files
from headway.runners.base import FileNameError, Workspace, checked_file_name
from headway.runners.process import ProcessRunner
from headway.state import State, worst
from headway.storage import StorageError, is_storage_uri

_FLOW = "io.kestra.plugin.core.flow"
_LEGACY = "io.kestra.core.tasks.flows"

# How many times in all a group whose directory was lost runs from its start.
MAX_ROUNDS = 3


class Cache(Model):
    """``cache``: files kept from one execution of the group to the next."""

    patterns: list[str] = Field(min_length=1)
    ttl: Duration | None = None


class WorkingDirectory(HandledTask):
    """Run `tasks` one after another in one working directory they share, set up with the
    `cache`, `namespaceFiles` and `inputFiles`; then store `outputFiles` (output
    `outputFiles`: name -> URI) and save the `cache` (`patterns`, `ttl`); then `errors` (on
    a failure) and `finally`. Only runnable tasks can be in `tasks`."""

    type_name = "working-directory"
    aliases = (f"{_FLOW}.WorkingDirectory", f"{_LEGACY}.WorkingDirectory", f"{_LEGACY}.Worker")

    tasks: list[Task] = Field(min_length=1)
    input_files: Dynamic[dict[str, str]] | None = None
    output_files: list[str] | None = None
    namespace_files: NamespaceFilesSpec | None = None
    cache: Cache | None = None

    _main: list[TaskBase] = PrivateAttr(default_factory=list)
    _close: list[TaskBase] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _runnable_tasks(self) -> WorkingDirectory:
        flowable = [t for t in self.tasks if isinstance(t, FlowableTask)]
        if flowable:
            names = ", ".join(f"'{t.id}' ({t.type})" for t in flowable)
            raise ValueError(
                "a WorkingDirectory runs only runnable tasks (they share a directory on one "
                f"worker); flowable task(s): {names}"
            )
        if isinstance(self.input_files, dict):
            try:
                for name in self.input_files:
                    checked_file_name(name)
            except FileNameError as exc:
                raise ValueError(f"inputFiles: {exc}") from None
        return self

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        # Built once: the engine keeps where a task list stands by the list's identity.
        setup: dict[str, Any] = {"id": f"{self.id}_setup", "type": WorkingDirectorySetup.TYPE}
        if self.input_files is not None:
            setup["inputFiles"] = self.input_files
        if self.cache is not None:
            setup["cache"] = self.cache.model_dump(mode="json", exclude_unset=True)
        if self.namespace_files is not None:
            setup["namespaceFiles"] = self.namespace_files.model_dump(
                mode="json", exclude_unset=True
            )
        teardown: dict[str, Any] = {
            "id": f"{self.id}_teardown",
            "type": WorkingDirectoryTeardown.TYPE,
        }
        if self.output_files is not None:
            teardown["outputFiles"] = self.output_files
        if self.cache is not None:
            teardown["cache"] = setup["cache"]
        self._main = [WorkingDirectorySetup.model_validate(setup), *self.tasks]
        self._close = [WorkingDirectoryTeardown.model_validate(teardown)]

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self._main, self._close, self.errors, self.finally_]

    def shares_directory_with(self, task_id: str) -> bool:
        return any(t.id == task_id for t in (*self._main, *self._close))

    def advance(self, ctx: FlowableContext) -> Advance:
        round_ = int(ctx.task_run.extra.get("round", 0))
        iteration = round_ or None
        # The group's tasks see its loop value as theirs (``taskrun.value``), as in Kestra.
        value = ctx.task_run.value
        main = ctx.sequential(self._main, value=value, iteration=iteration)
        if main.done is None:
            return main
        close = ctx.sequential(self._close, value=value, iteration=iteration)
        if close.done is None:
            return close
        extra: dict[str, Any] | None = None
        if _lost(ctx, value, iteration):
            if round_ + 1 < MAX_ROUNDS:
                ctx.log(
                    "WARN",
                    "the group's working directory was lost: running the group again from its "
                    f"start (round {round_ + 2} of at most {MAX_ROUNDS})",
                )
                again = ctx.sequential(self._main, value=value, iteration=round_ + 1)
                return Advance(create=again.create, extra={"round": round_ + 1})
            if "gaveUp" not in ctx.task_run.extra:
                ctx.log("ERROR", f"the group's working directory was lost {MAX_ROUNDS} times")
                extra = {"gaveUp": True}
        end = main.done
        if close.done.failed and not end.failed:
            end = State.FAILED
        elif not end.failed:
            end = worst([end, close.done])
        outputs = None
        if self.output_files is not None:
            teardown = _child(ctx, self._close[0].id, value, iteration)
            stored = (teardown.outputs or {}).get("outputFiles") if teardown else None
            outputs = {"outputFiles": stored or {}}
        return self.handled(ctx, Advance(done=end, outputs=outputs, extra=extra))


def _child(
    ctx: FlowableContext, task_id: str, value: str | None, iteration: int | None
) -> TaskRun | None:
    for tr in ctx.children(value):
        if tr.task_id == task_id and tr.iteration == iteration:
            return tr
    return None


def _lost(ctx: FlowableContext, value: str | None, iteration: int | None) -> bool:
    """Whether a TaskRun of this round found the shared directory gone."""
    return any(
        tr.iteration == iteration
        and tr.outputs is not None
        and tr.outputs.get(SharedDirectoryLost.OUTPUT) is True
        for tr in ctx.children(value)
    )


# --- the internal steps, run by a worker ------------------------------------------------------


class _GroupStep(RunnableTask):
    """An internal step of a WorkingDirectory group (not a task type of its own)."""

    cache: Cache | None = None

    def directory(self, ctx: RunContext) -> Path:
        path = ctx.shared_directory
        if path is None:
            raise TaskFailure(
                f"'{self.id}' runs only as a step of its WorkingDirectory", retryable=False
            )
        return path

    def cache_key(self, ctx: RunContext) -> str:
        """The KV key that points at this group's cache archive (per flow, group and loop
        value, as Kestra keys its cache)."""
        group = self.id.rsplit("_", 1)[0]
        value = ctx.render_typed("{{ parent.taskrun.value }}")
        key = f"headway-cache.{ctx.flow_id}.{group}"
        if value is not None:
            key += "." + hashlib.sha256(str(value).encode()).hexdigest()[:16]
        return key


class WorkingDirectorySetup(_GroupStep):
    """Creates the group's directory, restores its cache, copies the namespace files, writes
    the input files (in Kestra's order)."""

    TYPE: ClassVar[str] = "headway.working-directory.setup"
    manages_shared_directory: ClassVar[bool] = True

    input_files: Dynamic[dict[str, str]] | None = None
    namespace_files: NamespaceFilesSpec | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        path = self.directory(ctx)
        files = {} if self.input_files is None else rendered(self.input_files, dict, "inputFiles")
        await asyncio.to_thread(_fresh_directory, path)
        if self.cache is not None:
            await self._restore_cache(ctx, path)
        async with ProcessRunner().workspace(path) as workspace:
            if self.namespace_files is not None and self.namespace_files.is_enabled():
                await copy_namespace_files(ctx, self.namespace_files, workspace)
            try:
                for name, content in files.items():
                    text = str(content)
                    data = await ctx.storage.read(text) if is_storage_uri(text) else text
                    await workspace.write(name, data)
            except FileNameError as exc:
                raise TaskFailure(f"inputFiles: {exc}", retryable=False) from None
        ctx.log("DEBUG", f"working directory {path} ready")
        return None

    async def _restore_cache(self, ctx: RunContext, path: Path) -> None:
        entry = await ctx.kv.get(ctx.namespace, self.cache_key(ctx))
        if not isinstance(entry, dict) or not is_storage_uri(entry.get("uri")):
            ctx.log("DEBUG", "no cache to restore")
            return
        with tempfile.TemporaryDirectory(prefix="headway-cache-") as tmp:
            archive = Path(tmp) / "cache.tar.gz"
            try:
                await ctx.storage.download(entry["uri"], archive)
                count = await asyncio.to_thread(_extract, archive, path)
            except (StorageError, tarfile.TarError) as exc:
                # A cache is an optimisation: without it the tasks do the work again.
                ctx.log("WARN", f"cache not restored: {exc}")
                await asyncio.to_thread(_fresh_directory, path)
                return
        ctx.log("INFO", f"restored {count} cached file(s)")


class WorkingDirectoryTeardown(_GroupStep):
    """Stores the group's output files, saves its cache, removes its directory."""

    TYPE: ClassVar[str] = "headway.working-directory.teardown"
    # It checks the directory itself: gone is fine when there is nothing to keep.
    manages_shared_directory: ClassVar[bool] = True

    output_files: list[str] | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        path = self.directory(ctx)
        keeps = self.output_files is not None or self.cache is not None
        try:
            if not await asyncio.to_thread(path.is_dir):
                if keeps:
                    raise SharedDirectoryLost(
                        f"the group's working directory ({path}) is gone before its output "
                        "files and cache were kept"
                    )
                return None
            outputs: Outputs = {}
            async with ProcessRunner().workspace(path) as workspace:
                if self.output_files is not None:
                    outputs["outputFiles"] = await _store(ctx, workspace, self.output_files)
                if self.cache is not None:
                    await self._save_cache(ctx, workspace, path)
            return outputs
        finally:
            await asyncio.shield(asyncio.to_thread(_remove_directory, path))

    async def _save_cache(self, ctx: RunContext, workspace: Workspace, path: Path) -> None:
        assert self.cache is not None
        try:
            names = await workspace.find(self.cache.patterns)
        except FileNameError as exc:
            raise TaskFailure(f"cache: {exc}", retryable=False) from None
        if not names:
            ctx.log("DEBUG", "no file matches the cache patterns")
            return
        key = self.cache_key(ctx)
        entry = await ctx.kv.get(ctx.namespace, key)
        if isinstance(entry, dict) and isinstance(entry.get("createdAt"), (int, float)):
            newest = await asyncio.to_thread(_newest_mtime, path, names)
            if newest <= entry["createdAt"]:
                ctx.log("DEBUG", "cached files did not change: cache kept as it is")
                return
        with tempfile.TemporaryDirectory(prefix="headway-cache-") as tmp:
            archive = Path(tmp) / "cache.tar.gz"
            created = time.time()
            await asyncio.to_thread(_archive, path, names, archive)
            uri = await ctx.storage.put_file("cache.tar.gz", archive)
        await ctx.kv.put(ctx.namespace, key, {"uri": uri, "createdAt": created}, ttl=self.cache.ttl)
        ctx.log("INFO", f"cached {len(names)} file(s)")


async def _store(ctx: RunContext, workspace: Workspace, patterns: list[str]) -> dict[str, str]:
    try:
        stored: dict[str, str] = {}
        for name in await workspace.find(patterns):
            stored[name] = await ctx.storage.put_file(name, await workspace.fetch(name))
    except FileNameError as exc:
        raise TaskFailure(f"outputFiles: {exc}", retryable=False) from None
    if stored:
        ctx.log("DEBUG", f"stored output files: {', '.join(stored)}")
    return stored


def _fresh_directory(path: Path) -> None:
    """An empty directory at ``path`` (what a crashed earlier attempt left is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.mkdir(mode=0o700)


def _remove_directory(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # the execution's folder, once its last group is gone


def _archive(root: Path, names: list[str], target: Path) -> None:
    with tarfile.open(target, "w:gz") as tar:
        for name in names:
            tar.add(root / name, arcname=name, recursive=False)


def _extract(archive: Path, root: Path) -> int:
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        # The "data" filter refuses absolute paths, links leading outside and devices.
        tar.extractall(root, members=members, filter="data")
    return len(members)


def _newest_mtime(root: Path, names: list[str]) -> float:
    return max(os.stat(root / name).st_mtime for name in names)
