"""Flow YAML text to a validated :class:`Flow`, or every problem found, each with its file,
line and column. No I/O: callers read the files."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from headway.errors import FlowInvalidError, Location, Problem
from headway.flows.defaults import apply_plugin_defaults
from headway.flows.expressions_check import check_expressions
from headway.flows.inputs import Input
from headway.flows.model import Flow
from headway.flows.problems import validation_problems
from headway.flows.source import SourceMap, load_yaml
from headway.flows.tasks import TaskTypes
from headway.flows.validation import Finding, check_data, check_flow, check_input


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.location.line or 0, p.location.column or 0))


def _located(findings: list[Finding], smap: SourceMap) -> list[Problem]:
    return [Problem(f.message, smap.locate(f.path, key=f.key)) for f in findings]


_INPUT = TypeAdapter(Input)


def _input_findings(inputs: Any) -> list[Finding]:
    """When the flow is invalid, still check the defaults of the inputs that are valid."""
    out: list[Finding] = []
    for i, raw in enumerate(inputs if isinstance(inputs, list) else []):
        try:
            inp = _INPUT.validate_python(raw)
        except ValidationError:
            continue
        out += check_input(i, inp)
    return out


def validate_data(
    data: Any, smap: SourceMap, task_types: TaskTypes
) -> tuple[Flow | None, list[Problem]]:
    """Validate a flow's data (read from YAML with ``smap``): the flow, or its problems."""
    if not isinstance(data, dict):
        where = smap.locate(())
        message = "a flow is a mapping with at least 'id', 'namespace' and 'tasks'"
        return None, [Problem(message, Location((), smap.file, where.line or 1, where.column or 1))]
    data, findings = apply_plugin_defaults(data, task_types)
    findings += check_data(data)
    findings += check_expressions(data)
    problems: list[Problem] = []
    flow: Flow | None = None
    try:
        flow = Flow.model_validate(data, context={"task_types": task_types})
    except ValidationError as exc:
        problems += validation_problems(exc, data, smap, task_types, Flow)
    if flow is not None:
        findings += check_flow(flow)
    else:
        findings += _input_findings(data.get("inputs"))
    problems += _located(findings, smap)
    return (flow if not problems else None), _sorted(problems)


def parse_flow(source: str, *, file: str | None = None, task_types: TaskTypes) -> Flow:
    """Parse and validate a flow's YAML text; raise :class:`FlowInvalidError` with every
    problem found (``file:line:column: what was expected``)."""
    data, smap, problems = load_yaml(source, file=file)
    if data is None and problems:
        raise FlowInvalidError(problems)
    flow, more = validate_data(data, smap, task_types)
    problems = _sorted([*problems, *more])
    if problems or flow is None:
        raise FlowInvalidError(problems)
    return flow
