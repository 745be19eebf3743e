"""The Process task runner: the command runs as a local process of the worker.

Each workspace is a fresh temporary directory, removed afterwards. The command starts in a
new session (its own process group), so stopping it reaches every process it started:
SIGTERM to the group, then SIGKILL after a grace period. Once the command exits, whatever it
left running in its group is stopped the same way, so a TaskRun leaves no process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from headway.runners import fork_server
from headway.runners.base import (
    FileNameError,
    LineSink,
    TaskRunner,
    Workspace,
    checked_file_name,
)
from headway.runners.fork_server import PythonCall
from headway.runners.globs import checked_pattern, matches
from headway.runners.lines import read_lines
from headway.runners.process_groups import group_alive as _group_alive
from headway.runners.process_groups import stop_group as _stop_group

__all__ = ["DRAIN_GRACE", "STOP_GRACE", "ProcessRunner", "ProcessWorkspace", "_group_alive"]

# How long a stopped process group has to exit after SIGTERM before SIGKILL (seconds).
STOP_GRACE = 2.0
# How long output is still read once the command exited (a process outside its group may
# hold the pipes open).
DRAIN_GRACE = 2.0


class ProcessRunner(TaskRunner):
    """Runs commands as local processes, each TaskRun in its own temporary directory."""

    def __init__(self, *, stop_grace: float = STOP_GRACE, path_prefix: Sequence[str] = ()) -> None:
        self.stop_grace = stop_grace
        # Directories searched first for commands (the worker's Python for python tasks).
        self.path_prefix = tuple(path_prefix)

    @contextlib.asynccontextmanager
    async def workspace(self, shared: Path | None = None) -> AsyncIterator[Workspace]:
        if shared is not None:
            # A WorkingDirectory group's: kept for its next task (its teardown removes it).
            yield ProcessWorkspace(shared, self.stop_grace, self.path_prefix)
            return
        path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="headway-run-"))
        try:
            yield ProcessWorkspace(path, self.stop_grace, self.path_prefix)
        finally:
            # Shielded: a cancelled TaskRun still leaves no directory behind.
            await asyncio.shield(asyncio.to_thread(shutil.rmtree, path, ignore_errors=True))


class ProcessWorkspace(Workspace):
    def __init__(self, path: Path, stop_grace: float, path_prefix: tuple[str, ...]) -> None:
        self._path = path
        self._stop_grace = stop_grace
        self._path_prefix = path_prefix

    @property
    def working_dir(self) -> str:
        return str(self._path)

    async def write(self, name: str, content: str | bytes) -> None:
        target = self._path / checked_file_name(name)
        data = content.encode() if isinstance(content, str) else content
        await asyncio.to_thread(_write_file, target, data)

    async def make_directory(self, name: str) -> None:
        target = self._path / checked_file_name(name)
        await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)

    async def find(self, patterns: Sequence[str]) -> list[str]:
        checked = [checked_pattern(pattern) for pattern in patterns]
        return await asyncio.to_thread(_find, self._path, checked)

    async def fetch(self, name: str) -> Path:
        path = self._path / checked_file_name(name)
        root = self._path.resolve()
        resolved = await asyncio.to_thread(path.resolve)
        if not resolved.is_relative_to(root):
            raise FileNameError(f"output file '{name}' leads outside the working directory")
        return resolved

    async def run(self, argv: Sequence[str], env: Mapping[str, str], sink: LineSink) -> int:
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                cwd=self._path,
                env=self._environment(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        )
        try:
            proc = await asyncio.shield(spawn)
        except asyncio.CancelledError:
            # Cancelled while the process was being started: it may run already.
            await _stop_spawned(spawn, self._stop_grace)
            raise
        assert proc.stdout is not None and proc.stderr is not None
        readers = asyncio.gather(
            read_lines(proc.stdout, lambda line: sink(line, False)),
            read_lines(proc.stderr, lambda line: sink(line, True)),
        )
        try:
            code = await _exit_code(proc, readers)
            await _stop_group(proc.pid, self._stop_grace)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(readers), DRAIN_GRACE)
            return code
        except BaseException:
            await _stop_group(proc.pid, self._stop_grace, proc)
            raise
        finally:
            readers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await readers
            _close(proc)

    async def run_python(
        self,
        calls: Sequence[PythonCall],
        env: Mapping[str, str],
        sink: LineSink,
        *,
        fail_fast: bool = True,
    ) -> int:
        """Run ``python`` command lines one after another in the warm interpreter (each a
        fresh child of the fork server, :mod:`headway.runners.fork_server`), as ``sh -c``
        would run them (with ``fail_fast``, as ``set -e``: stop at the first that fails);
        return the exit code of the last one run."""
        server = fork_server.shared()
        full_env = self._environment(env)
        code = 0
        for call in calls:
            code = await server.run(
                call, str(self._path), full_env, sink, stop_grace=self._stop_grace
            )
            if code != 0 and fail_fast:
                break
        return code

    def _environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """The worker's environment (less Headway's own settings, which may hold
        credentials), ``env`` on top."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("HEADWAY_")}
        if self._path_prefix:
            path = inherited.get("PATH", os.defpath)
            inherited["PATH"] = os.pathsep.join([*self._path_prefix, path])
        return {**inherited, **env}


async def _stop_spawned(spawn: asyncio.Future[asyncio.subprocess.Process], grace: float) -> None:
    try:
        proc = await spawn
    except OSError:
        return  # it never started
    try:
        await _stop_group(proc.pid, grace, proc)
    finally:
        _close(proc)


async def _exit_code(proc: asyncio.subprocess.Process, output: asyncio.Future[Any]) -> int:
    """The command's exit code as soon as it exits. (``Process.wait()`` of Python 3.11 also
    waits for the pipes to close, so a background child holding them would hold it too.)"""
    while proc.returncode is None:
        if output.done():
            return await proc.wait()
        await asyncio.wait({output}, timeout=0.05)
    return proc.returncode


def _find(root: Path, patterns: list[str]) -> list[str]:
    """Regular files under ``root`` matching a pattern; links leading outside are skipped.
    Only the directories the patterns can reach are walked (``out/**`` walks ``out``)."""
    real_root = root.resolve()
    found: set[str] = set()
    for start in _walk_starts(patterns):
        for directory, _, files in os.walk(root / start if start else root):
            for name in files:
                path = Path(directory) / name
                relative = path.relative_to(root).as_posix()
                if not any(matches(pattern, relative) for pattern in patterns):
                    continue
                resolved = path.resolve()
                if resolved.is_relative_to(real_root) and resolved.is_file():
                    found.add(relative)
    return sorted(found)


def _walk_starts(patterns: list[str]) -> list[str]:
    """The directories (relative, "" for the root) below which every match of ``patterns``
    lies: each pattern's leading directories without glob syntax; none inside another."""
    starts: set[str] = set()
    for pattern in patterns:
        literal: list[str] = []
        for part in pattern.split("/")[:-1]:
            if any(char in part for char in "*?[]{}"):
                break
            literal.append(part)
        starts.add("/".join(literal))
    chosen: list[str] = []
    for start in sorted(starts, key=len):
        if not any(c == "" or start == c or start.startswith(c + "/") for c in chosen):
            chosen.append(start)
    return chosen


def _write_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _close(proc: asyncio.subprocess.Process) -> None:
    """Close the pipes, also when a process outside the group still holds them open."""
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()
