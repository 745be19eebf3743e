"""What the UI tests need: Debian's Chromium (or a clear skip), and `headway server` started
as a subprocess on a free port with its own HEADWAY_HOME and the example flows."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from .conftest import Cli

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def require_browser() -> None:
    """Skip when Chromium or Playwright is missing, unless HEADWAY_REQUIRE_SERVICES=1 asks
    for a failure instead."""
    missing = []
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing.append(f"Debian's chromium ({CHROMIUM}; apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if not missing:
        return
    reason = "the UI tests need " + " and ".join(missing)
    if os.environ.get("HEADWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (HEADWAY_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def chromium_path() -> str:
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, launched by Playwright (never a browser of its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path())
        try:
            yield launched
        finally:
            launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/v1{path}", timeout=10, **kwargs)


@contextmanager
def headway_server(home: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`headway server` with the examples, on a free port, with `env` added to a clean
    environment (HEADWAY_HOME=home)."""
    port = free_port()
    cli = Cli(home)
    process = subprocess.Popen(
        cli.command("server", "--port", str(port), "--flows", str(EXAMPLES)),
        env={**cli.env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _wait_healthy(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            _, err = server.process.communicate()
            raise AssertionError(f"headway server exited {server.process.returncode}: {err}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"headway server not healthy at {server.url} after {timeout} s")


# The JavaScript errors of each page opened by open_page.
_PAGE_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def open_page(browser: Browser, url: str, token: str | None = None) -> Page:
    """A page of its own context (light theme, 1280x900) at `url`, signed in with `token`
    (kept as the UI keeps it); its JavaScript errors are checked by `close_page`."""
    context = browser.new_context(
        base_url=url, viewport={"width": 1280, "height": 900}, color_scheme="light"
    )
    context.set_default_timeout(15_000)
    if token:
        context.add_init_script(f"localStorage.setItem('headway.token', {json.dumps(token)})")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    _PAGE_ERRORS[opened] = errors
    return opened


def close_page(page: Page) -> None:
    errors = _PAGE_ERRORS.pop(page, [])
    page.context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """The page's screenshot (only the window with a dialog open: its backdrop covers only
    the window)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
