"""The CLI contract, through real subprocesses: output, exit codes, error messages."""

from __future__ import annotations

import base64
import json
import shutil
import signal
from pathlib import Path

import pytest

from .conftest import Cli

EXAMPLES = Path(__file__).parents[2] / "examples"

FAILING = """\
id: failing
namespace: cli
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: it broke
"""

TYPED_INPUT = """\
id: typed
namespace: cli
inputs:
  - id: count
    type: INT
    min: 1
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "count is {{ inputs.count }}"
"""

UNKNOWN_TYPE = """\
id: broken
namespace: cli
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Logg
    message: hi
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


def test_run_json_prints_only_the_execution(cli: Cli) -> None:
    done = cli.run("run", str(EXAMPLES / "hello.yaml"), "--input", "name=Ada", "--json")
    assert done.returncode == 0, done.stderr
    execution = json.loads(done.stdout)
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"greeting": "Hello Ada!"}
    assert execution["inputs"] == {"name": "Ada"}
    assert [tr["taskId"] for tr in execution["taskRunList"]] == ["greet", "log"]
    assert {"id", "namespace", "flowId", "flowRevision", "state", "taskRunList"} <= set(execution)
    assert "[log] Hello Ada!" in done.stderr


def test_run_exits_1_for_a_failed_execution(cli: Cli, tmp_path: Path) -> None:
    done = cli.run("run", str(_write(tmp_path, "failing.yaml", FAILING)))
    assert done.returncode == 1
    assert "it broke" in done.stderr
    assert "FAILED" in done.stderr
    _no_traceback(done.stderr)


def test_run_exits_2_for_an_invalid_flow_with_its_location(cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.yaml", UNKNOWN_TYPE)
    done = cli.run("run", str(path))
    assert done.returncode == 2
    assert f"{path}:5:11" in done.stderr
    assert "did you mean 'io.kestra.plugin.core.log.Log'" in done.stderr
    _no_traceback(done.stderr)


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "'count'"), ("0", "'count'")],
)
def test_run_exits_2_for_an_invalid_input(
    cli: Cli, tmp_path: Path, value: str, message: str
) -> None:
    done = cli.run("run", str(_write(tmp_path, "typed.yaml", TYPED_INPUT)), "-i", f"count={value}")
    assert done.returncode == 2
    assert message in done.stderr
    _no_traceback(done.stderr)


def test_run_exits_2_for_bad_usage(cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "typed.yaml", TYPED_INPUT)
    assert cli.run("run", str(path), "--input", "no-equals").returncode == 2
    assert cli.run("run", str(tmp_path / "missing.yaml")).returncode == 2
    assert cli.run("run").returncode == 2


def test_validate_reports_every_problem_with_file_line_column(cli: Cli, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(EXAMPLES / "hello.yaml", flows / "hello.yaml")
    bad = _write(flows, "broken.yaml", UNKNOWN_TYPE)
    indent = _write(flows, "indent.yaml", "id: x\nnamespace: y\ntasks:\n  - id: a\n   type: log\n")
    done = cli.run("validate", str(flows))
    assert done.returncode == 2
    assert f"{bad}:5:11" in done.stderr
    assert f"{indent}:5:" in done.stderr
    assert "hello.yaml: ok" in done.stdout
    _no_traceback(done.stderr)
    assert cli.run("validate", str(EXAMPLES)).returncode == 0


def test_executions_list_get_logs(cli: Cli) -> None:
    ran = cli.json("run", str(EXAMPLES / "hello.yaml"), "--json")
    listed = cli.json("executions", "list", "--json")
    assert [e["id"] for e in listed["results"]] == [ran["id"]]
    got = cli.json("executions", "get", ran["id"], "--json")
    assert got["state"]["current"] == "SUCCESS"
    logs = cli.json("executions", "logs", ran["id"], "--json")
    assert any(entry["message"] == "Hello World!" for entry in logs)
    missing = cli.run("executions", "get", "nope")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_pause_then_resume_with_inputs(cli: Cli) -> None:
    paused = cli.run("run", str(EXAMPLES / "approval.yaml"), "--json")
    assert paused.returncode == 0, paused.stderr
    execution = json.loads(paused.stdout)
    assert execution["state"]["current"] == "PAUSED"
    bad = cli.run("executions", "resume", execution["id"], "-i", "approved=maybe")
    assert bad.returncode == 2 and "'approved'" in bad.stderr
    _no_traceback(bad.stderr)
    done = cli.run("executions", "resume", execution["id"], "-i", "reason=looks good", "--json")
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert resumed["state"]["current"] == "SUCCESS"
    assert "Approved: looks good" in done.stderr
    again = cli.run("executions", "resume", execution["id"])
    assert again.returncode == 1 and "not PAUSED" in again.stderr


def test_schema_lists_every_task_type(cli: Cli) -> None:
    schema = cli.json("schema")
    text = json.dumps(schema)
    for name in ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.flows.EachParallel"):
        assert name in text


PARENT = """\
id: parent
namespace: cli
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: cli.children
    flowId: child
    inputs:
      who: parent
outputs:
  - id: answer
    type: STRING
    value: "{{ outputs.call.outputs.said }}"
"""

CHILD = """\
id: child
namespace: cli.children
inputs:
  - id: who
    type: STRING
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "hello {{ inputs.who }}"
outputs:
  - id: said
    type: STRING
    value: "{{ outputs.say.value }}"
"""


def test_subflows_are_found_beside_the_flow_or_in_flows_dir(cli: Cli, tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    parent = _write(here, "parent.yaml", PARENT)
    _write(here, "child.yaml", CHILD)
    done = cli.json("run", str(parent), "--json")
    assert done["state"]["current"] == "SUCCESS"
    assert done["outputs"] == {"answer": "hello parent"}

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (here / "child.yaml").rename(elsewhere / "child.yaml")
    (elsewhere / "child.yaml").write_text(CHILD.replace("hello", "hi"))
    done = cli.json("run", str(parent), "--flows", str(elsewhere), "--json")
    assert done["outputs"] == {"answer": "hi parent"}


def test_unreadable_files_beside_the_flow_do_not_matter(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "broken.yaml").write_text("id: [\n")
    done = cli.run("run", str(_write(tmp_path, "typed.yaml", TYPED_INPUT)), "-i", "count=2")
    assert done.returncode == 0, done.stderr
    assert "count is 2" in done.stderr


SLOW = """\
id: slow
namespace: cli
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
"""


def test_kill_from_another_process(cli: Cli, tmp_path: Path) -> None:
    proc = cli.start("run", str(_write(tmp_path, "slow.yaml", SLOW)), "--json")
    try:
        execution_id = None
        for _ in range(200):
            listed = cli.json("executions", "list", "--json")
            if listed["total"]:
                execution_id = listed["results"][0]["id"]
                break
        assert execution_id is not None
        # The run holds the engine; kill it, as an operator would, then end the execution.
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        done = cli.run("executions", "kill", execution_id, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"]["current"] == "KILLED"
        again = cli.run("executions", "kill", execution_id)
        assert again.returncode == 1 and "already ended KILLED" in again.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


SECRET_FLOW = """\
id: secret
namespace: cli
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "key is {{ secret('WEBHOOK_KEY') }}"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.echo.value }}"
"""


def test_secrets_never_reach_the_output(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_WEBHOOK_KEY", base64.b64encode(b"very-secret-key").decode())
    done = cli.run("run", str(_write(tmp_path, "secret.yaml", SECRET_FLOW)), "--json")
    assert done.returncode == 0, done.stderr
    assert "very-secret-key" not in done.stdout + done.stderr
    assert "key is ******" in done.stderr
    assert json.loads(done.stdout)["taskRunList"][0]["outputs"] == {"value": "key is ******"}
