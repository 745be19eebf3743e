"""What every script task shares: properties, the run in a workspace, the output protocol.

``commands``, ``script`` and ``beforeCommands`` are rendered by the task itself (they are
``unrendered`` for the worker), once the working directory exists: the text
``{{ workingDir }}`` and ``{{ outputDir }}`` are replaced by their paths first, then the rest
is rendered as usual. Only that plain form is recognised (not ``workingDir`` inside a larger
expression), because a
plugin renders through its context, which does not take extra variables. They are rendered
in a thread, so functions that need I/O (``kv()``, ``read()``) work in them too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from headway.errors import TaskFailure
from headway.flows.tasks import MODEL_CONFIG, Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask, TaskResultWarning
from headway.plugins.core.rendered import rendered
from headway.plugins.scripts.namespace_files import NamespaceFilesSpec, copy_namespace_files
from headway.plugins.scripts.protocol import parse_line
from headway.plugins.scripts.runner_spec import TaskRunnerSpec
from headway.runners import fork_server
from headway.runners.base import (
    FileNameError,
    LineSink,
    TaskRunner,
    Workspace,
    checked_file_name,
)
from headway.runners.fork_server import PythonCall, parse_python_command
from headway.runners.globs import checked_pattern, matches
from headway.runners.process import ProcessRunner, ProcessWorkspace
from headway.storage import FileNotFoundInStorage, is_storage_uri

_WORKING_DIR = re.compile(r"\{\{-?\s*workingDir\s*-?\}\}")
_OUTPUT_DIR = re.compile(r"\{\{-?\s*outputDir\s*-?\}\}")
DEFAULT_INTERPRETER = ("/bin/sh", "-c")
# The names under which a command line runs the worker's own interpreter (its directory comes
# first in PATH for Python tasks).
_INTERPRETERS = frozenset(
    {
        "python",
        "python3",
        f"python{sys.version_info.major}.{sys.version_info.minor}",
        sys.executable,
    }
)
# Variables of ``env`` the warm interpreter applies itself; any other PYTHON*, PATH or LD_*
# variable changes how an interpreter starts, so the task gets a fresh one.
_WARM_ENV = frozenset({"PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONPATH"})


def _starts_interpreter(name: str) -> bool:
    if name in _WARM_ENV:
        return False
    return name == "PATH" or name.startswith(("PYTHON", "LD_"))


# Renders a property of the script (``{{ workingDir }}`` included).
Render = Callable[[str], Awaitable[str]]


class ScriptTask(RunnableTask):
    """Run commands through ``interpreter`` in a fresh working directory of the task runner
    (inside a WorkingDirectory, in the directory its tasks share).

    ``namespaceFiles`` (the flow's namespace files, selected by ``include``/``exclude``)
    and then ``inputFiles`` (name -> content, or name -> ``kestra:///`` URI of a file of
    internal storage, copied) are written there first. ``env`` adds environment variables. With
    ``failFast`` (default) the shell stops at the first failing command (``set -e``).
    Standard output is logged at INFO, standard error at WARN; a line
    ``::{"outputs": {...}}::`` adds to the ``vars`` output (see
    :mod:`headway.plugins.scripts.protocol`). After the command, the files matching the
    globs of ``outputFiles`` are stored in internal storage. Outputs: ``exitCode``, ``vars``
    and, with ``outputFiles``, ``outputFiles`` (file name -> ``kestra:///`` URI). A non-zero
    exit code fails the TaskRun (retryable).
    """

    # Built when first used: loading the plugin stays cheap for flows without script tasks.
    model_config = ConfigDict(**{**MODEL_CONFIG, "defer_build": True})

    unrendered: ClassVar[frozenset[str]] = frozenset({"commands", "script", "beforeCommands"})
    # Directories searched first for commands on the Process runner.
    local_path_prefix: ClassVar[tuple[str, ...]] = ()

    before_commands: list[str] | None = None
    interpreter: list[str] = Field(default=list(DEFAULT_INTERPRETER), min_length=1)
    env: Dynamic[dict[str, str]] | None = None
    fail_fast: bool = True
    # Kestra (before 0.23): WARNING when anything was written on stderr. Since 0.23 stderr no
    # longer changes the state; here only an explicit `true` does.
    warning_on_std_err: bool | None = None
    input_files: Dynamic[dict[str, str]] | None = None
    # Globs of files (relative to the working directory) stored after the command.
    output_files: list[str] | None = None
    namespace_files: NamespaceFilesSpec | None = None
    task_runner: TaskRunnerSpec | None = None
    container_image: str | None = None
    target_os: str | None = Field(default=None, alias="targetOS")

    async def run(self, ctx: RunContext) -> Outputs | None:
        runner = self._runner(ctx)
        files = self._input_files()
        async with runner.workspace(ctx.shared_directory) as workspace:
            if self.namespace_files is not None and self.namespace_files.is_enabled():
                await copy_namespace_files(ctx, self.namespace_files, workspace)
            for name, content in files.items():
                if is_storage_uri(content):
                    try:
                        data = await ctx.storage.read(content)
                    except FileNotFoundInStorage as exc:
                        raise TaskFailure(f"inputFiles '{name}': {exc}", retryable=False) from None
                    await workspace.write(name, data)
                else:
                    await workspace.write(name, content)

            # {{ outputDir }}: a directory of this TaskRun inside the working directory; what
            # the command writes there is stored as output files (as Kestra does).
            output_dir = f".outputs-{ctx.task_run_id}"
            await workspace.make_directory(output_dir)

            async def render(text: str) -> str:
                text = _WORKING_DIR.sub(lambda _: workspace.working_dir, text)
                text = _OUTPUT_DIR.sub(lambda _: f"{workspace.working_dir}/{output_dir}", text)
                return str(await ctx.render_async(text))

            before = [await render(line) for line in self.before_commands or []]
            commands = await self.commands_in(workspace, render)
            env = {} if self.env is None else rendered(self.env, dict, "env")
            env = {str(k): str(v) for k, v in env.items()}
            calls = self._warm_calls(workspace, before, commands, env)
            if calls is not None and isinstance(workspace, ProcessWorkspace):
                ctx.log("DEBUG", "runs in the warm Python interpreter (a fork server's child)")
                warm = workspace

                async def launch(sink: LineSink) -> int:
                    return await warm.run_python(calls, env, sink, fail_fast=self.fail_fast)

            else:
                text = "\n".join([*before, *commands])
                if self.fail_fast:
                    text = f"set -e\n{text}"
                argv = [*self.interpreter, text]

                async def launch(sink: LineSink) -> int:
                    return await workspace.run(argv, env, sink)

            return await self._execute(ctx, workspace, launch, output_dir)

    async def commands_in(self, workspace: Workspace, render: Render) -> list[str]:
        """The commands to run once ``workspace`` is ready, rendered with ``render``
        (subclasses say)."""
        raise NotImplementedError

    def warm_interpreter_wanted(self) -> bool:
        """Whether this task may run in the warm Python interpreter (Python tasks say)."""
        return False

    def _warm_calls(
        self,
        workspace: Workspace,
        before: list[str],
        commands: list[str],
        env: dict[str, str],
    ) -> list[PythonCall] | None:
        """The ``python`` calls the commands make, when they can run in the warm
        interpreter: a Python task that did not opt out, on the Process runner, with the
        default interpreter, no ``beforeCommands``, no container image, no variable of
        ``env`` that changes how the interpreter starts, and commands that are each a plain
        ``python`` command line of the worker's interpreter. Otherwise None."""
        if not (
            self.warm_interpreter_wanted()
            and fork_server.enabled()
            and isinstance(workspace, ProcessWorkspace)
            and not before
            and self.interpreter == list(DEFAULT_INTERPRETER)
            and self.container_image is None
            and not any(_starts_interpreter(name) for name in env)
        ):
            return None
        calls = [parse_python_command(line, _INTERPRETERS) for line in commands]
        if not calls or any(call is None for call in calls):
            return None
        return [call for call in calls if call is not None]

    def _runner(self, ctx: RunContext) -> TaskRunner:
        spec = self.task_runner
        if spec is not None and not spec.runs_here:
            raise TaskFailure(spec.unavailable_message(), retryable=False)
        if self.container_image is not None:
            ctx.log(
                "DEBUG",
                f"containerImage '{self.container_image}' is ignored by the Process task runner",
            )
        return ProcessRunner(path_prefix=self.local_path_prefix)

    def _input_files(self) -> dict[str, str]:
        if self.input_files is None:
            return {}
        files = rendered(self.input_files, dict, "inputFiles")
        try:
            for name in files:
                checked_file_name(name)
        except FileNameError as exc:
            raise TaskFailure(str(exc), retryable=False) from None
        return {name: str(content) for name, content in files.items()}

    async def _store_output_files(
        self, ctx: RunContext, workspace: Workspace, output_dir: str
    ) -> dict[str, str]:
        """Store the files matching ``outputFiles`` and those written in ``{{ outputDir }}``
        (named by their path inside it); return file name -> URI."""
        try:
            names = await workspace.find(self.output_files or [])
            for pattern in self.output_files or []:
                if not any(matches(checked_pattern(pattern), name) for name in names):
                    # Not an error, as in Kestra: a task may produce no file.
                    ctx.log("WARN", f"outputFiles: no file matches '{pattern}'")
            in_output_dir = await workspace.find([f"{output_dir}/**"])
            stored: dict[str, str] = {}
            for name in names:
                if name not in in_output_dir:
                    stored[name] = await ctx.storage.put_file(name, await workspace.fetch(name))
            for name in in_output_dir:
                key = name.removeprefix(f"{output_dir}/")
                stored[key] = await ctx.storage.put_file(key, await workspace.fetch(name))
        except FileNameError as exc:
            raise TaskFailure(str(exc), retryable=False) from None
        if stored:
            ctx.log("DEBUG", f"stored output files: {', '.join(stored)}")
        return stored

    async def _execute(
        self,
        ctx: RunContext,
        workspace: Workspace,
        launch: Callable[[LineSink], Awaitable[int]],
        output_dir: str,
    ) -> Outputs:
        variables: dict[str, Any] = {}
        stderr_lines = 0

        def on_line(line: str, from_stderr: bool) -> None:
            nonlocal stderr_lines
            message = parse_line(line)
            if message is None:
                if from_stderr:
                    stderr_lines += 1
                ctx.log("WARN" if from_stderr else "INFO", line)
                return
            variables.update(message.outputs)
            for level, text in message.logs:
                ctx.log(level, text)
            for item in message.metrics:
                try:
                    if not isinstance(item, dict):
                        raise ValueError(f"a metric is a mapping, not {item!r}")
                    name: Any = item.get("name")
                    value: Any = item.get("value")
                    ctx.metric(name, value, type=item.get("type", "counter"), tags=item.get("tags"))
                except ValueError as exc:
                    ctx.log("WARN", f"metric ignored: {exc}")

        code = await launch(on_line)
        if code != 0:
            raise TaskFailure(f"command failed with exit code {code}")
        outputs: Outputs = {"exitCode": code, "vars": variables}
        stored = await self._store_output_files(ctx, workspace, output_dir)
        if self.output_files is not None or stored:
            outputs["outputFiles"] = stored
        if self.warning_on_std_err and stderr_lines:
            raise TaskResultWarning(
                f"{stderr_lines} line(s) written on standard error (warningOnStdErr)", outputs
            )
        return outputs
