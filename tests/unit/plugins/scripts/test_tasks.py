from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from headway.errors import TaskFailure
from headway.plugins.base import TaskResultWarning
from headway.plugins.registry import Registry
from headway.plugins.scripts import PLUGINS, PythonCommands, PythonScript, ShellCommands
from headway.plugins.scripts.shell import ShellScript
from headway.plugins.scripts.task import ScriptTask
from headway.runners.lines import MAX_LINE_BYTES
from headway.runners.process import _group_alive as group_alive

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


def shell(make: TaskFactory, *commands: str, **props: Any) -> ShellCommands:
    return make(ShellCommands, commands=list(commands), **props)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def messages(ctx: FakeRunContext, level: str) -> list[str]:
    return [message for lvl, message in ctx.logs if lvl == level]


# --- the models -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", PLUGINS)
def test_every_name_resolves(cls: type[ScriptTask]) -> None:
    registry = Registry(PLUGINS)
    for name in (cls.type_name, *cls.aliases):
        assert registry.resolve(name) is cls


@pytest.mark.parametrize(
    ("cls", "props"),
    [
        (ShellCommands, {"commands": ["echo hi"]}),
        (ShellScript, {"script": "echo hi"}),
        (PythonCommands, {"commands": ["python main.py"]}),
        (PythonScript, {"script": "print(1)"}),
    ],
)
def test_validates_kestra_properties(
    make: TaskFactory, cls: type[ScriptTask], props: dict[str, Any]
) -> None:
    task = make(
        cls,
        **props,
        beforeCommands=["echo before"],
        env={"A": "1", "B": "{{ inputs.b }}"},
        inputFiles={"main.py": "print('x')"},
        warningOnStdErr=False,
        failFast=False,
        containerImage="python:3.11-slim",
        taskRunner={"type": "io.kestra.plugin.core.runner.Process"},
    )
    assert task.interpreter == ["/bin/sh", "-c"]
    assert task.env == {"A": "1", "B": "{{ inputs.b }}"}
    assert task.fail_fast is False


@pytest.mark.parametrize(
    "props",
    [
        {"commands": ["echo"], "unknown": 1},
        {"commands": []},
        {"script": "echo"},
        {"commands": ["echo"], "interpreter": []},
        {"commands": ["echo"], "taskRunner": {"type": "io.kestra.plugin.nope.Runner"}},
        {
            "commands": ["echo"],
            "taskRunner": {"type": "io.kestra.plugin.core.runner.Process", "x": 1},
        },
    ],
)
def test_rejects_invalid_properties(make: TaskFactory, props: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make(ShellCommands, **props)


def test_kubernetes_runner_keys_are_accepted(make: TaskFactory) -> None:
    task = shell(
        make,
        "echo",
        taskRunner={
            "type": "io.kestra.plugin.kubernetes.runner.Kubernetes",
            "namespace": "jobs",
            "resources": {"request": {"cpu": "1"}},
        },
    )
    assert task.task_runner is not None
    assert task.task_runner.keys() == {"namespace": "jobs", "resources": {"request": {"cpu": "1"}}}


# --- running ----------------------------------------------------------------------------------


async def test_stdout_is_logged_and_the_exit_code_is_an_output(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    outputs = await shell(make, "echo hello", "echo world").run(ctx)
    assert outputs == {"exitCode": 0, "vars": {}}
    assert messages(ctx, "INFO") == ["hello", "world"]


async def test_stderr_is_logged_at_warn(make: TaskFactory, ctx: FakeRunContext) -> None:
    await shell(make, "echo oops >&2").run(ctx)
    assert messages(ctx, "WARN") == ["oops"]


async def test_warning_on_stderr_only_when_asked(make: TaskFactory, ctx: FakeRunContext) -> None:
    with pytest.raises(TaskResultWarning) as caught:
        await shell(make, "echo oops >&2", warningOnStdErr=True).run(ctx)
    assert caught.value.outputs == {"exitCode": 0, "vars": {}}


async def test_protocol_lines_give_outputs_logs_and_metrics(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    outputs = await shell(
        make,
        """echo '::{"outputs": {"count": 3, "name": "Ada"}}::'""",
        """echo '::{"outputs": {"count": 4}}::'""",
        """echo '::{"logs": [{"level": "ERROR", "message": "bad row"}]}::'""",
        """echo '::{"metrics": [{"name": "rows", "type": "counter", "value": 1}]}::'""",
        "echo '::not json::'",
    ).run(ctx)
    assert outputs == {"exitCode": 0, "vars": {"count": 4, "name": "Ada"}}
    assert messages(ctx, "ERROR") == ["bad row"]
    assert messages(ctx, "INFO") == ["::not json::"]
    assert ctx.metrics == [{"name": "rows", "type": "counter", "value": 1, "tags": {}}]


async def test_a_non_zero_exit_fails_retryably(make: TaskFactory, ctx: FakeRunContext) -> None:
    with pytest.raises(TaskFailure) as caught:
        await shell(make, "echo before", "exit 3").run(ctx)
    assert caught.value.message == "command failed with exit code 3"
    assert caught.value.retryable


async def test_fail_fast_stops_at_the_first_failure(make: TaskFactory, ctx: FakeRunContext) -> None:
    with pytest.raises(TaskFailure, match="exit code 1"):
        await shell(make, "false", "echo after").run(ctx)
    assert "after" not in messages(ctx, "INFO")


async def test_without_fail_fast_the_last_command_decides(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    outputs = await shell(make, "false", "echo after", failFast=False).run(ctx)
    assert outputs is not None and outputs["exitCode"] == 0
    assert messages(ctx, "INFO") == ["after"]


async def test_env_and_before_commands(make: TaskFactory, ctx: FakeRunContext) -> None:
    task = shell(
        make, 'echo "$GREETING $WHO"', env={"GREETING": "hello"}, beforeCommands=["WHO=Ada"]
    )
    await task.run(ctx)
    assert messages(ctx, "INFO") == ["hello Ada"]


async def test_headway_settings_are_not_passed_on(
    make: TaskFactory, ctx: FakeRunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWAY_DB_URL", "postgresql://user:secret@db/headway")
    await shell(make, 'echo "url=${HEADWAY_DB_URL:-}"').run(ctx)
    assert messages(ctx, "INFO") == ["url="]


async def test_interpreter(make: TaskFactory, ctx: FakeRunContext) -> None:
    task = shell(make, "print(6 * 7)", interpreter=[sys.executable, "-c"], failFast=False)
    await task.run(ctx)
    assert messages(ctx, "INFO") == ["42"]


async def test_input_files_and_working_dir(make: TaskFactory, ctx: FakeRunContext) -> None:
    task = shell(
        make,
        "cat data/in.txt",
        "cat {{ workingDir }}/data/in.txt",
        'echo "dir={{workingDir}}"',
        "echo {{ name }}",
        inputFiles={"data/in.txt": "line one\n"},
    )
    ctx.variables["name"] = "Ada"
    await task.run(ctx)
    info = messages(ctx, "INFO")
    assert info[:2] == ["line one", "line one"]
    assert info[3] == "Ada"
    working_dir = Path(info[2].removeprefix("dir="))
    assert working_dir.is_absolute()
    assert not await asyncio.to_thread(working_dir.exists)  # removed after the run


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/../../b", ""])
async def test_an_input_file_outside_the_working_dir_fails(
    make: TaskFactory, ctx: FakeRunContext, name: str
) -> None:
    with pytest.raises(TaskFailure) as caught:
        await shell(make, "true", inputFiles={name: "x"}).run(ctx)
    assert not caught.value.retryable
    assert "working dir" in caught.value.message


async def test_kubernetes_runner_fails_at_run_time(make: TaskFactory, ctx: FakeRunContext) -> None:
    task = shell(
        make,
        "echo",
        taskRunner={"type": "io.kestra.plugin.kubernetes.runner.Kubernetes", "namespace": "jobs"},
    )
    with pytest.raises(TaskFailure) as caught:
        await task.run(ctx)
    assert caught.value.message == (
        "the Kubernetes task runner is not available yet; use io.kestra.plugin.core.runner.Process"
    )
    assert not caught.value.retryable


async def test_output_files_matching_nothing_give_an_empty_map(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    # Files that match are stored in internal storage: tests/integration/test_storage.py.
    outputs = await shell(make, "echo", outputFiles=["*.csv"]).run(ctx)
    assert outputs is not None and outputs["outputFiles"] == {}


async def test_container_image_is_ignored_with_a_debug_log(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    await shell(make, "echo", containerImage="ubuntu:24.04").run(ctx)
    assert any("ubuntu:24.04" in m and "ignored" in m for m in messages(ctx, "DEBUG"))


async def test_a_10_mb_line_is_cut(make: TaskFactory, ctx: FakeRunContext) -> None:
    await shell(make, "head -c 10485760 /dev/zero | tr '\\0' a", "echo", "echo next").run(ctx)
    info = messages(ctx, "INFO")
    assert info[0] == "a" * MAX_LINE_BYTES
    assert info[1] == f"[line truncated: {10 * 1024 * 1024 - MAX_LINE_BYTES} more bytes dropped]"
    assert info[2:] == ["next"]  # the echo ended the long line


async def test_binary_output_is_decoded_with_replacements(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    await shell(make, r"printf 'ab\377\376cd\000e\n'").run(ctx)
    # NUL too: PostgreSQL's text cannot hold it.
    assert messages(ctx, "INFO") == ["ab\ufffd\ufffdcd\ufffde"]


async def test_a_timeout_kills_the_whole_process_group(
    make: TaskFactory, ctx: FakeRunContext, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    task = shell(
        make,
        f"sleep 30 & echo $! >> {pids}",
        f"(sleep 30; echo never) & echo $! >> {pids}",
        f"echo $$ >> {pids}",
        "wait",
    )
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(task.run(ctx), 1.0)
    started = [int(pid) for pid in pids.read_text().split()]
    assert len(started) == 3
    assert not [pid for pid in started if alive(pid)]
    assert not group_alive(started[2])  # the shell led the group: nothing of it is left


async def test_processes_left_running_are_stopped_at_the_end(
    make: TaskFactory, ctx: FakeRunContext, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    outputs = await shell(make, f"sleep 30 & echo $! > {pids}", "echo done").run(ctx)
    assert outputs is not None and outputs["exitCode"] == 0
    assert not alive(int(pids.read_text()))


async def test_python_script_runs_with_the_worker_interpreter(
    make: TaskFactory, ctx: FakeRunContext
) -> None:
    task = make(
        PythonScript,
        script=(
            "import sys\n"
            "from headway import Kestra, outputs\n"
            "outputs({'who': '{{ name }}'})\n"
            "Kestra.outputs({'exe': sys.executable})\n"
            "print(open('in.txt').read())\n"
        ),
        inputFiles={"in.txt": "from a file"},
    )
    ctx.variables["name"] = "Ada"
    outputs = await task.run(ctx)
    assert outputs == {"exitCode": 0, "vars": {"who": "Ada", "exe": sys.executable}}
    assert messages(ctx, "INFO") == ["from a file"]


async def test_python_commands_run_input_files(make: TaskFactory, ctx: FakeRunContext) -> None:
    task = make(
        PythonCommands,
        commands=["python main.py 2"],
        inputFiles={
            "main.py": (
                "import sys\n"
                "from headway import log, outputs\n"
                "log('warn', 'careful')\n"
                "outputs({'double': int(sys.argv[1]) * 2})\n"
            )
        },
    )
    outputs = await task.run(ctx)
    assert outputs == {"exitCode": 0, "vars": {"double": 4}}
    assert messages(ctx, "WARN") == ["careful"]
