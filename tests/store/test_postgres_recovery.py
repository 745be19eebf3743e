"""Kill -9 of ``headway run`` on PostgreSQL at random moments (its connections die in the
middle of whatever they were doing), then ``headway executions recover``: every execution
ends SUCCESS, each TaskRun exists once and each task logged once (counted in the database).

The same as tests/e2e/test_recovery.py does on SQLite; skipped when PostgreSQL cannot be
reached, unless HEADWAY_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postgres_db import PostgresDatabase

STEPS = 10  # a Log and a Sleep each: 20 tasks
ROUNDS = int(os.environ.get("HEADWAY_RECOVERY_ROUNDS", "8"))

pytestmark = pytest.mark.slow


def _flow() -> str:
    tasks = "".join(
        f"  - id: log-{n:02d}\n"
        f"    type: io.kestra.plugin.core.log.Log\n"
        f"    message: step-{n:02d} of {{{{ execution.id }}}}\n"
        f"  - id: sleep-{n:02d}\n"
        f"    type: io.kestra.plugin.core.flow.Sleep\n"
        f"    duration: PT0.04S\n"
        for n in range(STEPS)
    )
    return "id: twenty\nnamespace: recovery\ntasks:\n" + tasks


def test_kill_9_at_random_points_then_recover_on_postgresql(
    postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    postgres_database.truncate()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWAY_")}
    env |= {"HEADWAY_HOME": str(tmp_path), "HEADWAY_DB_URL": postgres_database.url}
    flow = tmp_path / "twenty.yaml"
    flow.write_text(_flow())
    headway = [sys.executable, "-m", "headway"]
    rng = random.Random(int(os.environ.get("HEADWAY_RECOVERY_SEED", "7")))

    def kill_at_random(args: list[str], window: tuple[float, float], after: str | None) -> None:
        proc = subprocess.Popen(
            [*headway, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if after is not None:
            assert proc.stderr is not None
            for line in proc.stderr:
                if after in line:
                    break
        time.sleep(rng.uniform(*window))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)

    for _ in range(ROUNDS):
        # Killed after its first task ended, anywhere from there to (past) its end.
        kill_at_random(["run", str(flow)], (0.0, 0.8), after="[log-00]")
        if rng.random() < 0.3:
            kill_at_random(["executions", "recover"], (0.0, 1.6), after=None)
    subprocess.run(
        [*headway, "executions", "recover", "--json"],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )

    with postgres_database.connect() as conn:
        states = conn.execute("SELECT state, count(*) FROM executions GROUP BY state").fetchall()
        runs = conn.execute(
            "SELECT count(*), count(DISTINCT (execution_id, task_id)),"
            " count(*) FILTER (WHERE state = 'SUCCESS') FROM task_runs"
        ).fetchone()
        logged = conn.execute(
            "SELECT count(*), count(DISTINCT (execution_id, message)) FROM logs"
            " WHERE message LIKE 'step-%%'"
        ).fetchone()
        queued = conn.execute("SELECT count(*) FROM queue").fetchone()
    assert states == [("SUCCESS", ROUNDS)]
    assert runs == (2 * STEPS * ROUNDS,) * 3  # none lost, none twice, all SUCCESS
    assert logged == (STEPS * ROUNDS,) * 2  # no finished task ran again
    assert queued == (0,)
