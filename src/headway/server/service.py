"""One process running the engine (executor and worker), the scheduler, the API and the
flows directory.

SIGTERM or SIGINT stops accepting requests, then stops the engine: the worker hands its
running TaskRuns back (their leases end; they run again on the next start), every state
already committed stays committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn

from headway.api.app import create_app
from headway.api.auth import ProxyConfig
from headway.api.context import ServerContext
from headway.engine.engine import Engine
from headway.errors import HeadwayError
from headway.execution import utcnow
from headway.scheduler.service import Scheduler
from headway.server.flows_dir import FlowsDirectory
from headway.settings import Settings
from headway.store import Store, open_store

log = logging.getLogger("headway.server")
AUTH_MODES = ("", "none", "tokens", "proxy")


class ServerError(HeadwayError):
    """The server cannot start."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    check_access(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.database_url)
    await store.open()
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    engine = Engine(store, settings)
    try:
        if settings.auth == "tokens":
            await _hint_without_tokens(settings, store)
        if flows_dir is not None:
            directory = FlowsDirectory(
                flows_dir, store, engine.storage, settings.tenant, engine.registry
            )
            await directory.apply()
        scheduler = Scheduler(store, engine.flows, engine.executor)
        await engine.start()
        components = {"executor": True, "worker": True, "scheduler": scheduler}
        ctx = ServerContext(engine, settings, components=components)
        background.append(asyncio.create_task(scheduler.run(stop)))
        if flows_dir is not None:
            background.append(asyncio.create_task(directory.watch(stop)))
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
    finally:
        stop.set()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await engine.stop()
        await store.close()


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
