"""Bad input to script tasks: each gives a clear message, and a FAILED TaskRun where the task
cannot do what it was asked; never a crash of the engine, a leaked file or process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry
from headway.plugins.scripts import PLUGINS as SCRIPTS
from headway.runners.lines import MAX_LINE_BYTES
from headway.settings import Settings
from headway.state import State
from headway.storage import LocalStorage
from headway.testing import run_flow

REGISTRY = Registry([*CORE, *FLOWABLE, *SCRIPTS])


def run_dirs() -> set[str]:
    """The Process runner's temporary working directories that exist now."""
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    return {p.name for p in tmp.glob("headway-run-*")}


@pytest.fixture(autouse=True)
def no_directory_left() -> object:
    before = run_dirs()
    yield None
    assert run_dirs() - before == set()


async def test_an_output_file_that_is_not_there() -> None:
    """As in Kestra, a glob of ``outputFiles`` that matches nothing is no error (the task
    may legitimately produce no file); the file is then missing from
    ``outputs.<id>.outputFiles``, and a task that asks for it fails, naming it."""
    flow = """
id: missing_output
namespace: company.team
tasks:
  - id: produce
    type: io.kestra.plugin.scripts.python.Script
    outputFiles: ["report.csv"]
    script: print("forgot to write report.csv")
  - id: consume
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      report.csv: "{{ outputs.produce.outputFiles['report.csv'] }}"
    commands: ["cat report.csv"]
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert result.task_run("produce").state.current is State.SUCCESS
    assert result.outputs("produce")["outputFiles"] == {}
    assert "outputFiles: no file matches 'report.csv'" in result.messages("WARN")
    assert result.task_run("consume").state.current is State.FAILED
    assert any("report.csv" in line for line in result.messages("ERROR"))


async def test_an_input_file_uri_that_does_not_exist() -> None:
    flow = """
id: missing_input
namespace: company.team
tasks:
  - id: consume
    type: io.kestra.plugin.scripts.python.Script
    inputFiles:
      data.csv: kestra:///company/team/missing_input/executions/x/tasks/t/tr/data.csv
    script: print(open("data.csv").read())
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    errors = result.messages("ERROR")
    assert "inputFiles 'data.csv': no file kestra:///company/team/missing_input/" in " ".join(
        errors
    )
    assert len(result.task_run("consume").attempts) == 1


@pytest.mark.parametrize("kind", ["shell", "python"])
async def test_a_non_zero_exit(kind: str) -> None:
    body = (
        'commands: ["echo partial", "exit 7"]'
        if kind == "shell"
        else 'script: |\n      print("partial")\n      raise SystemExit(7)'
    )
    type_ = "shell.Commands" if kind == "shell" else "python.Script"
    flow = f"""
id: non_zero
namespace: company.team
tasks:
  - id: fails
    type: io.kestra.plugin.scripts.{type_}
    {body}
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert "partial" in result.messages("INFO")
    assert "command failed with exit code 7" in result.messages("ERROR")


@pytest.mark.parametrize("warm", [True, False])
async def test_a_binary_stdout_is_logged_as_text(warm: bool) -> None:
    """Bytes that are not UTF-8 (and NUL, which no database text column takes) are replaced
    by U+FFFD; the rest of the output and the protocol still work."""
    flow = f"""
id: binary
namespace: company.team
tasks:
  - id: noise
    type: io.kestra.plugin.scripts.python.Script
    warmInterpreter: {str(warm).lower()}
    script: |
      import os, sys
      sys.stdout.flush()
      os.write(1, bytes(range(256)) + b"\\n" + os.urandom(4096) + b"\\nafter\\n")
      print('::{{"outputs": {{"ok": true}}}}::')
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert result.outputs("noise")["vars"] == {"ok": True}
    info = result.messages("INFO")
    assert "after" in info
    assert any("\ufffd" in line for line in info)
    assert not any("\x00" in line for line in result.messages())


@pytest.mark.parametrize("kind", ["shell", "python"])
async def test_a_10_mb_line_is_cut_with_a_note(kind: str) -> None:
    body = (
        "commands: [\"head -c 10485760 /dev/zero | tr '\\\\0' x\", 'echo', 'echo next']"
        if kind == "shell"
        else "script: |\n      print('x' * 10 * 1024 * 1024)\n      print('next')"
    )
    type_ = "shell.Commands" if kind == "shell" else "python.Script"
    flow = f"""
id: long_line
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.{type_}
    {body}
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS, result.messages()
    info = result.messages("INFO")
    assert max(len(line) for line in info) == MAX_LINE_BYTES
    dropped = 10 * 1024 * 1024 - MAX_LINE_BYTES
    assert f"[line truncated: {dropped} more bytes dropped]" in info
    assert "next" in info


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/../../b"])
async def test_an_input_file_escaping_the_working_directory(name: str) -> None:
    flow = f"""
id: escaping
namespace: company.team
tasks:
  - id: sneaky
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT0.1S
      maxAttempts: 3
    inputFiles:
      "{name}": "overwritten"
    commands: ["echo never"]
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert len(result.task_run("sneaky").attempts) == 1  # not retried: it cannot succeed
    errors = " ".join(result.messages("ERROR"))
    assert f"input file '{name}'" in errors
    assert "never" not in result.messages("INFO")


async def test_a_uri_of_another_namespace(tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    theirs = "kestra:///finance/payroll/executions/ex1/tasks/t/tr1/salaries.csv"
    await LocalStorage(settings.storage_path).put("main", theirs, b"secret numbers")
    flow = f"""
id: thief
namespace: company.team
tasks:
  - id: steal
    type: io.kestra.plugin.scripts.python.Script
    inputFiles:
      stolen.csv: "{theirs}"
    script: print(open("stolen.csv").read())
"""
    result = await run_flow(flow, registry=REGISTRY, settings=settings)
    assert result.state is State.FAILED
    assert result.task_run("steal").state.current is State.FAILED
    assert any("belongs to namespace 'finance'" in line for line in result.messages("ERROR"))
    assert "secret numbers" not in " ".join(result.messages())
