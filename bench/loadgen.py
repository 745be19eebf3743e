"""An open-loop load generator and the percentiles the server workloads report.

Open loop: request i is sent at ``start + i / rate`` whether or not the earlier ones have
been answered, and its latency is counted from that planned moment (so a generator that
falls behind, or a server that makes requests queue, shows in the latency instead of
slowing the rate down: no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of values (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of durations in seconds, as ms rounded to 0.01."""
    if not seconds:
        return {}
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


@dataclass
class Outcome:
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # planned send to answer, seconds
    failed: list[str] = field(default_factory=list)  # one line per failed request
    send_lag: list[float] = field(default_factory=list)  # actual send - planned, seconds
    warmup: int = 0  # requests sent before, not counted
    connections: int = 0  # opened, warm-up included


# A connection idle longer is closed rather than reused: uvicorn closes one idle for 5 s
# (timeout_keep_alive), and a request written as it does so would fail without reaching it.
IDLE_MAX = 3.0


class Connections:
    """HTTP/1.1 keep-alive connections to one server, opened when none is idle: a few lines
    of asyncio streams rather than an HTTP client library, so that the generator spends
    little CPU of the machine it shares with the server (a request costs it about 0.1 ms)."""

    def __init__(self, url: str, outcome: Outcome) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        # (reader, writer, idle since)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.outcome = outcome

    async def post(self, body: bytes) -> tuple[int, bytes]:
        """(status, body) of one POST of a JSON body."""
        now = time.perf_counter()
        while self.idle and now - self.idle[-1][2] > IDLE_MAX:
            self.idle.pop()[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.outcome.connections += 1
        try:
            writer.write(
                f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            answer = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer, time.perf_counter()))
        return status, answer

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


async def open_loop(
    url: str,
    rate: float,
    seconds: float,
    body: Callable[[int], Any],
    *,
    request_timeout: float = 10.0,
) -> Outcome:
    """POST the JSON of body(i) to url at ``rate`` per second for ``seconds``, open loop; an
    answer other than 200 (or none within ``request_timeout``) is a failure."""
    total = int(rate * seconds)
    out = Outcome()
    conns = Connections(url, out)

    async def one(i: int, planned: float) -> None:
        out.send_lag.append(time.perf_counter() - planned)
        try:
            async with asyncio.timeout(request_timeout):
                status, answer = await conns.post(json.dumps(body(i)).encode())
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            out.failed.append(f"{i}: {type(exc).__name__}: {exc}")
            return
        done = time.perf_counter()
        if status != 200:
            out.failed.append(f"{i}: HTTP {status}: {answer[:200]!r}")
            return
        out.latencies.append(done - planned)

    try:
        # A few requests first, not counted: a connection opened, the route's code warm.
        for i in range(3):
            await conns.post(json.dumps(body(-1 - i)).encode())
            out.warmup += 1
        tasks = []
        start = time.perf_counter() + 0.05
        for i in range(total):
            planned = start + i / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, planned)))
            out.sent += 1
        await asyncio.gather(*tasks)
    finally:
        conns.close()
    return out
