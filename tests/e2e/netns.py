"""Network namespaces for the fault tests: a process of its own network, joined to the host
by a veth pair (10.77.N.1 on the host's side, 10.77.N.2 in the namespace), that a test cuts
off and joins again.

Needs root (or CAP_NET_ADMIN) and ``ip``; :func:`namespaces_permitted` says whether this
machine allows it. Every namespace is named ``hwfault-PID-...`` after the test process that
made it, so that the ones a killed test run left behind are deleted by the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

PREFIX = "hwfault-"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass(frozen=True)
class Namespace:
    name: str
    subnet: int  # N of 10.77.N.0/24

    @property
    def host_address(self) -> str:
        return f"10.77.{self.subnet}.1"

    @property
    def address(self) -> str:
        """The address of the processes in the namespace."""
        return f"10.77.{self.subnet}.2"

    @property
    def host_link(self) -> str:
        return f"hwf{self.subnet}h"

    @property
    def link(self) -> str:
        """The namespace's end of the veth pair."""
        return f"hwf{self.subnet}n"

    @property
    def prefix(self) -> list[str]:
        """What runs a command in the namespace."""
        return ["ip", "netns", "exec", self.name]

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *command], capture_output=True, text=True, check=True, timeout=30
        )

    def cut(self) -> None:
        """Take the namespace's link down: its processes reach nothing outside it (packets
        to the host are dropped; established connections hang, new ones fail)."""
        self.run("ip", "link", "set", "dev", self.link, "down")

    def join(self) -> None:
        """Bring the link up again."""
        self.run("ip", "link", "set", "dev", self.link, "up")


def namespaces_permitted() -> str | None:
    """None when this process may make network namespaces, else why not."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    probe = f"{PREFIX}{os.getpid()}-probe"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add is not permitted: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


def sweep() -> None:
    """Delete the namespaces of test processes that no longer run."""
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        found = re.fullmatch(rf"{PREFIX}(\d+)-.*", name)
        if found and not _running(int(found.group(1))):
            ip("netns", "del", name, check=False)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _used_subnets() -> set[int]:
    used = set()
    for address in re.findall(r"inet 10\.77\.(\d+)\.", ip("-4", "-o", "addr").stdout):
        used.add(int(address))
    return used


@contextlib.contextmanager
def namespaces(count: int) -> Iterator[list[Namespace]]:
    """``count`` namespaces, each joined to the host by its veth pair; deleted at the end
    (with their links). Processes started in them must be stopped first."""
    sweep()
    used = _used_subnets()
    free = [n for n in range(1, 255) if n not in used]
    made: list[Namespace] = []
    try:
        for index in range(count):
            ns = Namespace(f"{PREFIX}{os.getpid()}-{index}", free[index])
            ip("netns", "add", ns.name)
            made.append(ns)
            ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.link)
            ip("link", "set", ns.link, "netns", ns.name)
            ip("addr", "add", f"{ns.host_address}/24", "dev", ns.host_link)
            ip("link", "set", ns.host_link, "up")
            ns.run("ip", "addr", "add", f"{ns.address}/24", "dev", ns.link)
            ns.run("ip", "link", "set", "dev", ns.link, "up")
            ns.run("ip", "link", "set", "dev", "lo", "up")
        yield made
    finally:
        for ns in made:
            ip("netns", "del", ns.name, check=False)
            ip("link", "del", ns.host_link, check=False)
