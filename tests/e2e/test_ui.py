"""The web UI, driven in headless Chromium (Debian's, through Playwright) against a real
`headway server`: the flows list, the editor's validation as you type, the Execute dialog,
live logs, approving a paused execution, the actions' errors. Each page's screenshot is
written under tests/e2e/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .ui_support import (
    SCREENSHOTS,
    Server,
    chromium,
    headway_server,
    require_browser,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BROKEN_AT_LINE_9 = """\
id: ui-live
namespace: ui.tests
description: Logs, sleeps, logs again.

inputs:
  - id: who
    type: STRING
  - id: times
    type: INTT
"""

LIVE = """\
id: ui-live
namespace: ui.tests
description: Logs, sleeps, logs again.

inputs:
  - id: who
    type: STRING
  - id: times
    type: INT
    defaults: 2
  - id: loud
    type: BOOLEAN
    defaults: false
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
    duration: PT3S
  - id: second
    type: io.kestra.plugin.core.log.Log
    message: "second for {{ inputs.who }} in {{ inputs.color }}: {{ read(inputs.data) | trim }}"
"""


FLAKY = """\
id: ui-flaky
namespace: ui.tests
description: Fails until its marker file exists.

inputs:
  - id: marker
    type: STRING

tasks:
  - id: prepare
    type: io.kestra.plugin.core.log.Log
    message: preparing
  - id: check
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - test -f "{{ inputs.marker }}"
      - echo "marker found"
"""


ALL_INPUTS = """\
id: ui-all-inputs
namespace: ui.tests
inputs:
  - id: s
    type: STRING
    defaults: text
  - id: i
    type: INT
    defaults: 3
    min: 1
  - id: f
    type: FLOAT
    defaults: 1.5
  - id: b
    type: BOOLEAN
    defaults: true
  - id: dt
    type: DATETIME
    defaults: "2026-01-02T03:04:05Z"
  - id: d
    type: DATE
    defaults: "2026-01-02"
  - id: t
    type: TIME
    defaults: "03:04:05"
  - id: dur
    type: DURATION
    defaults: PT5M
  - id: j
    type: JSON
    defaults: '{"a": 1}'
  - id: y
    type: YAML
    defaults: "a: 1"
  - id: u
    type: URI
    defaults: https://example.com/x
  - id: e
    type: EMAIL
    defaults: ada@example.com
  - id: sec
    type: SECRET
    defaults: hunter2
  - id: arr
    type: ARRAY
    itemType: INT
    defaults: [1, 2]
  - id: sel
    type: SELECT
    values: [a, b]
    defaults: b
  - id: ms
    type: MULTISELECT
    values: [x, y, z]
    defaults: [x, z]
  - id: en
    type: ENUM
    values: [p, q]
    defaults: q
  - id: file
    type: FILE
    required: false
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: >-
      {{ inputs.i + 1 }} {{ inputs.b }} {{ inputs.ms | join(',') }}
      {{ inputs.arr | length }} {{ inputs.j.a }}
"""

SCHEDULED = """\
id: ui-scheduled
namespace: ui.tests
inputs:
  - id: who
    type: STRING
    defaults: cron
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.who }}"
triggers:
  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser()
    with headway_server(tmp_path_factory.mktemp("ui") / "home") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, color_scheme="light"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_flows_list_shows_the_examples_and_searches(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows")
    table = page.locator("table")
    for flow_id in ("approval", "disk-report", "fanout", "hello"):
        expect(table.get_by_role("link", name=flow_id, exact=True)).to_be_visible()
    shot(page, "flows-list")

    page.get_by_label("Search").fill("greets")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/flows\?.*q=greets"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("hello")


def test_flow_topology_shows_flowable_tasks_as_groups(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/demo/approval")
    decide = page.locator('.topo-group[data-task="decide"]')
    expect(decide.locator(".topo-label")).to_have_text(["then", "else"])
    expect(decide.locator('.topo-node[data-task="go"]')).to_be_visible()
    expect(decide.locator('.topo-node[data-task="stop"]')).to_be_visible()
    shot(page, "flow-topology")


def test_editor_shows_the_error_at_its_line_then_saves(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows")
    page.get_by_role("link", name="New flow").click()
    editor = page.locator("#flow-source")
    editor.fill(BROKEN_AT_LINE_9)
    expect(page.locator("#validation-status")).to_have_text(re.compile("problem"))
    expect(page.locator('.gutter-line.error[data-line="9"]')).to_be_visible()
    expect(page.locator("#problems")).to_contain_text("Line 9")
    expect(page.locator("#problems")).to_contain_text("INTT")
    shot(page, "editor-error")

    editor.fill(LIVE)
    expect(page.locator("#validation-status")).to_have_text(re.compile("Valid"))
    expect(page.locator(".gutter-line.error")).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/flows/ui\.tests/ui-live$"))
    expect(page.locator("h1")).to_contain_text("ui-live")
    expect(page.locator('.topo-node[data-task="wait"]')).to_contain_text("Sleep")
    page.get_by_role("tab", name="Source").click()
    expect(page.locator(".yaml-view")).to_contain_text("io.kestra.plugin.core.flow.Sleep")
    shot(page, "flow-page")

    # A second revision, its side-by-side diff with the first, and a restore.
    page.get_by_role("link", name="Edit").click()
    editor = page.locator("#flow-source")
    expect(editor).to_have_value(LIVE)
    editor.fill(LIVE.replace("Logs, sleeps, logs again.", "Logs twice."))
    expect(page.locator("#validation-status")).to_have_text(re.compile("Valid"))
    page.keyboard.press("Control+s")
    expect(page.locator("h1")).to_contain_text("revision 2")
    page.get_by_role("tab", name="Revisions").click()
    page.get_by_role("button", name="Diff 1 → 2").click()
    expect(page.locator(".diff-sbs .diff-code.del")).to_have_text(
        "description: Logs, sleeps, logs again."
    )
    expect(page.locator(".diff-sbs .diff-code.add")).to_have_text("description: Logs twice.")
    shot(page, "flow-diff")
    page.get_by_role("row", name=re.compile("^1 ")).get_by_role("button", name="Restore").click()
    expect(page.locator("h1")).to_contain_text("revision 3")
    expect(page.locator(".lead")).to_have_text("Logs, sleeps, logs again.")


def test_editor_completes_types_and_keys_from_the_schema(page: Page) -> None:
    """Completion uses the server's schema at /api/v1/plugins/schemas/flow (Kestra's path)."""
    from playwright.sync_api import expect

    page.goto("/flows/new")
    editor = page.locator("#flow-source")
    # Completion is attached once the schema has arrived (it can take a while on a busy host).
    expect(editor).to_have_attribute("aria-autocomplete", "list", timeout=30_000)
    editor.fill("id: typed\nnamespace: demo\ntasks:\n  - id: hello\n    ")
    editor.press("Control+End")
    page.keyboard.type("type: io.kestra.plugin.core.log.Lo")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option").first).to_have_text("io.kestra.plugin.core.log.Log")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("    mess")
    expect(listbox.get_by_role("option").first).to_have_text("message")
    shot(page, "editor-completion")
    page.keyboard.press("Tab")
    page.keyboard.type('"hi"')
    expect(editor).to_have_value(
        "id: typed\nnamespace: demo\ntasks:\n  - id: hello\n"
        '    type: io.kestra.plugin.core.log.Log\n    message: "hi"'
    )
    expect(page.locator("#validation-status")).to_have_text(re.compile("Valid"))

    # Unsaved: leaving through a link asks first.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flows").click()
    expect(page).to_have_url(re.compile(r"/flows/new$"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flows").click()
    expect(page).to_have_url(re.compile(r"/flows$"))


def test_execute_dialog_runs_the_flow_and_logs_arrive_live(
    page: Page, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    if server.api("GET", "/flows/ui.tests/ui-live").status_code == 404:
        created = server.api(
            "POST", "/flows", content=LIVE, headers={"Content-Type": "application/x-yaml"}
        )
        assert created.status_code == 200, created.text
    upload = tmp_path / "note.txt"
    upload.write_text("uploaded text\n")

    page.goto("/flows/ui.tests/ui-live")
    page.get_by_role("button", name="Execute").click()
    dialog = page.locator("dialog")
    expect(dialog.get_by_label("times")).to_have_value("2")
    expect(dialog.get_by_label("color")).to_have_value("green")
    dialog.get_by_role("button", name="Execute").click()
    # `who` is required and empty: the API's message is shown in the form.
    expect(dialog.locator(".alert.error")).to_contain_text("who")
    shot(page, "execute-dialog-error")

    dialog.get_by_label("who").fill("Ada")
    dialog.get_by_label("color").select_option("red")
    dialog.get_by_label("data").set_input_files(str(upload))
    dialog.get_by_role("button", name="Execute").click()
    expect(page).to_have_url(re.compile(r"/executions/\w+$"))

    logs = page.locator("#logs")
    expect(logs).to_contain_text("first for Ada")
    # The first line arrived while the execution still runs: the page follows it live.
    expect(page.locator("#execution-state")).to_have_text("RUNNING")
    expect(logs).not_to_contain_text("second for Ada")
    shot(page, "execution-running")
    expect(logs).to_contain_text("second for Ada in red: uploaded text")
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#log-status")).to_contain_text("ended")
    rows = page.locator("table.taskruns tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".gantt-bar")).to_have_count(3)

    # Logs per TaskRun, and the level filter, after the run.
    page.get_by_role("row", name=re.compile("^first")).get_by_role("button", name="Logs").click()
    expect(logs).to_contain_text("first for Ada")
    expect(logs).not_to_contain_text("second for Ada")
    page.locator("#log-taskrun").select_option("")
    page.locator("#log-level").select_option("ERROR")
    expect(logs).to_contain_text("No line matches")
    page.locator("#log-level").select_option("INFO")
    expect(logs).to_contain_text("second for Ada")

    # The FILE input: its first lines shown, its size, a download link.
    files = page.locator(".files-out li").filter(has_text="note.txt")
    expect(files.locator(".file-preview")).to_have_text("uploaded text")
    expect(files.locator(".file-size")).to_have_text("14 B")
    expect(files.get_by_role("link", name="Download note.txt")).to_be_visible()
    shot(page, "execution-done")


def test_execute_dialog_sends_every_input_type(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    created = server.api(
        "POST", "/flows", content=ALL_INPUTS, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text
    page.goto("/flows/ui.tests/ui-all-inputs?execute=1")
    dialog = page.locator("dialog")
    expect(dialog.locator("#exec-dt")).to_have_value(re.compile(r"^2026-01-0[12]T"))
    expect(dialog.get_by_role("checkbox", name="b", exact=True)).to_be_checked()
    expect(dialog.get_by_role("textbox", name="sec", exact=True)).to_have_attribute(
        "type", "password"
    )
    shot(page, "execute-dialog-all-inputs")
    dialog.get_by_role("spinbutton", name="i", exact=True).fill("41")
    dialog.get_by_role("button", name="Execute").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("42 true x,z 2 1")
    inputs = page.locator(".kv-grid pre").first
    expect(inputs).to_contain_text('"dt": "2026-01-02T03:04:05')
    expect(inputs).to_contain_text('"dur": "PT5M"')


def test_pause_a_running_execution_then_resume_it(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    if server.api("GET", "/flows/ui.tests/ui-live").status_code == 404:
        created = server.api(
            "POST", "/flows", content=LIVE, headers={"Content-Type": "application/x-yaml"}
        )
        assert created.status_code == 200, created.text
    started = server.api(
        "POST", "/executions/ui.tests/ui-live", files={"data": ("n.txt", b"n")}, data={"who": "P"}
    )
    assert started.status_code == 200, started.text
    page.goto(f"/executions/{started.json()['id']}")
    expect(page.locator("#execution-state")).to_have_text("RUNNING")
    page.get_by_role("button", name="Pause").click()
    # The running task finishes, then the execution waits.
    expect(page.locator("#execution-state")).to_have_text("PAUSED", timeout=15_000)
    expect(page.locator("#logs")).not_to_contain_text("second for P")
    page.locator("#resume").get_by_role("button", name="Resume").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("second for P")


def test_approve_a_paused_execution_from_home(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/demo/approval")
    page.get_by_role("button", name="Execute").click()
    page.locator("dialog").get_by_role("button", name="Execute").click()
    expect(page).to_have_url(re.compile(r"/executions/\w+$"))
    execution_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#execution-state")).to_have_text("PAUSED")
    expect(page.locator("#resume")).to_be_visible()

    page.get_by_role("link", name="Home").click()
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text(execution_id)
    expect(page.locator('.count[data-state="PAUSED"] .count-number')).not_to_have_text("0")
    shot(page, "home")
    waiting.get_by_role("row", name=re.compile(execution_id)).get_by_role(
        "link", name="Review and resume"
    ).click()

    resume = page.locator("#resume")
    expect(resume.get_by_label("approved")).to_be_checked()
    resume.get_by_label("reason").fill("looks good")
    shot(page, "execution-paused")
    resume.get_by_role("button", name="Resume").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("Approved: looks good")
    expect(resume).to_be_hidden()
    page.get_by_role("tab", name="Topology").click()
    expect(page.locator('.topo-node[data-task="go"]')).to_have_class(re.compile("state-success"))
    expect(page.locator('.topo-node[data-task="stop"]')).not_to_have_class(re.compile("state-"))
    shot(page, "execution-topology")


def test_actions_show_what_the_api_answers(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    done = server.api("POST", "/executions/demo/hello", params={"wait": "true"})
    assert done.status_code == 200, done.text
    execution_id = done.json()["id"]

    page.goto(f"/executions/{execution_id}")
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.get_by_role("button", name="Kill")).to_have_count(0)
    expect(page.locator("#outputs")).to_contain_text("Hello World!")

    # The expression console renders as a TaskRun sees it; a label is set.
    page.locator("#eval-taskrun").select_option(label="log")
    page.locator("#eval-expression").fill("{{ outputs.greet.value | upper }}")
    page.get_by_role("button", name="Render").click()
    expect(page.locator("#eval-result")).to_have_text("HELLO WORLD!")
    page.locator("#eval-expression").fill("{{ nope }}")
    page.get_by_role("button", name="Render").click()
    expect(page.locator("#eval-result .alert")).to_contain_text("nope")
    page.get_by_role("button", name="Labels").click()
    page.get_by_label("Key").fill("team")
    page.get_by_label("Value").fill("ops")
    page.get_by_role("button", name="Save labels").click()
    expect(page.locator(".meta")).to_contain_text("team:ops")

    # A successful execution cannot be restarted (the API refuses it): no Restart.
    expect(page.get_by_role("button", name="Restart")).to_have_count(0)
    shot(page, "execution-actions")

    # Replay from the second TaskRun: a new execution, whose page opens.
    page.get_by_role("row", name=re.compile("^log")).get_by_role("button", name="Replay").click()
    expect(page).not_to_have_url(re.compile(execution_id))
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("Hello World!")


def test_restart_a_failed_execution_from_its_failed_task(
    page: Page, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    created = server.api(
        "POST", "/flows", content=FLAKY, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text
    marker = tmp_path / "marker"
    failed = server.api(
        "POST",
        "/executions/ui.tests/ui-flaky",
        params={"wait": "true"},
        json={"marker": str(marker)},
    )
    assert failed.json()["state"]["current"] == "FAILED", failed.text

    page.goto(f"/executions/{failed.json()['id']}")
    expect(page.locator("#execution-state")).to_have_text("FAILED")
    shot(page, "execution-failed")
    marker.write_text("")
    page.get_by_role("button", name="Restart").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator("#logs")).to_contain_text("marker found")
    check = page.get_by_role("row", name=re.compile("^check"))
    expect(check.locator(".attempts .dot")).to_have_count(2)
    expect(
        page.get_by_role("row", name=re.compile("^prepare")).locator(".attempts .dot")
    ).to_have_count(1)
    shot(page, "execution-restarted")


def test_triggers_disable_enable_and_backfill(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    created = server.api(
        "POST", "/flows", content=SCHEDULED, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text

    page.goto("/flows/ui.tests/ui-scheduled?tab=Triggers")
    row = page.locator('tr[data-trigger="hourly"]')
    expect(row).to_contain_text("0 * * * *")
    expect(row).to_contain_text("enabled")
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("enabled")

    row.get_by_role("button", name="Backfill").click()
    dialog = page.get_by_role("dialog")
    start = datetime.now() - timedelta(hours=3)
    dialog.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M:%S"))
    dialog.get_by_label("who").fill("backfill")
    shot(page, "trigger-backfill")
    dialog.get_by_role("button", name="Start backfill").click()
    expect(page.locator("#notices")).to_contain_text("Backfill started")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = server.api("GET", "/executions/search", params={"flowId": "ui-scheduled"})
        if found.json()["total"] >= 3:
            break
        time.sleep(0.3)
    assert found.json()["total"] >= 3, found.text
    assert found.json()["results"][0]["inputs"] == {"who": "backfill"}


def test_executions_list_filters_on_the_server(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/executions")
    page.get_by_label("Flow").fill("hello")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"flowId=hello"))
    rows = page.locator("table.executions tbody tr")
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert "hello" in text
    page.get_by_label("Started").select_option("PT1H")
    expect(page).to_have_url(re.compile(r"since=PT1H"))
    expect(rows.first).to_be_visible()
    shot(page, "executions-list")
    page.get_by_label("State").select_option("FAILED")
    expect(page.locator(".empty")).to_contain_text("No execution matches")

    # Bulk: select the successful runs of hello and try to restart them: refused, each
    # with the API's reason.
    page.goto("/executions?flowId=hello&state=SUCCESS")
    page.get_by_label("Select all").check()
    bulk = page.locator("#bulk")
    expect(bulk).to_contain_text("selected")
    bulk.get_by_role("button", name="Restart").click()
    expect(page.locator("#notices")).to_contain_text("only a FAILED or KILLED execution")


def test_namespace_kv_and_files(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_role("link", name="Namespaces").click()
    page.get_by_role("link", name="demo", exact=True).click()
    expect(page.locator("h1")).to_have_text("demo")
    expect(page.get_by_role("link", name="approval", exact=True)).to_be_visible()

    page.get_by_role("tab", name="KV").click()
    page.get_by_role("button", name="New key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Key").fill("settings")
    dialog.get_by_label("Value").fill('{"retries": 3}')
    dialog.get_by_role("button", name="Save").click()
    row = page.locator('tr[data-key="settings"]')
    expect(row).to_contain_text("never")
    assert server.api("GET", "/namespaces/demo/kv/settings").json() == {
        "type": "JSON",
        "value": {"retries": 3},
    }
    row.get_by_role("button", name="Edit").click()
    expect(page.get_by_role("dialog").get_by_label("Value")).to_have_value(
        re.compile(r'"retries": 3')
    )
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator('tr[data-key="settings"]')).to_have_count(0)

    page.get_by_role("tab", name="Files").click()
    page.get_by_role("button", name="New file").click()
    page.get_by_label("Path").fill("/scripts/hello.sh")
    page.get_by_label("File content").fill("echo hello\n")
    page.locator("#file-save").click()
    expect(page.locator('tr[data-file="/scripts"]')).to_be_visible()
    page.get_by_role("button", name="scripts/").click()
    page.get_by_role("button", name="hello.sh").click()
    expect(page.get_by_label("File content")).to_have_value("echo hello\n")
    shot(page, "namespace-files")
    got = server.api("GET", "/namespaces/demo/files", params={"path": "/scripts/hello.sh"})
    assert got.text == "echo hello\n"


def test_dark_theme_toggle_and_keyboard(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/demo/hello")
    page.get_by_role("button", name=re.compile("Switch to the dark theme")).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("tab", name="Revisions").click()
    expect(page.locator(".revisions table")).to_contain_text("current")
    shot(page, "flow-dark")
    # The theme is kept across pages. The page starts with the focus on its content, and
    # Tab walks its links and buttons with the focus visible.
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Execute")).to_be_visible()
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "[document.activeElement.tagName, document.activeElement.textContent,"
                " getComputedStyle(document.activeElement).outlineStyle]"
            )
        )
    assert ["A", "Edit", "solid"] in reached, reached
    assert ["BUTTON", "Execute", "solid"] in reached, reached
    page.get_by_role("button", name="Execute").focus()
    page.keyboard.press("Enter")
    expect(page.locator("dialog")).to_be_visible()
    expect(page.locator("dialog #exec-name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)


def test_delete_a_flow(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    doomed = SCHEDULED.replace("ui-scheduled", "ui-doomed")
    created = server.api(
        "POST", "/flows", content=doomed, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text
    page.goto("/flows/ui.tests/ui-doomed")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/flows$"))
    assert server.api("GET", "/flows/ui.tests/ui-doomed").status_code == 404


def test_home_shows_the_last_day(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.locator("#over-time .chart-col")).to_have_count(24)
    expect(page.locator("#over-time .chart-seg.state-success").first).to_be_visible()
    expect(page.locator('.count[data-state="SUCCESS"] .count-number')).not_to_have_text("0")
    shot(page, "home-day")
