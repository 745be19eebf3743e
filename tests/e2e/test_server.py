"""`headway server` as a subprocess, driven with HTTP and with the CLI's ``--server``."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Cli

EXAMPLES = Path(__file__).parents[2] / "examples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(cli: Cli, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = cli.start("server", "--port", str(port), *args)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {process.communicate()[1]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not answer /health within 30 s")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(EXAMPLES, target)
    return target


def test_server_runs_flows_and_stops_cleanly_on_sigterm(cli: Cli, flows_dir: Path) -> None:
    with running_server(cli, "--flows", str(flows_dir)) as (url, process):
        response = httpx.post(
            f"{url}/api/v1/executions/demo/hello", params={"wait": "true"}, data={"name": "Ada"}
        )
        assert response.status_code == 200
        assert response.json()["outputs"] == {"greeting": "Hello Ada!"}

        listed = cli.run("executions", "list", "--server", url)
        assert listed.returncode == 0, listed.stderr
        assert "demo.hello  SUCCESS" in listed.stdout

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_flows_directory_is_applied_on_change(cli: Cli, flows_dir: Path) -> None:
    with running_server(cli, "--flows", str(flows_dir)) as (url, _):
        hello = flows_dir / "hello.yaml"
        hello.write_text(hello.read_text().replace("Hello", "Howdy"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            flow = httpx.get(f"{url}/api/v1/flows/demo/hello").json()
            if flow["revision"] == 2:
                break
            time.sleep(0.2)
        assert flow["revision"] == 2 and "Howdy" in flow["source"]
        (flows_dir / "broken.yaml").write_text("id: broken\nnamespace: demo\ntasks: 3\n")
        time.sleep(2.5)
        assert httpx.get(f"{url}/api/v1/flows/demo/broken").status_code == 404


def test_flows_apply_shows_the_diff_then_applies(cli: Cli, flows_dir: Path, tmp_path: Path) -> None:
    with running_server(cli) as (url, _):
        dry = cli.run("flows", "apply", str(flows_dir), "--dry-run", "--server", url)
        assert dry.returncode == 0, dry.stderr
        assert "create    demo.hello" in dry.stdout
        assert "dry run: 4 created" in dry.stderr
        assert httpx.get(f"{url}/api/v1/flows/demo/hello").status_code == 404

        done = cli.run("flows", "apply", str(flows_dir), "--server", url)
        assert done.returncode == 0 and "4 created" in done.stderr

        (flows_dir / "fanout.yaml").unlink()
        hello = flows_dir / "hello.yaml"
        hello.write_text(hello.read_text().replace("Hello", "Howdy"))
        pruned = cli.run(
            "flows", "apply", str(flows_dir), "--prune", "--namespace", "demo", "--server", url
        )
        assert pruned.returncode == 0, pruned.stderr
        assert "update    demo.hello" in pruned.stdout and "+" in pruned.stdout
        assert "delete    demo.fanout" in pruned.stdout
        assert httpx.get(f"{url}/api/v1/flows/demo/fanout").status_code == 404

        (flows_dir / "bad.yaml").write_text("id: bad\nnamespace: demo\ntasks:\n  - id: x\n")
        invalid = cli.run("flows", "apply", str(flows_dir), "--server", url)
        assert invalid.returncode == 2
        assert "bad.yaml:4" in invalid.stderr

        exported = cli.run("flows", "export", str(tmp_path / "out"), "--server", url)
        assert exported.returncode == 0
        assert "Howdy" in (tmp_path / "out" / "demo" / "hello.yaml").read_text()


def test_executions_commands_against_a_server(cli: Cli, flows_dir: Path) -> None:
    with running_server(cli, "--flows", str(flows_dir)) as (url, _):
        paused = httpx.post(f"{url}/api/v1/executions/demo/approval", params={"wait": "true"})
        execution_id = paused.json()["id"]
        assert paused.json()["state"]["current"] == "PAUSED"

        resumed = cli.run(
            "executions", "resume", execution_id, "-i", "approved=false", "--server", url
        )
        assert resumed.returncode == 1, resumed.stderr
        assert f"execution {execution_id} FAILED" in resumed.stderr
        assert "Rejected" in resumed.stderr

        got = cli.json("executions", "get", execution_id, "--json", "--server", url)
        assert got["state"]["current"] == "FAILED"
        logs = cli.run("executions", "logs", execution_id, "--server", url)
        assert "Waiting for approval" in logs.stdout

        replayed = cli.run("executions", "replay", execution_id, "--server", url)
        assert replayed.returncode == 0, replayed.stderr
        assert "PAUSED" in replayed.stderr

        missing = cli.run("executions", "get", "nope", "--server", url)
        assert missing.returncode == 1
        assert "404: execution 'nope' not found" in missing.stderr

    gone = cli.run("executions", "list", "--server", url)
    assert gone.returncode == 1 and "cannot reach the server" in gone.stderr


def test_server_refuses_to_listen_everywhere_without_access_control(cli: Cli) -> None:
    done = cli.run("server", "--host", "0.0.0.0", "--port", str(free_port()))
    assert done.returncode == 1
    assert "without access control" in done.stderr


TRIGGERED = """\
id: triggered
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "fired by {{ trigger.date ?? 'webhook: ' ~ trigger.body.alert }}"
triggers:
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: s3cret-key
"""


def test_the_server_runs_schedules_and_webhooks(cli: Cli, tmp_path: Path) -> None:
    flows = tmp_path / "triggered"
    flows.mkdir()
    (flows / "triggered.yaml").write_text(TRIGGERED)
    with running_server(cli, "--flows", str(flows)) as (url, _):
        search = f"{url}/api/v1/executions/search"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = httpx.get(search, params={"flowId": "triggered"}).json()
            if found["total"] >= 2:
                break
            time.sleep(0.3)
        assert found["total"] >= 2
        assert found["results"][0]["trigger"]["id"] == "every_second"
        metrics = httpx.get(f"{url}/metrics").text
        fired = next(
            line for line in metrics.splitlines() if line.startswith("headway_triggers_fired ")
        )
        assert float(fired.split()[1]) >= 2
        assert "headway_trigger_lag_seconds " in metrics

        hook = f"{url}/api/v1/executions/webhook/demo/triggered"
        fired = httpx.post(f"{hook}/s3cret-key", json={"alert": "disk"})
        assert fired.status_code == 200
        assert fired.json()["trigger"]["id"] == "hook"
        wrong = httpx.post(f"{hook}/wrong-key", json={"alert": "disk"})
        assert wrong.status_code == 404
        assert "s3cret" not in wrong.text

        disabled = httpx.put(
            f"{url}/api/v1/triggers",
            json={
                "namespace": "demo",
                "flowId": "triggered",
                "triggerId": "every_second",
                "disabled": True,
            },
        )
        assert disabled.status_code == 200, disabled.text


READS_FILE = """\
id: reads
namespace: demo
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ read('config/settings.txt') }}"
"""


def test_namespace_files_sync_from_the_flows_directory_and_the_cli(
    cli: Cli, tmp_path: Path
) -> None:
    flows = tmp_path / "repo"
    (flows / "_files" / "demo" / "config").mkdir(parents=True)
    (flows / "reads.yaml").write_text(READS_FILE)
    (flows / "_files" / "demo" / "config" / "settings.txt").write_text("from git")
    (flows / "_files" / "demo" / "config" / "extra.yaml").write_text("not: a flow\n")
    with running_server(cli, "--flows", str(flows)) as (url, _):
        files = f"{url}/api/v1/namespaces/demo/files"
        assert httpx.get(files, params={"path": "/config/settings.txt"}).text == "from git"
        ran = httpx.post(f"{url}/api/v1/executions/demo/reads", params={"wait": "true"})
        assert ran.json()["state"]["current"] == "SUCCESS"
        logs = httpx.get(f"{url}/api/v1/logs/{ran.json()['id']}").json()
        assert logs[0]["message"] == "from git"

        local = tmp_path / "scripts"
        local.mkdir()
        (local / "run.py").write_text("print('hi')\n")
        dry = cli.run(
            "namespace",
            "files",
            "apply",
            "demo",
            str(local),
            "--prune",
            "--dry-run",
            "--server",
            url,
        )
        assert dry.returncode == 0, dry.stderr
        assert "create    run.py" in dry.stdout and "delete    config/settings.txt" in dry.stdout
        assert "dry run: 1 created, 0 updated, 2 deleted" in dry.stderr
        done = cli.run("namespace", "files", "apply", "demo", str(local), "--server", url)
        assert done.returncode == 0, done.stderr
        assert httpx.get(files, params={"path": "/run.py"}).text == "print('hi')\n"
        assert httpx.get(files, params={"path": "/config/settings.txt"}).status_code == 200
