"""The warm Python interpreter: a fork server, run by :mod:`headway.runners.fork_server` as
``python -c "...; main()" SOCKET``.

It imports the modules scripts commonly use once, then listens on the Unix socket ``SOCKET``.
Each connection asks for one Python run: a JSON request (the working directory, the
environment, what to run and its arguments) with two file descriptors (the write ends of the
run's stdout and stderr pipes). The server forks one child per request; the child starts a
new session (its own process group, so the client can stop it and everything it starts with
``killpg``), takes the descriptors as its stdout and stderr (stdin is ``/dev/null``), and runs
the code as ``python`` would. The server answers ``{"pid": N}`` at once, then
``{"exit": CODE}`` when the child ends (128 + the signal's number when a signal ended it, as
a shell reports it).

The client closing its connection before the child ended kills the child's process group;
the server's stdin reaching its end (the worker exited, even by SIGKILL) kills every running
child's group and ends the server. Only the standard library is used here, besides the
modules preloaded for scripts.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import traceback
import types
from typing import Any

# Imported once by the server, so that a script importing them pays nothing.
PRELOADED = (
    "argparse",
    "base64",
    "collections",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "functools",
    "glob",
    "hashlib",
    "itertools",
    "json",
    "logging",
    "math",
    "pathlib",
    "random",
    "re",
    "runpy",
    "shutil",
    "statistics",
    "string",
    "subprocess",
    "tempfile",
    "textwrap",
    "time",
    "typing",
    "uuid",
    "headway.scripting",
)

# A request: a 4-byte big-endian length, then that many bytes of JSON.
HEADER = struct.Struct(">I")
MAX_REQUEST = 64 * 1024 * 1024


def preload() -> None:
    for name in PRELOADED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    # What is loaded now is never collected: a child's collections then leave these pages
    # shared with the server instead of copying them.
    gc.collect()
    gc.freeze()


def exit_code(status: int) -> int:
    """A wait status as a shell reports it."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def read_request(conn: socket.socket) -> tuple[bytes, list[int]]:
    """A request's JSON text and the descriptors sent with it."""
    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    while len(data) < HEADER.size:
        more = conn.recv(65536)
        if not more:
            raise ValueError("connection closed in the request's header")
        data += more
    (size,) = HEADER.unpack_from(data)
    if size > MAX_REQUEST:
        raise ValueError(f"request of {size} bytes is too large")
    body = bytearray(data[HEADER.size :])
    while len(body) < size:
        more = conn.recv(min(size - len(body), 1 << 20))
        if not more:
            raise ValueError("connection closed in the request's body")
        body += more
    return bytes(body), list(fds)


def send_request(conn: socket.socket, body: bytes, fds: list[int]) -> None:
    socket.send_fds(conn, [HEADER.pack(len(body))], fds)
    conn.sendall(body)


def parse_request(body: bytes) -> dict[str, Any]:
    request = json.loads(body)
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    return request


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(message).encode() + b"\n")


class Server:
    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        # pid -> the connection of the request that started it (None once it hung up).
        self.children: dict[int, socket.socket | None] = {}
        self.conns: dict[socket.socket, int] = {}
        # The child forked in advance for the next request, and the socket it waits on.
        self.spare: tuple[int, socket.socket] | None = None
        self.wakeup_r, self.wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_w, False)
        os.set_blocking(self.wakeup_r, False)

    def serve(self) -> None:
        signal.set_wakeup_fd(self.wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, "child")
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
        try:
            while True:
                for key, _ in self.selector.select():
                    if key.data == "accept":
                        self.accept()
                    elif key.data == "child":
                        with contextlib.suppress(BlockingIOError):
                            os.read(self.wakeup_r, 4096)
                        self.reap()
                    elif key.data == "parent":
                        if not os.read(sys.stdin.fileno(), 4096):
                            return
                    else:
                        self.hung_up(key.fileobj)  # type: ignore[arg-type]
                self.reap()
                if self.spare is None and not self.children:
                    # The next request's child is forked while no run needs the CPU (on a
                    # small machine the fork would slow the run just started).
                    self.fork_spare()
        finally:
            for pid in self.children:
                _kill_group(pid)

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(10)
        fds: list[int] = []
        try:
            body, fds = read_request(conn)
            if len(fds) != 2:
                raise ValueError("a request carries two descriptors: stdout and stderr")
            if self.spare is None:
                self.fork_spare()
            assert self.spare is not None
            (pid, spare), self.spare = self.spare, None
            try:
                send_request(spare, body, fds)
            finally:
                spare.close()
        except (OSError, ValueError) as exc:
            _send(conn, {"error": f"{type(exc).__name__}: {exc}"})
            conn.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        self.children[pid] = conn
        self.conns[conn] = pid
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, "conn")
        _send(conn, {"pid": pid})

    def fork_spare(self) -> None:
        """Fork the child that will run the next request: already in its own session, it
        waits for the request on a socket pair (and exits when the server closes it)."""
        mine, its = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            mine.close()
            self.close_in_child()
            os.setsid()
            try:
                body, fds = read_request(its)
                its.close()
                if len(fds) != 2:
                    os._exit(0)
                request = parse_request(body)
            except (OSError, ValueError):
                os._exit(0)  # the server stopped, or never used this child
            run_child(request, fds[0], fds[1])  # never returns
        its.close()
        self.children[pid] = None
        self.spare = (pid, mine)

    def close_in_child(self) -> None:
        """What a forked child must not keep: the server's own descriptors."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.selector.close()
        self.listener.close()
        for other in self.conns:
            other.close()
        os.close(self.wakeup_r)
        os.close(self.wakeup_w)

    def hung_up(self, conn: socket.socket) -> None:
        """The client closed its connection: its run is stopped (the child's whole group)."""
        try:
            if conn.recv(4096):
                return  # nothing is expected from the client; ignored
        except BlockingIOError:
            return
        except ConnectionError:
            pass
        pid = self.conns.pop(conn)
        self.selector.unregister(conn)
        conn.close()
        if pid in self.children:
            self.children[pid] = None
            _kill_group(pid)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is not None:
                self.conns.pop(conn, None)
                self.selector.unregister(conn)
                conn.setblocking(True)
                _send(conn, {"exit": exit_code(status)})
                conn.close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_child(request: dict[str, Any], stdout: int, stderr: int) -> None:
    """In the forked child: become the run the request asks for, then exit with its code."""
    code = 1
    try:
        _become(request, stdout, stderr)
        code = _run(request)
    except BaseException:  # noqa: BLE001 - the child must always reach os._exit
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        os._exit(code)


def _become(request: dict[str, Any], stdout: int, stderr: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (devnull, stdout, stderr):
        os.close(fd)
    os.chdir(request["cwd"])
    env: dict[str, str] = request["env"]
    os.environ.clear()
    os.environ.update(env)
    encoding = env.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    unbuffered = bool(env.get("PYTHONUNBUFFERED")) or bool(request.get("unbuffered"))
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
        encoding=encoding,
        line_buffering=unbuffered,
        write_through=unbuffered,
    )
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding=encoding,
        errors="backslashreplace",
        line_buffering=True,
    )
    for name in ("__stdin__", "__stdout__", "__stderr__"):
        setattr(sys, name, getattr(sys, name.strip("_")))
    extra_path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    first = request.get("path0", "")
    sys.path[0:1] = [first, *extra_path]
    if "random" in sys.modules:
        sys.modules["random"].seed()


def _run(request: dict[str, Any]) -> int:
    """Run the code as ``python`` would; its exit code."""
    import runpy

    kind, target, args = request["kind"], request["target"], list(request["args"])
    try:
        if kind == "path":
            sys.argv = [target, *args]
            runpy.run_path(target, run_name="__main__")
        elif kind == "module":
            sys.argv = [target, *args]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args]
            main = types.ModuleType("__main__")
            sys.modules["__main__"] = main
            exec(compile(target, "<string>", "exec"), main.__dict__)
        code = 0
    except SystemExit as exc:
        code = _system_exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - reported as the interpreter does
        _print_traceback(exc)
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    return code


def _print_traceback(exc: BaseException) -> None:
    """The traceback ``python`` would print: without the frames of this server and runpy."""
    tb = exc.__traceback__
    while tb is not None and _internal(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def _internal(filename: str) -> bool:
    return filename in (__file__, "<frozen runpy>") or filename.endswith(os.sep + "runpy.py")


def _system_exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    with contextlib.suppress(OSError, ValueError):
        print(exc.code, file=sys.stderr)
    return 1


def main() -> None:
    path = sys.argv[1]
    preload()
    server = Server(path)
    server.fork_spare()
    # Ready: the client waits for this line.
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    server.serve()


if __name__ == "__main__":
    main()
