"""ForEachItem: split a file of internal storage into batches, run one subflow execution per
batch.

As in Kestra, the task runs three internal steps, whose TaskRuns are its children:

- ``<id>_split`` (on a worker) splits the file (``batch``: ``rows``, ``bytes``,
  ``partitions`` or ``regexPattern``, and the ``separator`` written after each row) into
  batch files stored under its own TaskRun, at predictable URIs;
- ``<id>_items``, one TaskRun per batch (``value`` and ``iteration``: the batch's index),
  starts a subflow execution with ``inputs`` rendered where ``{{ taskrun.items }}`` is the
  batch file's URI and ``{{ taskrun.iteration }}`` its index; its outputs are the subflow's
  (``executionId``, ``state``, ``outputs``), as a Subflow's;
- ``<id>_merge`` (with ``wait``) writes the subflows' outputs, one JSON object a line in batch
  order (valid Ion text), to a file: ``outputs.<id>_merge.subflowOutputs``.

The task's own outputs are ``numberOfBatches``, ``iterations`` (batches by their subflow's
state, kept up to date while they run, as in Kestra) and ``uri`` (the merged outputs file).
Its end state is the worst of its batches' (each applies ``transmitFailed`` as a Subflow
does).

Batches start in order, at most :data:`RUNNING_BATCHES` at a time (Kestra starts them all at
once): a step of the task looks at the running batches only, so its cost per batch stays the
same however many batches there are.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar, Literal

from pydantic import AliasChoices, Field, PrivateAttr, model_validator

from headway.errors import TaskFailure
from headway.execution import TaskRun
from headway.flows.tasks import Dynamic, Model, TaskBase
from headway.plugins.base import Advance, Child, FlowableContext, Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.plugins.flowable.handlers import HandledTask
from headway.plugins.flowable.subflow import Subflow
from headway.state import State, worst
from headway.storage import is_storage_uri

_FLOW = "io.kestra.plugin.core.flow"
_LEGACY = "io.kestra.core.tasks.flows"

# How many batches of one ForEachItem run at once.
RUNNING_BATCHES = 100
MERGED_FILE = "outputs.ion"


class Batch(Model):
    """``batch``: how the items are split. The first given of ``regexPattern``, ``bytes``,
    ``partitions``, ``rows`` applies (``rows: 1`` when none is)."""

    rows: Dynamic[int] | None = None
    bytes: str | None = None
    partitions: Dynamic[int] | None = None
    separator: str = "\n"
    regex_pattern: str | None = None


_SUBFLOW_KEYS = (
    "namespace",
    "flowId",
    "revision",
    "inputs",
    "labels",
    "wait",
    "transmitFailed",
    "inheritLabels",
)


class ForEachItem(HandledTask):
    """Split the file `items` (a `kestra:///` URI) into batches (`batch`) and run the flow
    `namespace`.`flowId` once per batch with `inputs` (`{{ taskrun.items }}`: the batch's
    file); with `wait` (default) end when they all have, in the worst of their states
    (`transmitFailed`), and merge their outputs into one file. Kestra's older form, with these
    keys under `subflow` and `maxItemsPerBatch`, is accepted too."""

    type_name = "foreach-item"
    aliases = (f"{_FLOW}.ForEachItem", f"{_LEGACY}.ForEachItem")
    is_loop: ClassVar[bool] = True
    calls_subflow: ClassVar[bool] = True

    items: str
    batch: Batch = Field(default_factory=Batch)
    namespace: str
    flow_id: str = Field(validation_alias=AliasChoices("flowId"))
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] | list[dict[str, str]] = Field(default_factory=dict)
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    restart_behavior: Literal["RETRY_FAILED", "NEW_EXECUTION"] = "RETRY_FAILED"

    _split: list[TaskBase] = PrivateAttr(default_factory=list)
    _items: ForEachItemBatch | None = PrivateAttr(default=None)
    _merge: list[TaskBase] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _older_form(cls, data: Any) -> Any:
        """Kestra 0.13's form: the subflow's keys under `subflow`, `maxItemsPerBatch`."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        sub = data.pop("subflow", None)
        if sub is not None:
            if not isinstance(sub, dict):
                raise ValueError("subflow must be a mapping (namespace, flowId, inputs, ...)")
            unknown = sorted(set(sub) - set(_SUBFLOW_KEYS))
            if unknown:
                raise ValueError(
                    f"unknown key(s) {unknown} in subflow (known: {', '.join(_SUBFLOW_KEYS)})"
                )
            twice = sorted(set(sub) & set(data))
            if twice:
                raise ValueError(f"{twice} given both at the top level and under subflow")
            data.update(sub)
        per_batch = data.pop("maxItemsPerBatch", None)
        if per_batch is not None:
            if "batch" in data:
                raise ValueError("give either batch or maxItemsPerBatch, not both")
            data["batch"] = {"rows": per_batch}
        return data

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        batch = self.batch.model_dump(mode="json", by_alias=True, exclude_none=True)
        split = {"id": f"{self.id}_split", "type": ForEachItemSplit.TYPE, "items": self.items}
        self._split = [ForEachItemSplit.model_validate({**split, "batch": batch})]
        self._items = ForEachItemBatch.model_validate(
            {
                "id": f"{self.id}_items",
                "type": ForEachItemBatch.TYPE,
                "namespace": self.namespace,
                "flowId": self.flow_id,
                "revision": self.revision,
                "inputs": self.inputs,
                "labels": self.labels,
                "wait": self.wait,
                "transmitFailed": self.transmit_failed,
                "inheritLabels": self.inherit_labels,
            }
        )
        merge = {"id": f"{self.id}_merge", "type": ForEachItemMerge.TYPE}
        self._merge = [ForEachItemMerge.model_validate({**merge, "outputs": "{{ taskrun.items }}"})]

    def child_task_lists(self) -> list[list[TaskBase]]:
        assert self._items is not None
        return [self._split, [self._items], self._merge, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        split = ctx.sequential(self._split)
        if split.done is None:
            return split
        if split.done.failed:
            return self.handled(ctx, Advance(done=split.done))
        split_run = _child(ctx, self._split[0].id)
        assert split_run is not None and split_run.outputs is not None
        batches = _Batches.of(ctx, split_run.outputs)
        adv = self._run_batches(ctx, batches)
        if adv.done is None:
            return adv
        if self.wait and batches.total > 0:
            merged = self._merged(ctx, batches, adv)
            if merged.done is None:
                return merged
            adv = merged
        return self.handled(ctx, adv)

    def _run_batches(self, ctx: FlowableContext, batches: _Batches) -> Advance:
        assert self._items is not None
        progress = _progress(ctx, self._items.id)
        for index in list(progress.running):
            tr = _batch_run(ctx, self._items.id, index)
            if tr is not None and tr.current.terminal:
                progress.end(tr)
                del progress.running[index]
        create: list[Child] = []
        while progress.started < batches.total and len(progress.running) < RUNNING_BATCHES:
            index = progress.started
            create.append(
                Child(
                    self._items,
                    value=str(index),
                    iteration=index,
                    extra={"items": batches.uri(index)},
                )
            )
            progress.running[index] = None
            progress.started += 1
        iterations = dict(progress.ended)
        if progress.running:
            iterations[State.RUNNING.value] = len(progress.running)
        if progress.started < batches.total:
            iterations[State.CREATED.value] = batches.total - progress.started
        outputs = {"numberOfBatches": batches.total, "iterations": iterations}
        if create or progress.running:
            return Advance(create=create, outputs=outputs)
        states = [State(name) for name in progress.task_run_states]
        return Advance(done=worst(states) if states else State.SUCCESS, outputs=outputs)

    def _merged(self, ctx: FlowableContext, batches: _Batches, ended: Advance) -> Advance:
        """The batches have ended (``ended``): merge their subflows' outputs into one file."""
        assert self._items is not None and ended.done is not None
        outputs = dict(ended.outputs or {})
        merge_run = _child(ctx, self._merge[0].id)
        if merge_run is None:
            found = [_batch_run(ctx, self._items.id, i) for i in range(batches.total)]
            results = [(tr.outputs or {}).get("outputs") or {} for tr in found if tr is not None]
            merge = Child(self._merge[0], extra={"items": results})
            return Advance(create=[merge], outputs=outputs)
        if not merge_run.current.terminal:
            return Advance()
        if merge_run.current.failed:
            return Advance(done=State.FAILED, outputs=outputs)
        uri = (merge_run.outputs or {}).get("subflowOutputs")
        if uri:
            outputs["uri"] = uri
        return Advance(done=ended.done, outputs=outputs)


class _Progress:
    """Where the batches of one ForEachItem TaskRun stand (kept in its memo)."""

    def __init__(self) -> None:
        self.started = 0  # batches 0 .. started-1 have a TaskRun
        self.running: dict[int, None] = {}  # started, not ended (in order)
        # Ended batches by their subflow's state (``iterations``, as Kestra counts them).
        self.ended: Counter[str] = Counter()
        # The end states of the batches' TaskRuns (``transmitFailed`` applied): the task's.
        self.task_run_states: set[str] = set()

    def end(self, tr: TaskRun) -> None:
        subflow_state = (tr.outputs or {}).get("state")
        self.ended[str(subflow_state or tr.current.value)] += 1
        self.task_run_states.add(tr.current.value)


def _progress(ctx: FlowableContext, items_id: str) -> _Progress:
    """The memo's progress, or rebuilt from the TaskRuns after a reload (once)."""
    memo = ctx.memo()
    progress = memo.get("progress")
    if isinstance(progress, _Progress):
        return progress
    progress = memo["progress"] = _Progress()
    for tr in ctx.children(any_value=True):
        if tr.task_id != items_id or tr.iteration is None:
            continue
        progress.started = max(progress.started, tr.iteration + 1)
        if tr.current.terminal:
            progress.end(tr)
        else:
            progress.running[tr.iteration] = None
    return progress


def _child(ctx: FlowableContext, task_id: str) -> TaskRun | None:
    for tr in ctx.children():
        if tr.task_id == task_id:
            return tr
    return None


def _batch_run(ctx: FlowableContext, items_id: str, index: int) -> TaskRun | None:
    for tr in ctx.children(str(index)):
        if tr.task_id == items_id:
            return tr
    return None


class _Batches:
    """The batch files the split step stored: ``{prefix}{index}{extension}``."""

    def __init__(self, total: int, prefix: str, extension: str) -> None:
        self.total = total
        self.prefix = prefix
        self.extension = extension

    @classmethod
    def of(cls, ctx: FlowableContext, outputs: dict[str, Any]) -> _Batches:
        memo = ctx.memo()
        known = memo.get("batches")
        if isinstance(known, _Batches):
            return known
        made = memo["batches"] = cls(
            int(outputs["numberOfBatches"]),
            str(outputs.get("batchPrefix", "")),
            str(outputs.get("extension", "")),
        )
        return made

    def uri(self, index: int) -> str:
        return f"{self.prefix}{index}{self.extension}"


# --- the internal steps -----------------------------------------------------------------------


class ForEachItemBatch(Subflow):
    """One batch: a subflow execution whose inputs see ``taskrun.items``."""

    type_name = ""  # internal: not a task type of its own (nor a call checked as Subflow's)
    TYPE: ClassVar[str] = "headway.foreach-item.items"


class ForEachItemSplit(RunnableTask):
    """Splits the items file into batch files of this TaskRun."""

    TYPE: ClassVar[str] = "headway.foreach-item.split"

    items: str
    batch: Batch

    async def run(self, ctx: RunContext) -> Outputs | None:
        uri = self.items.strip()
        if not is_storage_uri(uri):
            raise TaskFailure(
                f"items must be a file of internal storage (kestra:///...), got '{uri}'",
                retryable=False,
            )
        rule = splitting_rule(self.batch)
        extension = PurePosixPath(uri).suffix or ".tmp"
        with tempfile.TemporaryDirectory(prefix="headway-split-") as tmp:
            source = Path(tmp) / "items"
            await ctx.storage.download(uri, source)
            target = Path(tmp) / "batches"
            count = await asyncio.to_thread(
                split_file, source, target, rule, self.batch.separator, extension
            )
            uris = []
            for index in range(count):
                name = f"{index}{extension}"
                uris.append(await ctx.storage.put_file(f"batches/{name}", target / name))
        listing = "\n".join(uris).encode()
        splits = await ctx.storage.put_file("splits.txt", listing)
        prefix = uris[0][: -len(f"0{extension}")] if uris else ""
        ctx.log("INFO", f"{count} batch(es) of {uri}")
        return {
            "splits": splits,
            "numberOfBatches": count,
            "batchPrefix": prefix,
            "extension": extension,
        }


class ForEachItemMerge(RunnableTask):
    """Writes the outputs of the batches' subflows, one JSON object a line."""

    TYPE: ClassVar[str] = "headway.foreach-item.merge"

    outputs: Dynamic[list[Any]]

    async def run(self, ctx: RunContext) -> Outputs | None:
        results = rendered(self.outputs, list, "outputs")
        if not any(results):
            return {}
        lines = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in results)
        uri = await ctx.storage.put_file(MERGED_FILE, lines.encode())
        return {"subflowOutputs": uri}


# --- splitting --------------------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str) -> int:
    """A size as Kestra reads it (``10MB``, ``512KB``, ``100``: bytes; units of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise TaskFailure(f"batch.bytes: invalid size '{text}' (e.g. 10MB, 512KB)", retryable=False)
    unit = (match.group(2) or "").upper().rstrip("B")
    size = int(match.group(1)) * _UNITS[unit]
    if size <= 0:
        raise TaskFailure(f"batch.bytes must be more than 0, got '{text}'", retryable=False)
    return size


SplitRule = tuple[str, Any]


def splitting_rule(batch: Batch) -> SplitRule:
    """Which rule applies, in Kestra's order: regexPattern, bytes, partitions, rows."""
    if batch.regex_pattern is not None:
        try:
            pattern = re.compile(batch.regex_pattern)
        except re.error as exc:
            raise TaskFailure(f"batch.regexPattern: {exc}", retryable=False) from None
        if pattern.groups < 1:
            raise TaskFailure(
                "batch.regexPattern needs a group: its first group's text names the batch",
                retryable=False,
            )
        return ("regex", pattern)
    if batch.bytes is not None:
        return ("bytes", parse_size(batch.bytes))
    if batch.partitions is not None:
        partitions = rendered(batch.partitions, int, "batch.partitions")
        if partitions < 1:
            raise TaskFailure(
                f"batch.partitions must be 1 or more, got {partitions}", retryable=False
            )
        return ("partitions", partitions)
    rows = 1 if batch.rows is None else rendered(batch.rows, int, "batch.rows")
    if rows < 1:
        raise TaskFailure(f"batch.rows must be 1 or more, got {rows}", retryable=False)
    return ("rows", rows)


def _rows(path: Path) -> Iterator[str]:
    """The rows of a file: lines ended by \\n, \\r\\n or \\r (as Java's readLine), bytes
    that are not UTF-8 kept as they are."""
    with path.open(encoding="utf-8", errors="surrogateescape", newline=None) as f:
        for line in f:
            yield line[:-1] if line.endswith("\n") else line


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def split_file(source: Path, target: Path, rule: SplitRule, separator: str, ext: str) -> int:
    """Split ``source`` into ``target/{index}{ext}`` files, each row followed by
    ``separator``; return how many files were written (an empty source gives none)."""
    target.mkdir(parents=True, exist_ok=True)
    kind, limit = rule
    if kind == "partitions":
        return _partition(source, target, limit, separator, ext)
    if kind == "regex":
        return _by_key(source, target, limit, separator, ext)
    count = 0
    out = None
    rows = size = 0
    try:
        for row in _rows(source):
            data = _encoded(row + separator)
            full = rows >= limit if kind == "rows" else size >= limit
            if out is None or full:
                if out is not None:
                    out.close()
                out = (target / f"{count}{ext}").open("wb")
                count += 1
                rows = size = 0
            out.write(data)
            rows += 1
            size += len(data)
    finally:
        if out is not None:
            out.close()
    return count


def _partition(source: Path, target: Path, parts: int, separator: str, ext: str) -> int:
    """Rows dealt in turn into ``parts`` files; empty ones are dropped (the others keep
    consecutive indexes)."""
    paths = [target / f"part-{index}" for index in range(parts)]
    with ExitStack() as stack:
        outs = [stack.enter_context(path.open("wb")) for path in paths]
        for index, row in enumerate(_rows(source)):
            outs[index % parts].write(_encoded(row + separator))
    kept = [path for path in paths if path.stat().st_size > 0]
    for index, path in enumerate(kept):
        path.rename(target / f"{index}{ext}")
    return len(kept)


def _by_key(source: Path, target: Path, pattern: re.Pattern[str], sep: str, ext: str) -> int:
    """One file per value of the pattern's first group, in order of first appearance; rows
    that do not match are left out."""
    with ExitStack() as stack:
        outs: dict[str, IO[bytes]] = {}
        for row in _rows(source):
            match = pattern.search(row)
            if match is None or match.group(1) is None:
                continue
            out = outs.get(match.group(1))
            if out is None:
                path = target / f"{len(outs)}{ext}"
                out = outs[match.group(1)] = stack.enter_context(path.open("wb"))
            out.write(_encoded(row + sep))
        return len(outs)
