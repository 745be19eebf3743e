"""FILE inputs through `headway run`: `--input data=@path` (Kestra's convention) or a plain
path is stored in internal storage; the input's value is its kestra:/// URI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import Cli

WITH_FILE = """\
id: with_file
namespace: cli.files
inputs:
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "read: {{ read(inputs.data) | trim }}"
"""


def _run(
    cli: Cli, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli.command(*args),
        env=env or cli.env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _flow(tmp_path: Path) -> Path:
    path = tmp_path / "with_file.yaml"
    path.write_text(WITH_FILE)
    return path


def test_a_file_input_given_with_at(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,Ada\n")
    done = cli.run(
        "run", str(_flow(tmp_path)), "--input", f"data=@{tmp_path / 'rows.csv'}", "--json"
    )
    assert done.returncode == 0, done.stderr
    execution = json.loads(done.stdout)
    uri = execution["inputs"]["data"]
    assert uri == (
        f"kestra:///cli/files/with_file/executions/{execution['id']}/inputs/data/rows.csv"
    )
    assert "read: 1,Ada" in done.stderr
    stored = cli.home / "storage" / "main" / uri.removeprefix("kestra:///")
    assert stored.read_text() == "1,Ada\n"


def test_a_file_input_given_as_a_relative_path(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("relative\n")
    done = _run(cli, "run", str(_flow(tmp_path)), "--input", "data=in.txt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "read: relative" in done.stderr


def test_the_storage_dir_setting(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("elsewhere\n")
    env = {**cli.env(), "HEADWAY_STORAGE_DIR": str(tmp_path / "files")}
    done = _run(cli, "run", str(_flow(tmp_path)), "-i", f"data=@{tmp_path / 'in.txt'}", env=env)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "files").rglob("in.txt")] == ["in.txt"]
    assert not (cli.home / "storage").exists()


def test_a_missing_file_exits_2_naming_the_input_and_the_path(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    done = cli.run("run", str(_flow(tmp_path)), "--input", f"data=@{missing}")
    assert done.returncode == 2
    assert f"input 'data': no such file: {missing}" in done.stderr
    assert "Traceback" not in done.stderr
