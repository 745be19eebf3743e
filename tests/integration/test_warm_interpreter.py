"""Python tasks in the warm interpreter (the fork server): the same behaviour as a fresh
``python`` process (output, exit codes, the protocol, timeouts and kills that leave no process
behind), the cases that always get a fresh process, and the server's own failures."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository
from headway.flows.loader import parse_flow
from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry
from headway.plugins.scripts import PLUGINS as SCRIPTS
from headway.runners import fork_server
from headway.runners.fork_server import PythonCall, parse_python_command
from headway.runners.process_groups import group_alive
from headway.settings import Settings, SettingsError
from headway.state import State
from headway.store import open_store
from headway.testing import RunResult, run_flow

REGISTRY = Registry([*CORE, *FLOWABLE, *SCRIPTS])
WARM = "runs in the warm Python interpreter (a fork server's child)"


def ran_warm(result: RunResult) -> bool:
    return WARM in result.messages("DEBUG")


def wait_for_pids(path: Path, count: int) -> list[int]:
    for _ in range(1000):
        if path.exists():
            pids = [int(p) for p in path.read_text().split()]
            if len(pids) >= count:
                return pids
        time.sleep(0.01)
    raise AssertionError(f"{path} did not get {count} pids")


def alive(pid: int) -> bool:
    """Running (not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


async def test_a_python_script_runs_warm_as_it_would_fresh() -> None:
    flow = """
id: warm_script
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    env:
      GREETING: hello
    script: |
      import os, sys
      from headway import Kestra
      print(os.environ["GREETING"], os.getcwd() == "{{ workingDir }}", sys.argv[0])
      print("to stderr", file=sys.stderr)
      Kestra.outputs({"name": __name__, "headway": "HEADWAY_HOME" in os.environ})
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert ran_warm(result)
    assert "hello True .headway_script.py" in result.messages("INFO")
    assert "to stderr" in result.messages("WARN")
    assert result.outputs("py") == {
        "exitCode": 0,
        "vars": {"name": "__main__", "headway": False},
    }


async def test_exit_codes_and_tracebacks_are_those_of_python() -> None:
    flow = """
id: warm_failures
namespace: company.team
tasks:
  - id: exits
    type: io.kestra.plugin.scripts.python.Script
    allowFailure: true
    script: |
      import sys
      sys.exit(3)
  - id: raises
    type: io.kestra.plugin.scripts.python.Commands
    allowFailure: true
    commands:
      - python -c "raise ValueError('bad value')"
  - id: stops_at_first
    type: io.kestra.plugin.scripts.python.Commands
    allowFailure: true
    commands:
      - python -c "print('first')"
      - python -c "import sys; sys.exit(5)"
      - python -c "print('never printed')"
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.WARNING
    errors = result.messages("ERROR")
    assert "command failed with exit code 3" in errors
    assert "command failed with exit code 1" in errors
    assert "command failed with exit code 5" in errors
    warnings = result.messages("WARN")
    assert "ValueError: bad value" in warnings
    assert '  File "<string>", line 1, in <module>' in warnings
    assert not any("fork_server" in line or "runpy" in line for line in warnings)
    assert "first" in result.messages("INFO")
    assert "never printed" not in result.messages("INFO")


async def test_what_always_gets_a_fresh_interpreter(tmp_path: Path) -> None:
    flow = f"""
id: fresh_cases
namespace: company.team
tasks:
  - id: opted_out
    type: io.kestra.plugin.scripts.python.Script
    warmInterpreter: false
    script: print("fresh")
  - id: before
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands: ["true"]
    script: print("fresh")
  - id: interpreter
    type: io.kestra.plugin.scripts.python.Commands
    interpreter: ["/bin/bash", "-c"]
    commands: ["python -c 'print(1)'"]
  - id: other_python
    type: io.kestra.plugin.scripts.python.Commands
    commands: ["{sys.base_exec_prefix}/bin/python3 -c 'print(1)'"]
  - id: shell_syntax
    type: io.kestra.plugin.scripts.python.Commands
    commands: ["python -c 'print(1)' > out.txt"]
  - id: python_env
    type: io.kestra.plugin.scripts.python.Script
    env:
      PYTHONHASHSEED: "1"
    script: print("fresh")
  - id: image
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.11-slim
    script: print("fresh")
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert not ran_warm(result)


async def test_the_setting_turns_it_off_for_the_installation(tmp_path: Path) -> None:
    flow = """
id: setting_off
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    script: print("fresh")
"""
    off = Settings.load(
        {"home": tmp_path, "lease_seconds": 5.0}, environ={"HEADWAY_PYTHON_FORK_SERVER": "0"}
    )
    assert off.python_fork_server is False
    try:
        result = await run_flow(flow, registry=REGISTRY, settings=off)
    finally:
        fork_server.configure(enabled=True)
    assert result.state is State.SUCCESS
    assert "fresh" in result.messages("INFO")
    assert not ran_warm(result)


async def test_a_timeout_stops_the_script_and_everything_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    flow = f"""
id: warm_timeout
namespace: company.team
tasks:
  - id: slow
    type: io.kestra.plugin.scripts.python.Script
    timeout: PT1S
    script: |
      import os, subprocess, time
      child = subprocess.Popen(["sleep", "30"])
      grandchild = subprocess.Popen(["sh", "-c", "sleep 30 & echo $! >> {pids}; wait"])
      with open("{pids}", "a") as f:
          f.write(f"{{os.getpid()}} {{child.pid}} {{grandchild.pid}} ")
      time.sleep(30)
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert ran_warm(result)
    assert "timed out after PT1S" in result.messages("ERROR")
    started = wait_for_pids(pids, 4)
    assert not group_alive(started[0])
    assert not any(alive(pid) for pid in started)


async def test_a_dead_fork_server_fails_the_task_clearly_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    flow = f"""
id: server_dies
namespace: company.team
tasks:
  - id: victim
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os, subprocess, time
      child = subprocess.Popen(["sleep", "30"])
      with open("{pids}", "w") as f:
          f.write(f"{{os.getpid()}} {{child.pid}}")
      time.sleep(30)
"""
    server = fork_server.shared()

    async def kill_server() -> None:
        await asyncio.to_thread(wait_for_pids, pids, 2)
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)

    killer = asyncio.create_task(kill_server())
    result = await run_flow(flow, registry=REGISTRY)
    await killer
    assert result.task_run("victim").state.current is State.FAILED
    assert "the Python fork server stopped during the run" in result.messages("ERROR")
    started = wait_for_pids(pids, 2)
    assert not any(alive(pid) for pid in started)

    after = """
id: after_the_server_died
namespace: company.team
tasks:
  - id: next
    type: io.kestra.plugin.scripts.python.Script
    script: print("a new server runs me")
"""
    result = await run_flow(after, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert ran_warm(result)
    assert "a new server runs me" in result.messages("INFO")


def test_the_server_and_its_runs_end_with_the_worker(tmp_path: Path) -> None:
    """A worker killed with SIGKILL: its fork server sees its stdin end, kills the runs'
    process groups and exits."""
    pids = tmp_path / "pids"
    worker = textwrap.dedent(
        f"""
        import asyncio, sys
        from headway.runners.process import ProcessRunner
        from headway.runners.fork_server import PythonCall, shared

        code = (
            "import os, subprocess, time\\n"
            "c = subprocess.Popen(['sleep', '30'])\\n"
            "open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{c.pid}}')\\n"
            "time.sleep(30)\\n"
        )

        async def main():
            async with ProcessRunner().workspace() as ws:
                run = asyncio.ensure_future(
                    ws.run_python([PythonCall("code", code)], {{}}, lambda l, e: None)
                )
                await asyncio.sleep(0.2)
                print(shared().pid, flush=True)
                await run

        asyncio.run(main())
        """
    )
    process = subprocess.Popen([sys.executable, "-c", worker], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        server_pid = int(process.stdout.readline())
        started = wait_for_pids(pids, 2)
        assert all(alive(pid) for pid in started)
        process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            alive(server_pid) or any(alive(pid) for pid in started)
        ):
            time.sleep(0.05)
        assert not alive(server_pid)
        assert not any(alive(pid) for pid in started)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize(
    ("line", "call"),
    [
        ("python main.py a 'b c'", PythonCall("path", "main.py", ("a", "b c"))),
        ("python3 -u -m pkg.mod --x", PythonCall("module", "pkg.mod", ("--x",), True)),
        ("python -c 'print(1)' arg", PythonCall("code", "print(1)", ("arg",))),
        (f"{sys.executable} script.py", PythonCall("path", "script.py")),
        ("""python -c "print('a b')" """, PythonCall("code", "print('a b')")),
        ("python main.py --name=x", PythonCall("path", "main.py", ("--name=x",))),
        ("python -c \"print('$HOME')\"", None),
        ("python", None),
        ("python -X dev main.py", None),
        ("python main.py > out.txt", None),
        ("python main.py $HOME", None),
        ("python main.py && echo done", None),
        ("/usr/bin/python3 main.py", None),
        ("pip install x", None),
        ("python 'unterminated", None),
    ],
)
def test_which_command_lines_run_warm(line: str, call: PythonCall | None) -> None:
    interpreters = frozenset({"python", "python3", sys.executable})
    assert parse_python_command(line, interpreters) == call


async def test_concurrent_runs_keep_their_own_output_and_directory() -> None:
    tasks = "\n".join(
        f"""      - id: py{i}
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import os, time
          open("mine.txt", "w").write("{i}")
          time.sleep(0.2)
          print("task {i} reads", open("mine.txt").read(), os.getpid())"""
        for i in range(4)
    )
    flow = f"""
id: warm_parallel
namespace: company.team
tasks:
  - id: all
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
{tasks}
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    lines = [line for line in result.messages("INFO") if line.startswith("task ")]
    assert sorted(line.split(" reads ")[0] for line in lines) == [f"task {i}" for i in range(4)]
    for line in lines:
        i, rest = line.removeprefix("task ").split(" reads ")
        assert rest.split()[0] == i
    assert len({line.split()[-1] for line in lines}) == 4  # four processes


async def test_a_kill_stops_the_warm_script_and_its_children(tmp_path: Path) -> None:

    pids = tmp_path / "pids"
    source = f"""
id: killable_warm
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os, subprocess, time
      child = subprocess.Popen(["sleep", "30"])
      with open("{pids}", "w") as f:
          f.write(f"{{os.getpid()}} {{child.pid}}")
      time.sleep(30)
"""
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    repo = FlowRepository(store, REGISTRY, tenant=settings.tenant, local={})
    engine = Engine(store, settings, registry=REGISTRY, flows=repo)
    await engine.start()
    try:
        flow = parse_flow(source, file="<flow>", task_types=REGISTRY)
        repo.add_local(flow, source, "<flow>")
        latest, revision = await repo.latest(flow.namespace, flow.id)
        execution = await engine.executor.create_execution(latest, revision, {})
        started = await asyncio.to_thread(wait_for_pids, pids, 2)
        assert all(alive(pid) for pid in started)
        await engine.executor.request(execution.id, "kill", {})
        done = await asyncio.wait_for(engine.wait(execution.id), 10)
        assert done.current is State.KILLED
        for _ in range(500):  # the worker may still be stopping it (see test_scripts.py)
            if not any(alive(pid) for pid in started):
                break
            await asyncio.sleep(0.01)
        assert not any(alive(pid) for pid in started)
    finally:
        await engine.stop()
        await store.close()


def test_the_setting_takes_only_a_boolean(tmp_path: Path) -> None:

    for text, value in (("1", True), ("true", True), ("off", False), ("False", False)):
        loaded = Settings.load({"home": tmp_path}, environ={"HEADWAY_PYTHON_FORK_SERVER": text})
        assert loaded.python_fork_server is value
    with pytest.raises(SettingsError, match="python_fork_server: expected true or false"):
        Settings.load({"home": tmp_path}, environ={"HEADWAY_PYTHON_FORK_SERVER": "maybe"})
