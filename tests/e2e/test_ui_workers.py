"""The Workers page in headless Chromium against a real `headway server` (its worker runs in
the process, so one worker is alive), with a silent worker registered in the same store:
the table and its badges in both themes, the page read again while open and not once left,
the empty state, the keyboard, and Home's "Workers alive N / M". Screenshots go to
tests/e2e/screenshots/."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from headway.cli.local import local_store
from headway.execution import utcnow
from headway.settings import Settings
from headway.store.base import Store, WorkerInfo

from .ui_support import (
    Server,
    chromium,
    close_page,
    headway_server,
    open_page,
    require_browser,
    shot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SLOTS = 3
SILENT = "gpu-host:4242:0badc0de"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-workers") / "home"


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[Server]:
    require_browser()
    with headway_server(home, {"HEADWAY_WORKER_SLOTS": str(SLOTS)}) as running:
        deadline = time.monotonic() + 30
        while not running.api("GET", "/workers").json()["total"]:
            assert time.monotonic() < deadline, "the server's worker never registered"
            time.sleep(0.2)
        # A worker of another host that stopped beating two minutes ago (as one killed
        # would): listed as silent until ten leases have passed (5 minutes), then forgotten.
        register(home, SILENT, group="gpu", host="gpu-host", beat=timedelta(minutes=2))
        yield running


def in_store(home: Path, change: Callable[[Store], Awaitable[Any]]) -> None:
    """`change` done on the server's store, from a thread of its own (Playwright's sync API
    runs an event loop in this one)."""

    async def run() -> None:
        async with local_store(Settings.load(environ={"HEADWAY_HOME": str(home)})) as store:
            await change(store)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def register(home: Path, worker_id: str, *, group: str | None, host: str, beat: timedelta) -> None:
    """A worker registered in the server's store, its last heartbeat `beat` ago."""
    at = utcnow() - beat
    worker = WorkerInfo(worker_id, group, 2, host, at - timedelta(minutes=5))
    in_store(home, lambda store: store.heartbeat(worker, [], at, at))


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    opened = open_page(browser, server.url)
    yield opened
    close_page(opened)


def the_servers_worker(server: Server) -> dict[str, Any]:
    found: list[dict[str, Any]] = server.api("GET", "/workers").json()["results"]
    [own] = [w for w in found if w["id"] != SILENT and w["alive"]]
    return own


def test_the_workers_page_lists_the_alive_and_the_silent(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    own = the_servers_worker(server)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workers").click()
    expect(page).to_have_url(re.compile(r"/workers$"))
    expect(page.locator("h1")).to_have_text("Workers")
    expect(page).to_have_title("Workers · Headway")
    expect(page.locator('nav a[data-nav="workers"]')).to_have_attribute("aria-current", "page")
    expect(page.locator("#workers-summary")).to_contain_text("1 alive of 2 registered")
    headers = page.locator("#workers thead th").all_text_contents()
    assert headers == ["Worker", "Host", "Group", "Slots", "Started", "Last heartbeat", "State"]
    # The server's worker: alive, no group, its slots, a heartbeat seconds ago.
    alive = page.locator(f'#workers tr[data-worker="{own["id"]}"]')
    cells = alive.locator("td")
    expect(cells.nth(0)).to_have_text(own["id"])
    expect(cells.nth(1)).to_have_text(own["host"])
    expect(cells.nth(2)).to_have_text("-")
    expect(cells.nth(3)).to_have_text(str(SLOTS))
    expect(cells.nth(5)).to_have_text(re.compile(r"^\d+ s ago$"))
    expect(cells.nth(6)).to_have_text("alive")
    assert cells.nth(4).locator("time").get_attribute("datetime") == own["started"]
    # The silent one: its group, a heartbeat minutes ago, an outlined badge in the danger
    # colour (the alive one is filled in the success colour).
    silent = page.locator(f'#workers tr[data-worker="{SILENT}"] td')
    expect(silent.nth(1)).to_have_text("gpu-host")
    expect(silent.nth(2)).to_have_text("gpu")
    expect(silent.nth(5)).to_have_text(re.compile(r"^[234] min ago$"))
    expect(silent.nth(6)).to_have_text("silent")
    colours = page.evaluate(
        """[".worker-alive", ".worker-silent"].map((s) => {
             const style = getComputedStyle(document.querySelector(s));
             return [style.backgroundColor, style.color];
           })"""
    )
    assert colours[0][0] == "rgb(47, 158, 68)", colours
    assert colours[1] == ["rgba(0, 0, 0, 0)", "rgb(201, 42, 42)"], colours
    shot(page, "workers")
    page.get_by_role("button", name=re.compile("Switch to the dark theme")).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    silent_colour = page.evaluate(
        "getComputedStyle(document.querySelector('.worker-silent')).color"
    )
    assert silent_colour == "rgb(255, 107, 107)", silent_colour
    shot(page, "workers-dark")


def test_the_page_is_read_again_while_open_and_not_once_left(
    page: Page, server: Server, home: Path
) -> None:
    from playwright.sync_api import expect

    reads: list[float] = []
    page.on(
        "request",
        lambda r: reads.append(time.monotonic()) if r.url.endswith("/api/v1/workers") else None,
    )
    page.goto("/workers")
    expect(page.locator("#workers tbody tr")).to_have_count(2)
    # A worker that registers while the page is open shows up without a reload, in place.
    register(home, "late-host:1:late", group=None, host="late-host", beat=timedelta(seconds=0))
    try:
        late = page.locator('#workers tr[data-worker="late-host:1:late"]')
        expect(late.locator("td").nth(6)).to_have_text("alive", timeout=20_000)
        expect(page.locator("#workers-summary")).to_contain_text("2 alive of 3 registered")
        # Its heartbeat ages from one read to the next.
        expect(late.locator("td").nth(5)).not_to_have_text("0 s ago", timeout=20_000)
    finally:
        in_store(home, lambda store: store.remove_worker("late-host:1:late"))
    expect(page.locator("#workers tbody tr")).to_have_count(2, timeout=20_000)
    assert len(reads) >= 3, reads
    # Left for the flows: no more reads of the workers.
    page.get_by_role("link", name="Flows", exact=True).click()
    expect(page.locator("h1")).to_have_text("Flows")
    left = time.monotonic()
    page.wait_for_timeout(7000)
    assert not [t for t in reads if t > left + 0.5], reads


def test_no_worker_registered(page: Page) -> None:
    from playwright.sync_api import expect

    page.route(
        "**/api/v1/workers",
        lambda route: route.fulfill(json={"results": [], "total": 0}),
    )
    page.goto("/workers")
    empty = page.locator("main .empty")
    expect(empty).to_have_text(
        "No worker registered: start headway worker or a server with a worker."
    )
    expect(empty.locator("code")).to_have_text("headway worker")
    expect(page.locator("#workers-summary")).to_contain_text("0 alive of 0 registered")
    shot(page, "workers-empty")
    page.goto("/")
    expect(page.locator("#workers-count")).to_have_text("Workers alive 0 / 0")


def test_an_error_is_shown_and_the_page_recovers(page: Page) -> None:
    from playwright.sync_api import expect

    failing = {"on": True}

    def answer(route: Any) -> None:
        if failing["on"]:
            route.fulfill(status=503, json={"message": "the store is away"})
        else:
            route.continue_()

    page.route("**/api/v1/workers", answer)
    page.goto("/workers")
    expect(page.get_by_role("alert")).to_have_text("the store is away")
    failing["on"] = False
    expect(page.locator("#workers tbody tr")).to_have_count(2, timeout=20_000)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_home_counts_the_workers_alive(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    count = page.locator("#workers-count")
    expect(count).to_have_text("Workers alive 1 / 2")
    # The eight execution counts stay one row of eight beside it.
    expect(page.locator(".count")).to_have_count(8)
    tops = page.locator(".count").evaluate_all(
        "counts => counts.map((c) => c.getBoundingClientRect().y)"
    )
    assert len(set(tops)) == 1, tops
    shot(page, "home-workers")
    # From the skip link, Tab walks the navigation to Workers; Enter opens it, and Home's
    # link is reached by the keyboard too.
    page.get_by_role("link", name="Skip to content").focus()
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.textContent"))
    assert order == ["Headway", "Home", "Flows", "Executions", "Namespaces", "Workers"], order
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/workers$"))
    expect(page.locator("#workers tbody tr")).to_have_count(2)
    page.go_back()
    count.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/workers$"))
    expect(page.locator("h1")).to_have_text("Workers")
