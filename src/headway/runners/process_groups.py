"""Process groups: stop one with everything in it, and tell whether any of it still runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

# How long processes sent SIGKILL are given to be gone (seconds).
KILL_WAIT = 1.0


async def stop_group(
    pgid: int, grace: float, proc: asyncio.subprocess.Process | None = None
) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace``; await ``proc``. When
    it returns, no process of the group runs any more (a killed process may take a moment to
    die on a busy machine: that moment is waited for, up to ``KILL_WAIT``)."""
    killed = False
    try:
        if not signal_group(pgid, signal.SIGTERM):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while loop.time() < deadline and group_alive(pgid):  # noqa: ASYNC110 (polled)
            await asyncio.sleep(0.02)
    finally:
        # Also when cancelled again while waiting: nothing of the group may survive.
        killed = signal_group(pgid, signal.SIGKILL)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    if proc is not None:
        await proc.wait()
    if killed:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KILL_WAIT
        while loop.time() < deadline and group_alive(pgid):  # noqa: ASYNC110 (polled)
            await asyncio.sleep(0.01)


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to the group; False when no process is left in it."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. Zombies (exited, waiting for their parent
    to reap them) do not count; without ``/proc``, any member counts."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return signal_group(pgid, signal.Signals(0))
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after its ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            return True
    return False
