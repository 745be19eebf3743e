"""The web UI in Firefox: Debian's firefox-esr, headless, driven through Marionette
(tests/e2e/firefox_support.py) against a real `headway server`. The key journeys of the
Chromium tests: the flows list, the editor's validation at a line then Save, the Execute
dialog to a SUCCESS with its logs, the executions list and its filters, Home, the Workers
page, the dark theme, the keyboard. Each page's screenshot is written under
tests/e2e/screenshots/firefox/. Every test also checks that the pages raised no JavaScript
error and that Firefox tried to reach no other machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .firefox_support import KEYS, Firefox, FirefoxPage, firefox, require_firefox, start_page
from .ui_support import Server, headway_server

BROKEN_AT_LINE_9 = """\
id: ff-live
namespace: ui.firefox
description: Logs, sleeps, logs again.

inputs:
  - id: who
    type: STRING
  - id: times
    type: INTT
"""

LIVE = """\
id: ff-live
namespace: ui.firefox
description: Logs, sleeps, logs again.

inputs:
  - id: who
    type: STRING
  - id: color
    type: SELECT
    values: [red, green]
    defaults: green
  - id: data
    type: FILE

tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: "first for {{ inputs.who }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
  - id: second
    type: io.kestra.plugin.core.log.Log
    message: "second for {{ inputs.who }} in {{ inputs.color }}: {{ read(inputs.data) | trim }}"
"""

DAG = """\
id: ff-dag
namespace: ui.firefox
tasks:
  - id: build
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: fetch
          type: io.kestra.plugin.core.log.Log
          message: fetch
      - task:
          id: parse
          type: io.kestra.plugin.core.log.Log
          message: parse
        dependsOn: [fetch]
      - task:
          id: lint
          type: io.kestra.plugin.core.log.Log
          message: lint
        dependsOn: [fetch]
      - task:
          id: publish
          type: io.kestra.plugin.core.log.Log
          message: publish
        dependsOn: [parse, lint]
"""

YAML = {"Content-Type": "application/x-yaml"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_firefox()
    with headway_server(tmp_path_factory.mktemp("ui-firefox") / "home") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    with firefox(tmp_path_factory.mktemp("firefox")) as launched:
        yield launched
        # Nothing left this machine: whatever Firefox tried to reach went to the trap.
        assert launched.proxy.requests == [], launched.proxy.requests


@pytest.fixture
def page(browser: Firefox, server: Server) -> Iterator[FirefoxPage]:
    opened = start_page(browser, server.url)
    yield opened
    errors = opened.errors()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert browser.proxy.requests == [], f"Firefox reached out: {browser.proxy.requests}"


def ensure_live_flow(server: Server) -> None:
    if server.api("GET", "/flows/ui.firefox/ff-live").status_code == 404:
        created = server.api("POST", "/flows", content=LIVE, headers=YAML)
        assert created.status_code == 200, created.text


def run(server: Server, namespace: str, flow_id: str, **params: Any) -> dict[str, Any]:
    done = server.api(
        "POST", f"/executions/{namespace}/{flow_id}", params={"wait": "true", **params}
    )
    assert done.status_code == 200, done.text
    answer: dict[str, Any] = done.json()
    return answer


def test_the_flows_list_renders_and_searches(page: FirefoxPage) -> None:
    page.goto("/flows")
    table = page.find("table")
    for flow_id in ("approval", "disk-report", "fanout", "hello"):
        table.find("a", flow_id)
    # The page is laid out: the table spans the content, the top bar is one line.
    assert table.box()["width"] > 1000, table.box()
    assert page.find("header.topbar").box()["height"] < 60
    page.shot("flows-list")

    page.find("#flows-q").type("greets")
    page.find("button", "Search").click()
    page.expect_url(r"/flows\?.*q=greets")
    page.expect_count("tbody tr", 1)
    page.expect_text("tbody", "hello")


def test_the_editor_shows_the_error_at_its_line_then_saves(
    page: FirefoxPage, server: Server
) -> None:
    if server.api("GET", "/flows/ui.firefox/ff-live").status_code == 200:
        assert server.api("DELETE", "/flows/ui.firefox/ff-live").status_code == 204
    page.goto("/flows")
    page.find("a", "New flow").click()
    editor = page.find("#flow-source")
    page.expect_text("#validation-status", "Valid")  # the template
    editor.fill(BROKEN_AT_LINE_9)
    page.expect_text("#validation-status", re.compile("problem"))
    line = page.find('.gutter-line.error[data-line="9"]')
    page.expect_text("#problems", "Line 9")
    page.expect_text("#problems", "INTT")
    # The marked line of the backdrop is the textarea's line 9: the text typed and its
    # highlighting stay on top of each other.
    band = page.find(".editor-backdrop .band:nth-child(9)")
    assert "error" in (band.attribute("class") or "")
    padding, height = page.js(
        "const s = getComputedStyle(arguments[0]);"
        " return [parseFloat(s.paddingTop), parseFloat(s.lineHeight)]",
        editor,
    )
    ninth = editor.box()["y"] + padding + 8 * height
    assert abs(band.box()["y"] - ninth) < 1.5, (band.box(), ninth)
    assert abs(line.box()["y"] - ninth) < 1.5, (line.box(), ninth)
    # No spell checking: Firefox would underline the words of the (transparent) text.
    assert page.js("return arguments[0].spellcheck", editor) is False
    # The keys typed go into the text where the caret is, and are validated again.
    page.js("arguments[0].setSelectionRange(0, 0)", editor)
    editor.type("# a comment\n")
    page.expect_text("#validation-status", re.compile("problem"))
    page.find('.gutter-line.error[data-line="10"]')
    assert editor.value().startswith("# a comment\nid: ff-live\n"), editor.value()
    page.shot("editor-error")

    editor.fill(LIVE)
    page.expect_text("#validation-status", "Valid")
    page.expect_count(".gutter-line.error", 0)
    page.find("button", "Save").click()
    page.expect_url(r"/flows/ui\.firefox/ff-live$")
    page.expect_text("h1", "ff-live")
    page.expect_text('.topo-node[data-task="wait"]', "Sleep")
    page.shot("flow-page")
    page.find('[role="tab"]', "Source").click()
    page.expect_text(".yaml-view", "io.kestra.plugin.core.flow.Sleep")
    page.shot("flow-source")


def test_the_execute_dialog_runs_the_flow_to_success_with_its_logs(
    page: FirefoxPage, server: Server, tmp_path: Path
) -> None:
    ensure_live_flow(server)
    upload = tmp_path / "note.txt"
    upload.write_text("uploaded text\n")

    page.goto("/flows/ui.firefox/ff-live")
    page.find("button", "Execute").click()
    dialog = page.find("dialog")
    assert page.find("#exec-color").value() == "green"
    assert page.focused()["id"] == "exec-who"
    dialog.find("button", "Execute").click()
    # `who` is required and empty: the API's message is shown in the form.
    page.expect_text("dialog .alert.error", "who")
    page.expect_attribute("#exec-who", "aria-invalid", "true")
    page.shot("execute-dialog-error", full_page=False)

    page.find("#exec-who").type("Ada")
    page.find("#exec-color").choose("red")
    page.find("#exec-data", visible=False).upload(upload)
    dialog.find("button", "Execute").click()
    page.expect_url(r"/executions/\w+$")

    page.expect_text("#logs", "first for Ada")
    # The first line arrived while the execution still runs: the page follows it live.
    page.expect_text("#execution-state", "RUNNING")
    page.expect_no_text("#logs", "second for Ada")
    page.shot("execution-running")
    page.expect_text("#logs", "second for Ada in red: uploaded text")
    page.expect_text("#execution-state", "SUCCESS")
    page.expect_text("#log-status", "ended")
    page.expect_count("table.taskruns tbody tr", 3)
    page.expect_count(".gantt-bar", 3)
    # Ended in SUCCESS: nothing to kill or restart; replay and labels stay.
    page.expect_count(".page-head button", 0, "Restart")
    page.expect_count(".page-head button", 0, "Kill")
    page.find(".page-head button", "Replay")

    # The level filter, and the FILE input shown with its size.
    page.find("#log-level").choose("ERROR")
    page.expect_text("#logs", "No line matches")
    page.find("#log-level").choose("INFO")
    page.expect_text("#logs", "second for Ada")
    page.expect_text(".files-out li .file-preview", "uploaded text")
    page.expect_text(".files-out li .file-size", "14 B")
    page.find(".files-out a", "Download note.txt")
    page.shot("execution-done")
    page.find('[role="tab"]', "Topology").click()
    page.expect_count(".topo-node.state-success", 3)
    page.shot("execution-topology")


def test_the_executions_list_filters_on_the_server(page: FirefoxPage, server: Server) -> None:
    run(server, "demo", "hello")
    run(server, "demo", "hello", labels=["team:ops"])
    page.goto("/executions")
    page.find("table.executions")
    page.find("#ex-flow").type("hello")
    page.find("button", "Filter").click()
    page.expect_url(r"flowId=hello")
    rows = "table.executions tbody tr"
    page.wait_for(lambda: page.count(rows) >= 2, "two executions of hello")
    assert all("hello" in text for text in page.texts(rows)), page.texts(rows)
    # A select filters as soon as it changes.
    page.find("#ex-since").choose("PT1H")
    page.expect_url(r"since=PT1H")
    page.wait_for(lambda: page.count(rows) >= 2, "two executions of hello in the last hour")
    page.find("#ex-labels").type("team:ops" + KEYS["Enter"])
    page.expect_url(r"labels=team%3Aops")
    page.expect_count(rows, 1)
    page.shot("executions-list")
    page.find("#ex-state").choose("FAILED")
    page.expect_url(r"state=FAILED")
    page.expect_text(".empty", "No execution matches")


def test_the_dark_theme_is_chosen_and_kept(page: FirefoxPage) -> None:
    background = "return getComputedStyle(document.documentElement).backgroundColor"
    page.goto("/flows/demo/hello")
    page.find("h1")
    assert page.js(background) == "rgb(246, 247, 249)"
    page.find("#theme-toggle", re.compile("Switch to the dark theme")).click()
    page.expect_attribute("html", "data-theme", "dark")
    assert page.js(background) == "rgb(20, 23, 30)"
    page.find('[role="tab"]', "Revisions").click()
    page.expect_text(".revisions table", "current")
    page.shot("flow-dark")
    # Kept across a reload and on other pages; the toggle goes back to light.
    page.goto("/executions")
    page.expect_attribute("html", "data-theme", "dark")
    page.find("table.executions")
    page.shot("executions-dark")
    page.find("#theme-toggle", re.compile("Switch to the light theme")).click()
    page.expect_attribute("html", "data-theme", "light")
    assert page.js(background) == "rgb(246, 247, 249)"


def test_the_keyboard_reaches_and_activates_the_controls(page: FirefoxPage) -> None:
    page.goto("/flows/demo/hello")
    page.find("button", "Execute")
    # The page starts with the focus on its content; Tab walks its links and buttons, with
    # the focus visible.
    assert page.focused()["id"] == "main", page.focused()
    reached: list[dict[str, str]] = []
    while len(reached) < 10 and (not reached or reached[-1]["text"] != "Execute"):
        page.press("Tab")
        reached.append(page.focused())
    seen = [(r["tag"], r["text"], r["outline"]) for r in reached]
    assert ("A", "Edit", "solid") in seen, seen
    assert seen[-1] == ("BUTTON", "Execute", "solid"), seen
    # Enter opens its dialog on its first field, Escape closes it and gives the focus back.
    page.press("Enter")
    page.find("dialog")
    assert page.focused()["id"] == "exec-name", page.focused()
    page.press("Escape")
    page.expect_count("dialog", 0)
    assert page.focused()["text"] == "Execute", page.focused()
    # Enter again, a name typed, Enter in the field runs the flow.
    page.press("Enter")
    page.find("dialog")
    # The field's default is selected: typing replaces it.
    page.type("Keys")
    assert page.find("#exec-name").value() == "Keys"
    page.shot("execute-dialog-keyboard", full_page=False)
    page.press("Enter")
    page.expect_url(r"/executions/\w+$")
    page.expect_text("#logs", "Hello Keys!")
    # From the skip link at the top, Tab walks the navigation in order, and Enter follows
    # a link.
    page.find("a.skip", visible=False).focus()
    order = []
    for _ in range(6):
        page.press("Tab")
        order.append(page.focused()["text"])
    assert order == ["Headway", "Home", "Flows", "Executions", "Namespaces", "Workers"], order
    page.press("Shift+Tab")
    page.press("Enter")
    page.expect_url(r"/namespaces$")
    page.find("a", "demo")


def test_home_the_workers_and_a_namespace_render(page: FirefoxPage, server: Server) -> None:
    run(server, "demo", "hello")
    page.goto("/")
    page.expect_count("#over-time .chart-col", 24)
    page.find("#over-time .chart-seg.state-success")
    page.wait_for(
        lambda: page.texts('.count[data-state="SUCCESS"] .count-number') not in ([], ["0"]),
        "a count of successful executions",
    )
    # The eight counts in one row (a scrollbar takes some of the width in Firefox).
    tops = page.js(
        "return [...document.querySelectorAll('.count')].map((c) => c.getBoundingClientRect().y)"
    )
    assert len(tops) == 8 and len(set(tops)) == 1, tops
    page.expect_text("#workers-count", re.compile(r"Workers alive 1 / 1"))
    page.shot("home")
    # The Workers page: the server's own worker, alive.
    page.find("#workers-count").click()
    page.expect_url(r"/workers$")
    page.expect_text("#workers tbody tr", re.compile(r"\d+ s ago"))
    page.expect_text("#workers .badge.worker-alive", "alive")
    page.expect_text("#workers-summary", "1 alive of 1 registered")
    page.shot("workers")
    page.goto("/namespaces/demo")
    page.expect_text("h1", "demo")
    page.find("a", "approval")
    page.find('[role="tab"]', "KV").click()
    page.find("button", "New key")
    page.shot("namespace")


def test_a_dag_is_drawn_with_its_lines(page: FirefoxPage, server: Server) -> None:
    created = server.api("POST", "/flows", content=DAG, headers=YAML)
    assert created.status_code == 200, created.text
    page.goto("/flows/ui.firefox/ff-dag")
    dag = '.topo-group[data-task="build"] .topo-dag'
    page.expect_count(f"{dag} .topo-edge", 4)
    fetch, parse, lint, publish = (
        page.find(f'.topo-node[data-task="{task}"]').box()
        for task in ("fetch", "parse", "lint", "publish")
    )
    # Layers: fetch, then parse and lint side by side, then publish; the line from fetch to
    # parse goes from the bottom of one to the top of the other (its arrow 3 px short).
    assert fetch["y"] + fetch["height"] < parse["y"] == lint["y"], (fetch, parse, lint)
    assert parse["x"] < lint["x"] and lint["y"] + lint["height"] < publish["y"]
    line = page.find(f'{dag} .topo-edge[data-source="fetch"][data-target="parse"]')
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", line.attribute("d") or "")]
    origin = page.find(dag).box()
    assert abs(origin["y"] + numbers[1] - (fetch["y"] + fetch["height"])) < 2, numbers
    assert abs(origin["y"] + numbers[-1] + 3 - parse["y"]) < 2, numbers
    page.shot("flow-dag")


def test_the_pages_errors_are_caught(browser: Firefox, server: Server) -> None:
    """The check every test ends with sees an exception, a rejected promise and an error in
    an event handler of the page (and only of the server's pages)."""
    page = start_page(browser, server.url)
    page.goto("/flows")
    page.find("table")
    page.js(
        "setTimeout(() => { throw new Error('thrown'); });"
        " Promise.reject(new Error('rejected'));"
        " document.querySelector('h1').addEventListener('click', () => null.x);"
    )
    page.find("h1").click()
    caught: list[str] = []

    def three() -> bool:
        caught.extend(page.errors())
        return len(caught) >= 3

    page.wait_for(three, lambda: f"three errors, not {caught}")
    assert [e.split(" (")[0] for e in sorted(caught)] == [
        "Error: rejected",
        "Error: thrown",
        'TypeError: can\'t access property "x" of null',
    ], caught
    assert browser.version().split(".")[0].isdigit(), browser.capabilities
