"""Internal storage in real flows: outputFiles, inputFiles from kestra:/// URIs, read(),
fileSize(), fileExists(), FILE inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headway.errors import FlowInvalidError
from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry, default_registry
from headway.plugins.scripts import PLUGINS as SCRIPTS
from headway.settings import Settings
from headway.state import State
from headway.storage import FileUpload, LocalStorage
from headway.testing import run_flow

REGISTRY = Registry([*CORE, *FLOWABLE, *SCRIPTS])
URI = re.compile(
    r"^kestra:///company/team/files/executions/\w+/tasks/first/\w+/(out\.txt|reports/r\.csv)$"
)


async def test_an_output_file_read_by_the_next_tasks() -> None:
    flow = """
id: files
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles:
      - out.txt
      - "reports/*.csv"
      - "*.missing"
    commands:
      - echo hello from first > out.txt
      - mkdir -p reports && echo a,b > reports/r.csv && echo skipped > reports/r.txt
  - id: second
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.txt: "{{ outputs.first.outputFiles['out.txt'] }}"
      data/rows.csv: "{{ outputs.first.outputFiles['reports/r.csv'] }}"
      inline.txt: plain text
    commands:
      - echo "read in a command, {{ read(outputs.first.outputFiles['out.txt']) | trim }}"
      - cat in.txt data/rows.csv inline.txt
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: >-
      {{ read(outputs.first.outputFiles['out.txt']) | trim }}
      ({{ fileSize(outputs.first.outputFiles['out.txt']) }} bytes,
      exists: {{ fileExists(outputs.first.outputFiles['out.txt']) }})
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS, result.messages()
    files = result.outputs("first")["outputFiles"]
    assert sorted(files) == ["out.txt", "reports/r.csv"]
    assert all(URI.match(uri) for uri in files.values()), files
    assert files["out.txt"].endswith(f"/{result.task_run('first').id}/out.txt")
    assert [
        m for m in result.messages("INFO") if m in ("hello from first", "a,b", "plain text")
    ] == ["hello from first", "a,b", "plain text"]
    assert "hello from first (17 bytes, exists: true)" in result.messages("INFO")
    assert "read in a command, hello from first" in result.messages("INFO")


async def test_a_python_script_writes_an_output_file() -> None:
    flow = """
id: py_files
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.scripts.python.Script
    outputFiles: ["**.json"]
    script: |
      import json, os
      os.makedirs("deep/er", exist_ok=True)
      with open("deep/er/data.json", "w") as f:
          json.dump({"rows": 3}, f)
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ fromJson(read(outputs.make.outputFiles['deep/er/data.json'])).rows }} rows"
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS, result.messages()
    assert list(result.outputs("make")["outputFiles"]) == ["deep/er/data.json"]
    assert "3 rows" in result.messages("INFO")


async def test_an_output_file_escaping_the_working_dir_is_refused() -> None:
    flow = """
id: escape
namespace: company.team
tasks:
  - id: sneaky
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["../*"]
    commands: ["echo hi"]
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert "output file '../*' escapes the working directory" in result.messages("ERROR")


async def test_a_link_leading_outside_the_working_dir_is_not_stored(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    flow = f"""
id: links
namespace: company.team
tasks:
  - id: link
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["*.txt"]
    commands:
      - ln -s {secret} leak.txt
      - echo mine > own.txt
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS, result.messages()
    assert list(result.outputs("link")["outputFiles"]) == ["own.txt"]


async def test_another_namespaces_file_cannot_be_read(tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    theirs = "kestra:///finance/payroll/salaries/executions/ex1/tasks/t/tr1/salaries.csv"
    await LocalStorage(settings.storage_path).put("main", theirs, b"secret numbers")
    flow = f"""
id: thief
namespace: company.team
tasks:
  - id: by_expression
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ read('{theirs}') }}}}"
    allowFailure: true
  - id: by_input_file
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      stolen.csv: "{theirs}"
    commands: ["cat stolen.csv"]
"""
    result = await run_flow(flow, registry=REGISTRY, settings=settings)
    assert result.state is State.FAILED
    errors = " ".join(result.messages("ERROR"))
    assert "function 'read': kestra:///finance" in errors
    assert errors.count("belongs to namespace 'finance.payroll'") == 2
    assert "secret numbers" not in " ".join(result.messages())


async def test_a_file_input_is_stored_and_read(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("id,name\n1,Ada\n")
    flow = """
id: with_file
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: upload
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(inputs.data) | trim }} / {{ read(inputs.upload) }}"
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.csv: "{{ inputs.data }}"
    commands: ["wc -l < data.csv"]
"""
    result = await run_flow(
        flow,
        inputs={"data": source, "upload": FileUpload("u.txt", b"uploaded")},
        registry=REGISTRY,
    )
    assert result.state is State.SUCCESS, result.messages()
    execution = result.execution
    prefix = f"kestra:///company/team/with_file/executions/{execution.id}/inputs"
    assert execution.inputs == {
        "data": f"{prefix}/data/rows.csv",
        "upload": f"{prefix}/upload/u.txt",
    }
    assert "id,name\n1,Ada / uploaded" in result.messages("INFO")
    assert "2" in result.messages("INFO")


async def test_a_missing_file_is_an_invalid_input(tmp_path: Path) -> None:
    flow = """
id: with_file
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.data }}"
"""
    from headway.errors import InputInvalidError

    try:
        await run_flow(flow, inputs={"data": tmp_path / "nope.csv"}, registry=REGISTRY)
    except InputInvalidError as exc:
        assert exc.message == f"input 'data': no such file: {tmp_path / 'nope.csv'}"
    else:
        raise AssertionError("expected an invalid input")


async def test_read_of_a_missing_file_fails_the_task() -> None:
    flow = """
id: missing
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ fileExists('kestra:///company/team/missing/executions/x/inputs/i/f') }}"
  - id: fail
    type: io.kestra.plugin.core.log.Log
    message: "{{ read('kestra:///company/team/missing/executions/x/inputs/i/f') }}"
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert "false" in result.messages("INFO")
    assert any("no file kestra:///company/team" in m for m in result.messages("ERROR"))


async def test_storage_tasks_refuse_bad_input_clearly(tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    theirs = "kestra:///finance/payroll/salaries/executions/ex1/tasks/t/tr1/salaries.csv"
    await LocalStorage(settings.storage_path).put("main", theirs, b"secret numbers\n")
    flow = f"""
id: bad_storage_input
namespace: company.team
tasks:
  - id: items
    type: io.kestra.plugin.core.storage.Write
    content: |
      {{"id": 1}}
      not an item
  - id: split_theirs
    type: io.kestra.plugin.core.storage.Split
    from: "{theirs}"
    rows: 1
    allowFailure: true
  - id: concat_text
    type: io.kestra.plugin.core.storage.Concat
    files: ["/etc/passwd"]
    allowFailure: true
  - id: filter_bad_line
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{{{ outputs.items.uri }}}}"
    filterCondition: "{{{{ id == 1 }}}}"
    allowFailure: true
  - id: dedup_bad_line
    type: io.kestra.plugin.core.storage.DeduplicateItems
    from: "{{{{ outputs.items.uri }}}}"
    expr: "{{{{ id }}}}"
    allowFailure: true
  - id: upload_elsewhere
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: finance
    filesMap:
      x.txt: hello
    allowFailure: true
  - id: upload_escape
    type: io.kestra.plugin.core.namespace.UploadFiles
    filesMap:
      ../../x.txt: hello
    allowFailure: true
  - id: script_elsewhere
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
      namespaces: [finance]
    commands: ["ls"]
    allowFailure: true
  - id: split_zero
    type: io.kestra.plugin.core.storage.Split
    from: "{{{{ outputs.items.uri }}}}"
    rows: 0
    allowFailure: true
"""
    result = await run_flow(flow, registry=default_registry(), settings=settings)
    assert result.state is State.WARNING, result.messages()
    errors = result.messages("ERROR")
    expected = [
        "belongs to namespace 'finance.payroll'",
        "property 'files[0]': '/etc/passwd' is not a kestra:/// URI of internal storage",
        "filterCondition: line 2 is not a JSON or Ion item",
        "expr: line 2 is not a JSON or Ion item",
        "namespace 'finance': a flow of 'company.team' may only reach the namespace files of "
        "its own namespace",
        "'..' segment",
        "namespaceFiles.namespaces: a flow of 'company.team' may only use the namespace files "
        "of its own namespace (got finance)",
        "property 'rows' must be positive, got 0",
    ]
    for text in expected:
        assert any(text in m for m in errors), (text, errors)
    assert "secret numbers" not in " ".join(result.messages())


async def test_split_takes_exactly_one_way_to_split() -> None:
    flow = """
id: split_twice
namespace: company.team
tasks:
  - id: split
    type: io.kestra.plugin.core.storage.Split
    from: kestra:///company/team/f/executions/e/inputs/i/f.txt
    rows: 10
    bytes: 1MB
"""
    with pytest.raises(FlowInvalidError, match=r"exactly one of rows, bytes.*\(got rows, bytes\)"):
        await run_flow(flow, registry=default_registry())
