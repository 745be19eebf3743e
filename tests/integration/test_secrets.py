"""Secrets reach tasks, but never a log or a shown execution: configured secrets
(``secret('NAME')``) and SECRET inputs are masked."""

from __future__ import annotations

import json
from pathlib import Path

from headway.masking import MASK, Masker
from headway.settings import Settings
from headway.state import State
from headway.testing import run_flow

FLOW = """
id: secrets
namespace: tests
inputs:
  - id: password
    type: SECRET
tasks:
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: "token={{ secret('API_TOKEN') }} password={{ inputs.password }}"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.use.value }}"
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ outputs.use.value != 'token=tok-123456 password=pa55word' }}"
    errorMessage: "the task did not see the real values"
outputs:
  - id: combined
    type: STRING
    value: "{{ outputs.use.value }}"
"""


async def test_secrets_are_used_but_never_shown(tmp_path: Path) -> None:
    settings = Settings.load({"home": tmp_path}, environ={"HEADWAY_SECRET_API_TOKEN": "tok-123456"})
    result = await run_flow(FLOW, {"password": "pa55word"}, settings=settings)
    assert result.state is State.SUCCESS, result.messages()
    logs = "\n".join(result.messages())
    assert "tok-123456" not in logs and "pa55word" not in logs
    assert f"token={MASK} password={MASK}" in logs
    shown = json.dumps(result.execution.to_json(Masker(settings.secrets.values())))
    assert "tok-123456" not in shown and "pa55word" not in shown
    assert result.execution.to_json()["inputs"] == {"password": MASK}
