"""An open-loop load generator and the percentiles the server workloads report.

Open loop: request i is sent at ``start + i / rate`` whether or not the earlier ones have
been answered, and its latency is counted from that planned moment (so a generator that
falls behind, or a server that makes requests queue, shows in the latency instead of
slowing the rate down: no coordinated omission).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


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
    answers: list[Any] = field(default_factory=list)  # the JSON of each good answer
    warmup: int = 0  # requests sent before, not counted


async def open_loop(
    url: str,
    rate: float,
    seconds: float,
    body: Callable[[int], Any],
    *,
    request_timeout: float = 10.0,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> Outcome:
    """POST body(i) to url at ``rate`` per second for ``seconds``, open loop."""
    total = int(rate * seconds)
    out = Outcome()
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=request_timeout, limits=limits) as client:

        async def one(i: int, planned: float) -> None:
            out.send_lag.append(time.perf_counter() - planned)
            try:
                answer = await client.post(url, json=body(i))
            except httpx.HTTPError as exc:
                out.failed.append(f"{i}: {type(exc).__name__}: {exc}")
                return
            done = time.perf_counter()
            if not ok(answer):
                out.failed.append(f"{i}: HTTP {answer.status_code}: {answer.text[:200]}")
                return
            out.latencies.append(done - planned)
            out.answers.append(answer.json())

        # A few requests first, not counted: connections opened, the route's code warm.
        for i in range(3):
            await client.post(url, json=body(-1 - i))
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
    return out
