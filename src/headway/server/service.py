"""One process running the engine (executor and worker), the scheduler, the API and the
flows directory -- or some of them (``components``: ``headway worker`` is a worker alone).

SIGTERM or SIGINT stops accepting requests, then stops the engine: the worker claims
nothing more, lets running TaskRuns finish for up to ``drain_seconds``, then hands the rest
back (they run again, as a new attempt, on any worker); every state already committed stays
committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path

import uvicorn

from headway.api.app import create_app
from headway.api.auth import ProxyConfig
from headway.api.context import ServerContext
from headway.engine.engine import EXECUTOR, WORKER, Engine
from headway.errors import HeadwayError
from headway.execution import Execution, utcnow
from headway.scheduler.service import Scheduler
from headway.server.flows_dir import FlowsDirectory
from headway.settings import Settings
from headway.store import Store, open_store
from headway.store.postgres.connection import redact

log = logging.getLogger("headway.server")
AUTH_MODES = ("", "none", "tokens", "proxy")
API, SCHEDULER = "api", "scheduler"
COMPONENTS = (API, EXECUTOR, SCHEDULER, WORKER)


class ServerError(HeadwayError):
    """The server cannot start."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_components(text: str) -> frozenset[str]:
    """The components a process runs, from ``api,executor,scheduler,worker`` (any of)."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(COMPONENTS))
    if unknown or not names:
        got = f"unknown {', '.join(unknown)}" if unknown else "none"
        raise ServerError(
            f"setting components: {got}; expected a comma-separated list of {', '.join(COMPONENTS)}"
        )
    return frozenset(names)


def check_access(settings: Settings) -> None:
    """Refuse to serve without access control on an address others can reach."""
    if settings.auth not in AUTH_MODES:
        raise ServerError(
            f"setting auth: expected one of tokens, proxy, none, got {settings.auth!r}"
        )
    if settings.auth == "" and not is_loopback(settings.host):
        raise ServerError(
            f"refusing to listen on {settings.host} without access control: set "
            "HEADWAY_AUTH=tokens (or proxy), or HEADWAY_AUTH=none to accept that anyone who "
            "reaches the port can run anything"
        )
    if settings.auth == "proxy":
        ProxyConfig.from_settings(settings)  # refuses proxy mode without trusted proxies


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ours stops the engine after it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(
    settings: Settings,
    *,
    flows_dir: Path | None = None,
    on_ready: Callable[[ServerContext], None] | None = None,
) -> None:
    components = parse_components(settings.components)
    if API in components:
        check_access(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.database_url)
    await store.open()
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    engine = Engine(store, settings, components=components & {EXECUTOR, WORKER})
    engine.worker.drain_seconds = settings.drain_seconds
    try:
        if settings.auth == "tokens" and API in components:
            await _hint_without_tokens(settings, store)
        if flows_dir is not None:
            directory = FlowsDirectory(
                flows_dir, store, engine.storage, settings.tenant, engine.registry
            )
            await directory.apply()
        scheduler = None
        if SCHEDULER in components:
            scheduler = Scheduler(store, engine.flows, engine.executor)
        elif EXECUTOR in components:
            # The scheduler runs elsewhere: every end is recorded for its Flow triggers.
            engine.executor.end_hooks.append(_recorder(store))
        await engine.start()
        present: dict[str, object] = {name: True for name in components}
        if scheduler is not None:
            present[SCHEDULER] = scheduler
            background.append(asyncio.create_task(scheduler.run(stop)))
        ctx = ServerContext(engine, settings, components=present)
        if flows_dir is not None:
            background.append(asyncio.create_task(directory.watch(stop)))
        if API in components:
            await _serve_api(settings, ctx, on_ready)
        else:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            log.info("Headway %s running on %s", ", ".join(sorted(components)), _where(settings))
            if WORKER in components:
                log.info(
                    "worker %s ready: %d slot(s), group %s",
                    engine.worker.id,
                    engine.worker.slots,
                    engine.worker.group or "(none)",
                )
            if on_ready is not None:
                on_ready(ctx)
            await stop.wait()
            log.info("stopping")
    finally:
        stop.set()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await engine.stop()
        await store.close()


async def _serve_api(
    settings: Settings, ctx: ServerContext, on_ready: Callable[[ServerContext], None] | None
) -> None:
    config = uvicorn.Config(
        create_app(ctx),
        host=settings.host,
        port=settings.port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=5,
        # Behind a trusted proxy, the client is the proxy: never an X-Forwarded-For.
        proxy_headers=settings.auth != "proxy",
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _exit, server)
    serving = asyncio.create_task(server.serve())
    # uvicorn says it listens only through this flag.
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    if server.started:
        log.info("Headway listening on http://%s:%d", settings.host, settings.port)
        if on_ready is not None:
            on_ready(ctx)
    await serving
    if not server.started:
        raise ServerError(f"could not listen on {settings.host}:{settings.port}")


def _where(settings: Settings) -> str:
    """The store, without its password."""
    return redact(settings.database_url)


def _recorder(store: Store) -> Callable[[Execution], Awaitable[None]]:
    async def record(execution: Execution) -> None:
        await store.record_ended(execution.tenant, [execution.id])

    return record


async def _hint_without_tokens(settings: Settings, store: Store) -> None:
    now = utcnow()
    if not any(token.active(now) for token in await store.list_tokens(settings.tenant)):
        log.warning(
            "HEADWAY_AUTH=tokens and no API token yet: every request will be refused until "
            "you create one (headway tokens create --role admin --namespace '*')"
        )


def _exit(server: uvicorn.Server) -> None:
    log.info("stopping")
    server.should_exit = True
