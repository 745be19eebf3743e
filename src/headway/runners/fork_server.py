"""The warm Python interpreter, seen from the worker: a client of the fork server
(:mod:`headway.runners.fork_server_main`).

Python script tasks pay the interpreter's start-up (tens of milliseconds) when each runs in
a fresh ``python`` process. The fork server is one long-lived helper process per worker,
started on first use, that has the common modules imported already; for each run it forks
one fresh child that runs the script in the TaskRun's working directory with its
environment, arguments and output pipes. The child is in its own process group, as a
process of the Process runner is, so stopping a TaskRun stops everything it started.

``HEADWAY_PYTHON_FORK_SERVER=0`` (setting ``python_fork_server``) turns it off for the
installation (:func:`configure`); a task turns it off with ``warmInterpreter: false``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import headway
from headway.errors import HeadwayError
from headway.runners.base import LineSink
from headway.runners.fork_server_main import HEADER
from headway.runners.lines import read_lines
from headway.runners.process_groups import stop_group

# How long the server has to start and say it is ready (seconds).
START_TIMEOUT = 60.0
# How long output is still read once the run exited (its background processes are gone).
DRAIN_GRACE = 2.0

_enabled = True


def configure(*, enabled: bool) -> None:
    """Turn the warm interpreter on or off for this process (the ``python_fork_server``
    setting, applied by the engine)."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    return _enabled


class ForkServerError(HeadwayError):
    """The Python fork server could not run the script."""


@dataclass(frozen=True)
class PythonCall:
    """One ``python`` command line: a script file (``path``), ``-m module`` or ``-c code``,
    with its arguments."""

    kind: Literal["path", "module", "code"]
    target: str
    args: tuple[str, ...] = ()
    unbuffered: bool = False

    def request(self, cwd: str, env: Mapping[str, str]) -> dict[str, Any]:
        if self.kind == "path":
            path0 = os.path.dirname(os.path.join(cwd, self.target))
        elif self.kind == "module":
            path0 = cwd
        else:
            path0 = ""
        return {
            "kind": self.kind,
            "target": self.target,
            "args": list(self.args),
            "unbuffered": self.unbuffered,
            "cwd": cwd,
            "env": dict(env),
            "path0": path0,
        }


# Characters that make a command line more than ``python ARGS`` for the shell (expansions,
# redirections, pipes, several commands, globs, comments), outside quotes; and inside double
# quotes (where the shell still expands).
_SHELL_SYNTAX = frozenset("$`|&;<>()*?[]{}~!#\n\\")
_DOUBLE_QUOTED_SYNTAX = frozenset("$`\\")


def _needs_shell(line: str) -> bool:
    """Whether ``sh`` would do more with ``line`` than split it into words."""
    quote = ""
    for char in line:
        if quote == "'":
            quote = "" if char == "'" else quote
        elif quote == '"':
            if char in _DOUBLE_QUOTED_SYNTAX:
                return True
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char in _SHELL_SYNTAX:
            return True
    return bool(quote)


def parse_python_command(line: str, interpreters: frozenset[str]) -> PythonCall | None:
    """The call a command line ``python [-u] (FILE | -m MODULE | -c CODE) [ARGS...]`` makes,
    when the shell would do nothing but split it into words; else None (it needs a shell)."""
    if _needs_shell(line):
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if not words or words[0] not in interpreters:
        return None
    rest = words[1:]
    unbuffered = False
    while rest and rest[0] == "-u":
        unbuffered = True
        rest = rest[1:]
    if not rest:
        return None  # an interactive interpreter reading stdin
    first = rest[0]
    if first in ("-m", "-c"):
        if len(rest) < 2:
            return None
        kind: Literal["module", "code"] = "module" if first == "-m" else "code"
        return PythonCall(kind, rest[1], tuple(rest[2:]), unbuffered)
    if first.startswith("-"):
        return None  # another interpreter option: a fresh interpreter honours it
    return PythonCall("path", first, tuple(rest[1:]), unbuffered)


@dataclass
class ForkServer:
    """One fork server process, started when first needed, and runs through it."""

    _process: subprocess.Popen[bytes] | None = None
    _directory: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def socket_path(self) -> str | None:
        directory = self._directory
        return None if directory is None else os.path.join(directory, "socket")

    def start(self) -> None:
        """Start the server unless it runs (blocking: call it in a thread)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self._stop_locked()
            directory = self._directory = tempfile.mkdtemp(prefix="headway-forkserver-")
            # Headway's own settings may hold credentials: never in a script's reach.
            env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWAY_")}
            # Where this worker imports Headway from, appended (never before the standard
            # library) in case the interpreter would not find it on its own.
            source_root = str(Path(headway.__file__).resolve().parent.parent)
            bootstrap = (
                f"import sys; sys.path.append({source_root!r}); "
                "from headway.runners.fork_server_main import main; main()"
            )
            process = subprocess.Popen(
                [sys.executable, "-c", bootstrap, f"{directory}/socket"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                cwd=directory,
                start_new_session=True,
            )
            self._process = process
            assert process.stdout is not None
            ready = _readline(process.stdout, START_TIMEOUT)
            process.stdout.close()
            if ready != b"ready\n":
                self._stop_locked()
                raise ForkServerError("the Python fork server did not start")

    def stop(self) -> None:
        """Stop the server; the runs it still has are killed with it."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # its end of input: it kills its runs and exits
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    async def _connect(self) -> socket.socket:
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            if self.pid is None:
                await asyncio.to_thread(self.start)
            path = self.socket_path
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                if path is None:
                    raise FileNotFoundError("the server was stopped")
                await loop.sock_connect(sock, path)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if attempt:
                    raise ForkServerError("the Python fork server does not answer") from None
                await asyncio.to_thread(self.stop)  # a dead server: start a new one
                continue
            return sock
        raise AssertionError("not reached")

    async def run(
        self,
        call: PythonCall,
        cwd: str,
        env: Mapping[str, str],
        sink: LineSink,
        *,
        stop_grace: float,
    ) -> int:
        """Run ``call`` in a child of the server; stream its output to ``sink``; return its
        exit code. Cancelling stops the child's whole process group."""
        loop = asyncio.get_running_loop()
        sock = await self._connect()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        transports: list[asyncio.ReadTransport] = []
        try:
            body = json.dumps(call.request(cwd, env)).encode()
            try:
                # Four bytes into a new connection's empty buffer: never blocks.
                socket.send_fds(sock, [HEADER.pack(len(body))], [out_w, err_w])
                await loop.sock_sendall(sock, body)
            except OSError as exc:
                raise ForkServerError(
                    f"the Python fork server did not take the run: {exc}"
                ) from exc
            finally:
                os.close(out_w)
                os.close(err_w)
            replies = _Replies(sock)
            started = await replies.next()
            if "pid" not in started:
                raise ForkServerError(f"the Python fork server refused the run: {started}")
            pid = int(started["pid"])
            output: asyncio.Future[Any] | None = None
            try:
                readers = []
                for fd, from_stderr in ((out_r, False), (err_r, True)):
                    reader = asyncio.StreamReader()
                    pipe = os.fdopen(fd, "rb", buffering=0)
                    if fd == out_r:
                        out_r = -1  # owned by the pipe object now
                    else:
                        err_r = -1
                    transport, _ = await loop.connect_read_pipe(
                        lambda reader=reader: asyncio.StreamReaderProtocol(reader),  # type: ignore[misc]
                        pipe,
                    )
                    transports.append(transport)
                    readers.append(read_lines(reader, _line_sink(sink, from_stderr)))
                output = asyncio.gather(*readers)
                ended = await replies.next()
                if "exit" not in ended:
                    raise ForkServerError(f"the Python fork server failed the run: {ended}")
                # Whatever the script left running in its group is stopped too.
                await stop_group(pid, stop_grace)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(output), DRAIN_GRACE)
                return int(ended["exit"])
            except BaseException:
                await stop_group(pid, stop_grace)
                raise
            finally:
                if output is not None:
                    output.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await output
        finally:
            for open_transport in transports:
                open_transport.close()
            for fd in (out_r, err_r):
                if fd >= 0:
                    os.close(fd)
            sock.close()


def _line_sink(sink: LineSink, from_stderr: bool) -> Any:
    return lambda line: sink(line, from_stderr)


class _Replies:
    """The server's JSON lines on one connection."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    async def next(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        while b"\n" not in self._buffer:
            chunk = await loop.sock_recv(self._sock, 4096)
            if not chunk:
                raise ForkServerError("the Python fork server stopped during the run")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise ForkServerError(f"unexpected answer of the Python fork server: {reply!r}")
        return reply


def _readline(stream: Any, timeout: float) -> bytes:
    """A line of ``stream``, or b"" after ``timeout`` seconds."""
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else b""


_shared: ForkServer | None = None
_shared_lock = threading.Lock()


def shared() -> ForkServer:
    """The process's fork server (started on its first run; stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ForkServer()
            atexit.register(_shared.stop)
        return _shared
