"""The interface every task runner implements, and the checks they share.

A runner opens a :class:`Workspace` for one TaskRun: a working directory the command sees,
where input files are written and the command runs. Closing the workspace reclaims everything
(processes, pipes, files). The runner knows nothing of Kestra's script protocol: it hands each
output line to a :data:`LineSink`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path, PurePosixPath

# Called with each line the command writes (without its newline) and whether it came from
# standard error.
LineSink = Callable[[str, bool], None]


class FileNameError(ValueError):
    """An input file name that would land outside the working directory."""


def checked_file_name(name: str) -> PurePosixPath:
    """``name`` as a path relative to the working directory, or :class:`FileNameError`."""
    path = PurePosixPath(name)
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        raise FileNameError(f"input file '{name}' must be a relative path inside the working dir")
    if ".." in path.parts or path.parts in ((), (".",)):
        raise FileNameError(f"input file '{name}' escapes the working directory")
    return path


class Workspace(ABC):
    """One TaskRun's working directory and the command run in it."""

    @property
    @abstractmethod
    def working_dir(self) -> str:
        """The working directory as the command sees it (``{{ workingDir }}``)."""

    @abstractmethod
    async def write(self, name: str, content: str | bytes) -> None:
        """Create a file (and its parent directories) at ``name``, relative to the working
        directory; raise :class:`FileNameError` for a name that escapes it."""

    @abstractmethod
    async def make_directory(self, name: str) -> None:
        """Create the directory ``name`` (and its parents), relative to the working
        directory; raise :class:`FileNameError` for a name that escapes it."""

    @abstractmethod
    async def find(self, patterns: Sequence[str]) -> list[str]:
        """The regular files of the working directory (paths relative to it, ``/``
        separated, sorted) matching any of the glob ``patterns``
        (:mod:`headway.runners.globs`); raise :class:`FileNameError` for a pattern that
        escapes it. Links that lead outside the working directory are never returned."""

    @abstractmethod
    async def fetch(self, name: str) -> Path:
        """A local path holding the content of the file ``name`` (relative to the working
        directory), valid until the workspace closes."""

    @abstractmethod
    async def run(self, argv: Sequence[str], env: Mapping[str, str], sink: LineSink) -> int:
        """Run ``argv`` in the working directory, stream its output to ``sink``, return its
        exit code. Cancelling the call stops the command and everything it started."""


class TaskRunner(ABC):
    """Opens workspaces (a local process runner, later a container or a Kubernetes pod)."""

    @abstractmethod
    def workspace(self, shared: Path | None = None) -> AbstractAsyncContextManager[Workspace]:
        """A new workspace, removed with everything in it when the context exits; or, with
        ``shared``, one in that existing directory (a WorkingDirectory group's), which is
        left as it is for the group's next task."""
