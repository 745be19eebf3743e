"""Kill -9 of ``headway run`` at random moments, then ``headway executions recover``: every
execution ends SUCCESS, and no task that had finished runs again."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from .conftest import Cli

STEPS = 10  # a Log and a Sleep each: 20 tasks
ROUNDS = int(os.environ.get("HEADWAY_RECOVERY_ROUNDS", "12"))


def _flow() -> str:
    tasks = []
    for n in range(STEPS):
        tasks.append(
            f"  - id: log-{n:02d}\n"
            f"    type: io.kestra.plugin.core.log.Log\n"
            f"    message: step-{n:02d} of {{{{ execution.id }}}}\n"
        )
        tasks.append(
            f"  - id: sleep-{n:02d}\n"
            f"    type: io.kestra.plugin.core.flow.Sleep\n"
            f"    duration: PT0.04S\n"
        )
    # A kill -9 while a TaskRun runs loses its attempt; without a retry policy a TaskRun
    # lost 3 times fails (a task that kills its process must not run for ever), and the
    # random kills of runs and recoveries can hit the same TaskRun that often.
    retry = "retry:\n  type: constant\n  interval: PT0.1S\n  maxAttempts: 10\n"
    return "id: twenty\nnamespace: recovery\n" + retry + "tasks:\n" + "".join(tasks)


def _kill_at_random(
    cli: Cli,
    args: list[str],
    rng: random.Random,
    window: tuple[float, float] = (0.0, 1.6),
    after: str | None = None,
) -> None:
    """Start the CLI, wait until it prints ``after`` on stderr (if given), then kill -9 it at
    a random moment of ``window`` seconds."""
    proc = cli.start(*args)
    if after is not None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if after in line:
                break
    time.sleep(rng.uniform(*window))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


@pytest.mark.slow
def test_kill_9_at_random_points_then_recover(cli: Cli, tmp_path: Path) -> None:
    flow = tmp_path / "twenty.yaml"
    flow.write_text(_flow())
    rng = random.Random(int(os.environ.get("HEADWAY_RECOVERY_SEED", "7")))
    for _ in range(ROUNDS):
        # Killed after its first task ended, anywhere from there to (past) its end.
        _kill_at_random(cli, ["run", str(flow)], rng, (0.0, 0.8), after="[log-00]")
        if rng.random() < 0.3:
            # Kill the recovery too, once in a while.
            _kill_at_random(cli, ["executions", "recover"], rng)
    recovered = cli.json("executions", "recover", "--json")
    listed = cli.json("executions", "list", "--size", "1000", "--json")
    assert listed["total"] == ROUNDS
    assert not any(e["state"]["current"] != "SUCCESS" for e in listed["results"]), [
        (e["id"], e["state"]["current"]) for e in listed["results"]
    ]
    assert len(recovered) <= ROUNDS
    for summary in listed["results"]:
        execution = cli.json("executions", "get", summary["id"], "--json")
        runs = execution["taskRunList"]
        ids = sorted(tr["taskId"] for tr in runs)
        assert len(ids) == 2 * STEPS and len(set(ids)) == 2 * STEPS, ids
        assert all(tr["state"]["current"] == "SUCCESS" for tr in runs)
        logs = cli.json("executions", "logs", summary["id"], "--json")
        for n in range(STEPS):
            said = [entry for entry in logs if entry["message"].startswith(f"step-{n:02d} ")]
            assert len(said) == 1, f"step {n} logged {len(said)} times"


FANOUT = """\
id: fanout
namespace: recovery
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "c", "d", "e"]
    concurrencyLimit: 0
    tasks:
      - id: say
        type: io.kestra.plugin.core.log.Log
        message: "item {{ taskrun.value }} of {{ execution.id }}"
      - id: nap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT0.1S
  - id: after
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.log.Log
        message: "left of {{ execution.id }}"
      - id: right
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT0.3S
  - id: last
    type: io.kestra.plugin.core.log.Log
    message: "last of {{ execution.id }}"
"""


@pytest.mark.slow
def test_one_execution_killed_again_and_again(cli: Cli, tmp_path: Path) -> None:
    flow = tmp_path / "fanout.yaml"
    flow.write_text(FANOUT)
    rng = random.Random(int(os.environ.get("HEADWAY_RECOVERY_SEED", "7")))
    # Killed once its first items ran (the machine's speed does not matter).
    _kill_at_random(cli, ["run", str(flow)], rng, (0.0, 0.5), after="item ")
    assert cli.json("executions", "list", "--json")["total"] == 1
    for _ in range(ROUNDS):
        _kill_at_random(cli, ["executions", "recover"], rng, (0.3, 0.9))
    cli.json("executions", "recover", "--json")
    (summary,) = cli.json("executions", "list", "--json")["results"]
    execution = cli.json("executions", "get", summary["id"], "--json")
    assert execution["state"]["current"] == "SUCCESS"
    runs = execution["taskRunList"]
    keys = sorted((tr["taskId"], tr["value"] or "") for tr in runs)
    assert len(keys) == len(set(keys)), keys
    assert len(runs) == 1 + 2 * 5 + 3 + 1
    assert all(tr["state"]["current"] == "SUCCESS" for tr in runs)
    messages = [e["message"] for e in cli.json("executions", "logs", summary["id"], "--json")]
    for text in [f"item {v} " for v in "abcde"] + ["left of", "last of"]:
        assert sum(m.startswith(text) for m in messages) == 1, (text, messages)


TIMERS = """\
id: timers
namespace: recovery
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    delay: PT3S
  - id: flaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 2 }}"
    retry:
      type: constant
      interval: PT0.5S
      maxAttempts: 5
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: done
"""


def test_a_pause_delay_and_retries_survive_a_kill(cli: Cli, tmp_path: Path) -> None:
    flow = tmp_path / "timers.yaml"
    flow.write_text(TIMERS)
    # Killed while it waits out the pause: as soon as the pause is committed (its log line
    # is printed once it is), with the 3 s of the delay to spare. (Polling the state with the
    # CLI, a second or more a call on a loaded machine, killed it after the pause at times:
    # while an attempt of 'flaky' was in flight, a lost attempt more than counted below, or
    # once the run had ended, with nothing left to recover.)
    proc = cli.start("run", str(flow))
    assert proc.stderr is not None
    for line in proc.stderr:
        if "[wait] paused for" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    (killed,) = cli.json("executions", "list", "--json")["results"]
    assert killed["state"]["current"] == "PAUSED", "killed after the pause, not during it"
    (recovered,) = cli.json("executions", "recover", "--json")
    assert recovered["state"]["current"] == "SUCCESS"
    runs = {tr["taskId"]: tr for tr in recovered["taskRunList"]}
    assert len(runs["flaky"]["attempts"]) == 3
    assert [a["state"]["current"] for a in runs["flaky"]["attempts"]] == [
        "FAILED",
        "FAILED",
        "SUCCESS",
    ]
