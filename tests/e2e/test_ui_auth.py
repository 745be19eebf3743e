"""The web UI against a server with access control on (HEADWAY_AUTH=tokens): it asks for an
API token, refuses a wrong one, and sends the right one with every request, the live streams
included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import Cli
from .ui_support import SCREENSHOTS, Server, chromium_path, headway_server, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    require_browser()
    home = tmp_path / "home"
    created = Cli(home).run("tokens", "create", "--role", "admin", "--namespace", "*", "--json")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["token"]
    with headway_server(home, env={"HEADWAY_AUTH": "tokens"}) as server:
        yield server, secret


@pytest.fixture
def page(secured: tuple[Server, str]) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    server, _ = secured
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        opened = context.new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        yield opened
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def test_sign_in_with_a_token_then_follow_an_execution_live(
    page: Page, secured: tuple[Server, str]
) -> None:
    from playwright.sync_api import expect

    server, secret = secured
    assert server.api("GET", "/flows/search").status_code == 401

    page.goto("/flows")
    dialog = page.get_by_role("dialog", name="Sign in")
    expect(dialog).to_contain_text("missing API token")
    dialog.get_by_label("API token").fill("not-a-token")
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog.locator(".alert")).to_contain_text("invalid API token")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign-in.png"))

    dialog.get_by_label("API token").fill(secret)
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("table").get_by_role("link", name="hello", exact=True)).to_be_visible()

    page.get_by_role("link", name="hello", exact=True).click()
    page.get_by_role("button", name="Execute").click()
    page.locator("dialog").get_by_label("name").fill("Grace")
    page.locator("dialog").get_by_role("button", name="Execute").click()
    expect(page).to_have_url(re.compile(r"/executions/\w+$"))
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("Hello Grace!")

    # Signed out, the next request asks again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("dialog", name="Sign in")).to_be_visible()
