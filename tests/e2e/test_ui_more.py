"""More of the web UI in headless Chromium against a real `headway server`: a Dag's
dependencies drawn as lines from the flow graph, subflows expanded in place, an execution's
files previewed and downloaded, labels removed, the editor guarding Back, 10,000 log lines,
the keyboard on the main pages. Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

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

CHILD = """\
id: ui-child
namespace: ui.more
tasks:
  - id: child-log
    type: io.kestra.plugin.core.log.Log
    message: in the child
  - id: child-return
    type: io.kestra.plugin.core.debug.Return
    format: done
"""

PARENT = """\
id: ui-parent
namespace: ui.more
description: A Dag, then a subflow.
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
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: ui.more
    flowId: ui-child
"""

SLOW_PARENT = """\
id: ui-parent-slow
namespace: ui.more
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: ui.more
    flowId: ui-child
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
"""

BRANCHES = """\
id: ui-branches
namespace: ui.more
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.log.Log
        message: left
      - id: right
        type: io.kestra.plugin.core.log.Log
        message: right
  - id: pick
    type: io.kestra.plugin.core.flow.Switch
    value: a
    cases:
      a:
        - id: on-a
          type: io.kestra.plugin.core.log.Log
          message: a
      b:
        - id: on-b
          type: io.kestra.plugin.core.log.Log
          message: b
    defaults:
      - id: other
        type: io.kestra.plugin.core.log.Log
        message: other
    errors:
      - id: pick-failed
        type: io.kestra.plugin.core.log.Log
        message: failed
"""

FILES = """\
id: ui-files
namespace: ui.more
tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: [report.txt, data.bin]
    commands:
      - seq 1 30 | sed 's/^/row /' > report.txt
      - printf 'BIN\\000' > data.bin
      - head -c 2044 /dev/zero >> data.bin
"""

MANY_LOGS = """\
id: ui-many-logs
namespace: ui.more
tasks:
  - id: spam
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - seq 1 10000 | sed 's/^/line /'
"""

YAML = {"Content-Type": "application/x-yaml"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser()
    with headway_server(tmp_path_factory.mktemp("ui-more") / "home") as running:
        for source in (CHILD, PARENT, SLOW_PARENT, BRANCHES, FILES, MANY_LOGS):
            created = running.api("POST", "/flows", content=source, headers=YAML)
            assert created.status_code == 200, created.text
        yield running


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    opened = open_page(browser, server.url)
    yield opened
    close_page(opened)


def run(server: Server, namespace: str, flow_id: str, **params: Any) -> dict[str, Any]:
    done = server.api(
        "POST", f"/executions/{namespace}/{flow_id}", params={"wait": "true", **params}
    )
    assert done.status_code == 200, done.text
    answer: dict[str, Any] = done.json()
    return answer


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return {key: float(found[key]) for key in ("x", "y", "width", "height")}


def test_a_dag_shows_its_dependencies_as_lines(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/ui.more/ui-parent")
    dag = page.locator('.topo-group[data-task="build"] .topo-dag')
    expect(dag.locator(".topo-edge")).to_have_count(4)
    drawn = sorted(
        (edge.get_attribute("data-source"), edge.get_attribute("data-target"))
        for edge in dag.locator(".topo-edge").all()
    )
    assert drawn == [
        ("fetch", "lint"),
        ("fetch", "parse"),
        ("lint", "publish"),
        ("parse", "publish"),
    ]
    # Layers: fetch above parse and lint (side by side), publish below both; each line goes
    # from the bottom of its source to the top of its target.
    fetch, parse, lint, publish = (
        box(page, f'.topo-node[data-task="{task}"]')
        for task in ("fetch", "parse", "lint", "publish")
    )
    assert fetch["y"] + fetch["height"] < parse["y"]
    assert parse["y"] == lint["y"] and parse["x"] < lint["x"]
    assert lint["y"] + lint["height"] < publish["y"]
    line = dag.locator('.topo-edge[data-source="fetch"][data-target="parse"]')
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", line.get_attribute("d") or "")]
    origin = box(page, '.topo-group[data-task="build"] .topo-dag')
    assert abs(origin["y"] + numbers[1] - (fetch["y"] + fetch["height"])) < 2
    assert abs(origin["y"] + numbers[-1] + 3 - parse["y"]) < 2
    expect(page.locator(".topo-after")).to_have_count(0)
    shot(page, "flow-dag")

    # The subflow links to its flow and expands in place.
    call = page.locator('.topo-subflow[data-task="call"]')
    expect(call.get_by_role("link", name="ui.more.ui-child")).to_have_attribute(
        "href", "/flows/ui.more/ui-child"
    )
    call.get_by_role("button", name="Expand").click()
    expect(call.locator('.topo-node[data-task="child-log"]')).to_be_visible()
    expect(call.get_by_role("button", name="Collapse")).to_have_attribute("aria-expanded", "true")
    shot(page, "flow-subflow-expanded")
    call.get_by_role("button", name="Collapse").click()
    expect(call.locator('.topo-node[data-task="child-log"]')).to_have_count(0)

    # The same lines in the dark theme.
    page.get_by_role("button", name=re.compile("Switch to the dark theme")).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shot(page, "flow-dag-dark")


def test_parallel_tasks_side_by_side_and_switch_cases(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/ui.more/ui-branches")
    both = page.locator('.topo-group[data-task="both"] > .topo-branches')
    expect(both).to_have_class(re.compile("side"))
    expect(both.locator("> .topo-branch")).to_have_count(2)
    left, right = box(page, '[data-task="left"]'), box(page, '[data-task="right"]')
    assert left["y"] == right["y"] and left["x"] < right["x"]
    pick = page.locator('.topo-group[data-task="pick"] > .topo-branches > .topo-branch')
    expect(pick.locator("> .topo-label")).to_have_text(["case a", "case b", "defaults", "errors"])
    expect(page.locator('.topo-group[data-task="pick"] [data-task="pick-failed"]')).to_be_visible()
    shot(page, "flow-branches")


def test_the_execution_topology_is_coloured_with_its_lines_and_subflow(
    page: Page, server: Server
) -> None:
    from playwright.sync_api import expect

    done = run(server, "ui.more", "ui-parent")
    assert done["state"]["current"] == "SUCCESS", done
    page.goto(f"/executions/{done['id']}")
    page.get_by_role("tab", name="Topology").click()
    for task in ("fetch", "parse", "lint", "publish"):
        expect(page.locator(f'.topo-node[data-task="{task}"]')).to_have_class(
            re.compile("state-success")
        )
    expect(page.locator(".topo-dag .topo-edge")).to_have_count(4)
    call = page.locator('.topo-subflow[data-task="call"]')
    call.get_by_role("button", name="Expand").click()
    # Expanded on an execution's page, the subflow shows its own execution's states.
    expect(call.locator('.topo-node[data-task="child-log"]')).to_have_class(
        re.compile("state-success")
    )
    expect(call.get_by_role("link", name="its execution")).to_be_visible()
    shot(page, "execution-dag-topology")


def test_an_expanded_subflow_stays_expanded_while_the_execution_goes_on(
    page: Page, server: Server
) -> None:
    from playwright.sync_api import expect

    started = server.api("POST", "/executions/ui.more/ui-parent-slow")
    assert started.status_code == 200, started.text
    page.goto(f"/executions/{started.json()['id']}")
    page.get_by_role("tab", name="Topology").click()
    call = page.locator('.topo-subflow[data-task="call"]')
    expect(call).to_have_class(re.compile("state-success"))
    expect(page.locator("#execution-state")).to_have_text("RUNNING")
    call.get_by_role("button", name="Expand").click()
    expect(call.locator('.topo-node[data-task="child-log"]')).to_have_class(
        re.compile("state-success")
    )
    # The topology is drawn again as `wait` ends: the subflow is still expanded.
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.locator('.topo-node[data-task="wait"]')).to_have_class(re.compile("state-success"))
    expect(call.get_by_role("button", name="Collapse")).to_be_visible()
    expect(call.locator('.topo-node[data-task="child-log"]')).to_be_visible()


def test_output_files_are_previewed_and_downloaded(
    page: Page, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    done = run(server, "ui.more", "ui-files")
    assert done["state"]["current"] == "SUCCESS", done
    page.goto(f"/executions/{done['id']}")
    outputs = page.locator("dl.outputs")
    report = outputs.locator(".files-out li").filter(has_text="report.txt")
    # A text file: its first 20 lines inline, and its size.
    preview = report.locator(".file-text")
    expect(preview).to_contain_text("row 1")
    expect(preview).to_contain_text("row 20")
    expect(preview).not_to_contain_text("row 21")
    expect(report).to_contain_text("The first 20 lines.")
    expect(report.locator(".file-size")).to_have_text("201 B")
    # Anything else: its size and a download link.
    binary = outputs.locator(".files-out li").filter(has_text="data.bin")
    expect(binary.locator(".file-size")).to_have_text("2.0 KiB")
    expect(binary).to_contain_text("Not a text file")
    expect(binary.locator(".file-text")).to_have_count(0)
    shot(page, "execution-files")

    with page.expect_download() as got:
        report.get_by_role("link", name="Download report.txt").click()
    download = got.value
    assert download.suggested_filename == "report.txt"
    saved = tmp_path / "report.txt"
    download.save_as(saved)
    assert saved.read_text() == "".join(f"row {n}\n" for n in range(1, 31))
    with page.expect_download() as got:
        binary.get_by_role("link", name="Download data.bin").click()
    saved = tmp_path / "data.bin"
    got.value.save_as(saved)
    assert saved.read_bytes() == b"BIN\0" + bytes(2044)


def test_remove_a_label(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    done = run(server, "demo", "hello", labels=["team:ops", "env:dev"])
    page.goto(f"/executions/{done['id']}")
    meta = page.locator(".meta")
    expect(meta).to_contain_text("team:ops")
    page.get_by_role("button", name="Labels").click()
    dialog = page.get_by_role("dialog", name="Labels")
    expect(dialog.locator(".label-list li")).to_have_count(2)
    dialog.get_by_role("button", name="Remove team:ops").click()
    expect(dialog.locator(".label-list li")).to_have_count(1)
    dialog.get_by_label("Key").fill("owner")
    dialog.get_by_label("Value").fill("ada")
    shot(page, "labels-dialog", full_page=False)
    dialog.get_by_role("button", name="Save labels").click()
    expect(meta).not_to_contain_text("team:ops")
    expect(meta).to_contain_text("env:dev")
    expect(meta).to_contain_text("owner:ada")
    labels = server.api("GET", f"/executions/{done['id']}").json()["labels"]
    assert {(label["key"], label["value"]) for label in labels} >= {
        ("env", "dev"),
        ("owner", "ada"),
    }
    assert ("team", "ops") not in {(label["key"], label["value"]) for label in labels}


def test_back_asks_before_leaving_unsaved_changes(page: Page) -> None:
    from playwright.sync_api import expect

    page.goto("/flows/demo/hello")
    page.get_by_role("link", name="Edit").click()
    editor = page.locator("#flow-source")
    expect(editor).to_be_focused()
    page.keyboard.type("# changed\n")
    asked: list[str] = []
    answers: list[bool] = []  # what to answer the next questions: True leaves

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        if answers and answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    # The skip link moves the focus into the page; it does not leave it (nothing asked),
    # nor does going back from it.
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/flows/demo/hello/edit#main$"))
    page.evaluate("history.back()")
    expect(page).to_have_url(re.compile(r"/flows/demo/hello/edit$"))
    expect(editor).to_have_value(re.compile("^# changed\n"))
    assert not asked

    # Back asks; refused, the editor stays with its changes.
    answers.append(False)
    page.evaluate("history.back()")
    for _ in range(100):  # Back is asynchronous: its question comes a little later
        if asked:
            break
        page.wait_for_timeout(50)
    expect(page).to_have_url(re.compile(r"/flows/demo/hello/edit$"))
    assert asked and "not saved" in asked[0], asked
    expect(editor).to_have_value(re.compile("^# changed\n"))

    # Accepted, Back leaves.
    answers.append(True)
    page.evaluate("history.back()")
    expect(page).to_have_url(re.compile(r"/flows/demo/hello$"))
    expect(page.get_by_role("button", name="Execute")).to_be_visible()
    assert len(asked) == 2, asked
    # Without changes, Back leaves without a question.
    page.get_by_role("link", name="Edit").click()
    expect(page.locator("#flow-source")).to_be_visible()
    page.evaluate("history.back()")
    expect(page).to_have_url(re.compile(r"/flows/demo/hello$"))
    assert len(asked) == 2, asked


LONG_TASKS = """
window.longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""


def test_ten_thousand_log_lines_stay_readable(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    done = run(server, "ui.more", "ui-many-logs")
    assert done["state"]["current"] == "SUCCESS", done
    page.add_init_script(LONG_TASKS)
    start = time.monotonic()
    page.goto(f"/executions/{done['id']}")
    logs = page.locator("#logs")
    expect(logs).to_contain_text("line 10000", timeout=60_000)
    rendered = time.monotonic() - start
    # How much of it was the stream: its end and the last line drawn, since the page opened.
    stream_end, drawn_at = page.evaluate(
        """[performance.getEntriesByType("resource").filter((e) =>
             e.name.includes("/follow") && e.name.includes("/logs/"))
             .map((e) => e.responseEnd).pop() || 0, performance.now()]"""
    )
    # The last line is shown (the list follows its end) and every line is in the list.
    expect(page.locator("#log-status")).to_contain_text("ended")
    expect(logs.locator(".log-line").filter(has_text=re.compile(r"line \d+$"))).to_have_count(
        10000, timeout=30_000
    )
    assert logs.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight < 40")
    # The page answers while holding them: a search filters them at once.
    typed = time.monotonic()
    page.locator("#log-search").fill("line 9999")
    expect(logs.locator(".log-line")).to_have_count(1)
    searched = time.monotonic() - typed
    page.locator("#log-search").fill("")
    # The 10,000 lines drawn again: a frame at a time, slow on a loaded machine (2 cores,
    # load 6-8 took more than 15 s).
    expect(logs).to_contain_text("line 10000", timeout=45_000)
    long_tasks: list[float] = page.evaluate("window.longTasks")
    print(
        f"\n10,000 log lines: shown in {rendered:.2f} s (page open to last line; in the "
        f"page, the log stream ended at {stream_end / 1000:.2f} s and the last line was "
        f"drawn by {drawn_at / 1000:.2f} s), "
        f"search in {searched:.2f} s; {len(long_tasks)} long tasks, the longest "
        f"{max(long_tasks, default=0):.0f} ms"
    )
    shot(page, "execution-10k-logs")


def test_keyboard_on_the_execution_and_flow_pages(page: Page, server: Server) -> None:
    from playwright.sync_api import expect

    # Restart is offered where the API allows it: on a KILLED (or FAILED) execution, not on
    # a SUCCESS. Its place in the Tab order: before Replay.
    started = server.api("POST", "/executions/ui.more/ui-parent-slow")
    assert started.status_code == 200, started.text
    killed = server.api("DELETE", f"/executions/{started.json()['id']}/kill")
    assert killed.status_code == 202, killed.text
    page.goto(f"/executions/{started.json()['id']}")
    expect(page.locator("#execution-state")).to_have_text("KILLED")
    expect(page.get_by_role("button", name="Restart")).to_be_visible()
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent"))
    assert reached.index("Restart") < reached.index("Replay") < reached.index("Labels"), reached

    done = run(server, "demo", "hello")
    page.goto(f"/executions/{done['id']}")
    expect(page.locator("#execution-state")).to_have_text("SUCCESS")
    expect(page.get_by_role("button", name="Restart")).to_have_count(0)
    # Tab order: the crumbs, then the actions in their visual order.
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent"))
    assert reached[:2] == ["Executions", "demo.hello"], reached
    assert "Restart" not in reached, reached
    assert reached.index("Replay") < reached.index("Labels"), reached
    labels = page.get_by_role("button", name="Labels")
    labels.focus()
    # Enter opens the dialog on its first field; Enter in a field saves; the focus goes back.
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Labels")
    expect(dialog.get_by_label("Key")).to_be_focused()
    page.keyboard.type("by")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Value")).to_be_focused()
    page.keyboard.type("keyboard")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.locator(".meta")).to_contain_text("by:keyboard")
    expect(labels).to_be_focused()
    # Escape closes a dialog without saving.
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Labels")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(labels).to_be_focused()

    # The flow page: arrows move between tabs; Enter on Execute opens its dialog, Enter in a
    # field runs the flow.
    page.goto("/flows/demo/hello")
    page.get_by_role("tab", name="Topology").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Source")).to_be_focused()
    expect(page.get_by_role("tab", name="Source")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".yaml-view")).to_be_visible()
    page.get_by_role("button", name="Execute").focus()
    page.keyboard.press("Enter")
    name = page.locator("dialog #exec-name")
    expect(name).to_be_focused()
    name.fill("Keys")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/executions/\w+$"))
    expect(page.locator("#logs")).to_contain_text("Hello Keys!")
    # From the skip link at the top, Tab walks the navigation in order.
    page.goto("/flows")
    page.get_by_role("link", name="Skip to content").focus()
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.textContent"))
    assert order == ["Headway", "Home", "Flows", "Executions", "Namespaces"], order


def focus_walk(page: Page, steps: int) -> list[str]:
    """What Tab reaches, `steps` times: each element's id, or else its text."""
    reached = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
    return reached


def test_keyboard_on_the_lists_and_a_namespace(page: Page) -> None:
    from playwright.sync_api import expect

    # Flows: from the page, New flow then the search form; Enter in a field searches.
    page.goto("/flows")
    expect(page.locator("table")).to_be_visible()
    assert focus_walk(page, 4) == ["New flow", "flows-namespace", "flows-q", "Search"]
    page.locator("#flows-q").focus()
    page.keyboard.type("greets")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/flows\?.*q=greets"))
    expect(page.locator("tbody tr")).to_have_count(1)

    # Executions: Enter in the Flow field filters.
    page.goto("/executions")
    page.get_by_label("Flow").focus()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"flowId=hello"))

    # A namespace: arrows reach the KV tab; the New key dialog saves with Enter and closes
    # with Escape, the focus back on its opener each time.
    page.goto("/namespaces/demo")
    page.get_by_role("tab", name="Flows").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="KV")).to_be_focused()
    new_key = page.get_by_role("button", name="New key")
    new_key.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Key")).to_be_focused()
    page.keyboard.type("by-keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type('"typed"')
    dialog.get_by_label("Key").focus()
    page.keyboard.press("Enter")
    expect(page.locator('tr[data-key="by-keyboard"]')).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    new_key.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(new_key).to_be_focused()
