"""Kill -9 of ``headway run`` and ``headway executions recover`` again and again while a
WorkingDirectory and a ForEachItem run: the execution still ends SUCCESS, the group's files
are all there, and every batch's subflow was started once."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from .conftest import Cli

ROUNDS = int(os.environ.get("HEADWAY_RECOVERY_ROUNDS", "5"))
BATCHES = 6

# A kill -9 while a TaskRun runs loses its attempt; without a retry policy a TaskRun lost 3
# times fails (a task that kills its process must not run for ever), and random kills can
# hit the same TaskRun that often: the flows retry lost attempts.
PARENT = f"""\
id: groups
namespace: recovery
retry:
  type: constant
  interval: PT0.1S
  maxAttempts: 10
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: one
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo one >> lines.txt", "sleep 0.2"]
      - id: two
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo two >> lines.txt", "sleep 0.2"]
      - id: three
        type: io.kestra.plugin.scripts.shell.Commands
        outputFiles: [lines.txt]
        commands: ["echo three >> lines.txt"]
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: >-
      lines: {{{{ read(outputs.three.outputFiles['lines.txt']) | trim | split('\\n')
      | join(',') }}}}
  - id: generate
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [items.txt]
    commands: ["seq 1 {BATCHES} > items.txt"]
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{{{ outputs.generate.outputFiles['items.txt'] }}}}"
    namespace: recovery
    flowId: batch
    inputs:
      rows: "{{{{ taskrun.items }}}}"
"""

CHILD = """\
id: batch
namespace: recovery
retry:
  type: constant
  interval: PT0.1S
  maxAttempts: 10
inputs:
  - id: rows
    type: FILE
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.2S
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.rows) | trim }}"
outputs:
  - id: rows
    type: STRING
    value: "{{ outputs.read.value }}"
"""


def _kill_at_random(cli: Cli, args: list[str], rng: random.Random) -> None:
    proc = cli.start(*args)
    time.sleep(rng.uniform(0.3, 1.2))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def test_groups_and_batches_survive_kill_9(cli: Cli, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    flow = flows / "groups.yaml"
    flow.write_text(PARENT)
    (flows / "batch.yaml").write_text(CHILD)
    # Stored, so that a recovery (which has no flow files) finds the subflow.
    assert cli.run("flows", "apply", str(flows)).returncode == 0
    rng = random.Random(int(os.environ.get("HEADWAY_RECOVERY_SEED", "11")))
    while True:
        _kill_at_random(cli, ["run", str(flow)], rng)
        if cli.json("executions", "list", "--json")["total"]:
            break
    for _ in range(ROUNDS):
        _kill_at_random(cli, ["executions", "recover"], rng)
    cli.json("executions", "recover", "--json")
    listed = cli.json("executions", "list", "--json")["results"]
    (parent,) = [e for e in listed if e["flowId"] == "groups"]
    execution = cli.json("executions", "get", parent["id"], "--json")
    logs = [e["message"] for e in cli.json("executions", "logs", parent["id"], "--json")]
    runs = execution["taskRunList"]
    states = [(tr["taskId"], tr.get("iteration"), tr["state"]["current"]) for tr in runs]
    assert execution["state"]["current"] == "SUCCESS", (states, logs)
    by_task: dict[str, list[dict[str, object]]] = {}
    for tr in runs:
        by_task.setdefault(str(tr["taskId"]), []).append(tr)
    # Tasks run at least once: one cut short by a kill runs again in the same directory.
    (shown,) = [m for m in logs if m.startswith("lines: ")]
    lines = shown.removeprefix("lines: ").split(",")
    assert set(lines) == {"one", "two", "three"} and lines[-1] == "three", lines
    assert lines.index("one") < lines.index("two"), lines
    each = by_task["each"][0]
    assert each["outputs"]["iterations"] == {"SUCCESS": BATCHES}  # type: ignore[index]
    batches = by_task["each_items"]
    assert sorted(int(str(tr["value"])) for tr in batches) == list(range(BATCHES))
    children = {tr["outputs"]["executionId"] for tr in batches}  # type: ignore[index]
    assert len(children) == BATCHES
    subflows = [e for e in listed if e["flowId"] == "batch"]
    assert sorted(e["id"] for e in subflows) == sorted(children)  # none started twice
    assert all(e["state"]["current"] == "SUCCESS" for e in subflows)
