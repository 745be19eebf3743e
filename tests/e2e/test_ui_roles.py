"""The web UI hides what the caller's role cannot do (GET /me), with access control on
(HEADWAY_AUTH=tokens): a viewer token sees no action, a runner token of one namespace runs and
acts there without editing. Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .conftest import Cli
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
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    require_browser()
    home = tmp_path_factory.mktemp("ui-roles") / "home"
    secrets = {}
    for role, namespace in (("admin", "*"), ("viewer", "*"), ("runner", "demo")):
        created = Cli(home).run(
            "tokens", "create", "--role", role, "--namespace", namespace, "--json"
        )
        assert created.returncode == 0, created.stderr
        secrets[role] = json.loads(created.stdout)["token"]
    with headway_server(home, env={"HEADWAY_AUTH": "tokens"}) as running:
        yield running, secrets


@pytest.fixture(scope="module")
def browser(secured: tuple[Server, dict[str, str]]) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_viewer_sees_no_action_it_cannot_use(
    browser: Browser, secured: tuple[Server, dict[str, str]]
) -> None:
    from playwright.sync_api import expect

    server, secrets = secured
    admin = {"Authorization": f"Bearer {secrets['admin']}"}
    paused = server.api("POST", "/executions/demo/approval", headers=admin, params={"wait": "true"})
    assert paused.json()["state"]["current"] == "PAUSED", paused.text
    execution_id = paused.json()["id"]

    viewer = open_page(browser, server.url, secrets["viewer"])
    try:
        viewer.goto("/flows/demo/hello")
        expect(viewer.locator("h1")).to_contain_text("hello")
        for name in ("Execute", "Delete"):
            expect(viewer.get_by_role("button", name=name)).to_have_count(0)
        expect(viewer.get_by_role("link", name="Edit")).to_have_count(0)
        shot(viewer, "viewer-flow")
        viewer.goto(f"/executions/{execution_id}")
        expect(viewer.locator("#execution-state")).to_have_text("PAUSED")
        for name in ("Kill", "Resume", "Pause", "Restart", "Replay", "Labels", "State"):
            expect(viewer.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(viewer.locator("#resume")).to_be_hidden()
        expect(viewer.locator("#eval-expression")).to_have_count(0)
        expect(viewer.locator("#logs")).to_be_visible()
        shot(viewer, "viewer-execution")
        viewer.goto("/flows")
        expect(viewer.get_by_role("link", name="hello", exact=True)).to_be_visible()
        expect(viewer.get_by_role("link", name="New flow")).to_have_count(0)
        viewer.goto("/executions")
        expect(viewer.locator("table.executions tbody tr").first).to_be_visible()
        expect(viewer.get_by_label("Select all")).to_have_count(0)
        viewer.goto("/namespaces/demo?tab=KV")
        expect(viewer.get_by_role("button", name="New key")).to_have_count(0)
        # The editor, reached by its address: read only, without Save.
        viewer.goto("/flows/demo/hello/edit")
        expect(viewer.locator("#flow-source")).to_have_attribute("readonly", "")
        expect(viewer.get_by_role("button", name="Save")).to_have_count(0)
    finally:
        close_page(viewer)

    # A runner of demo runs and acts there, but does not edit.
    runner = open_page(browser, server.url, secrets["runner"])
    try:
        runner.goto("/flows/demo/hello")
        expect(runner.get_by_role("button", name="Execute")).to_be_visible()
        expect(runner.get_by_role("link", name="Edit")).to_have_count(0)
        expect(runner.get_by_role("button", name="Delete")).to_have_count(0)
        runner.goto(f"/executions/{execution_id}")
        expect(runner.get_by_role("button", name="Kill")).to_be_visible()
        expect(runner.locator("#resume")).to_be_visible()
    finally:
        close_page(runner)
