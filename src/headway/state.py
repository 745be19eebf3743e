"""Kestra's execution and TaskRun states, and the one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum

from headway.errors import IllegalTransitionError


class State(StrEnum):
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    RETRYING = "RETRYING"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def failed(self) -> bool:
        return self in (State.FAILED, State.KILLED, State.CANCELLED)

    @property
    def successful(self) -> bool:
        return self in (State.SUCCESS, State.WARNING, State.SKIPPED)


TERMINAL = frozenset(
    {
        State.SUCCESS,
        State.WARNING,
        State.FAILED,
        State.KILLED,
        State.CANCELLED,
        State.RETRIED,
        State.SKIPPED,
    }
)

_ENDS = frozenset(
    {State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.SKIPPED}
)

ALLOWED: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.QUEUED, State.RUNNING, State.KILLING}) | _ENDS,
    State.QUEUED: frozenset({State.CREATED, State.RUNNING, State.KILLING}) | _ENDS,
    State.RUNNING: frozenset({State.PAUSED, State.KILLING, State.RETRYING}) | _ENDS,
    State.PAUSED: frozenset({State.RUNNING, State.KILLING}) | _ENDS,
    State.RETRYING: frozenset({State.RUNNING, State.RETRIED, State.KILLING}) | _ENDS,
    State.RESTARTED: frozenset({State.RUNNING, State.CREATED, State.KILLING}) | _ENDS,
    State.KILLING: frozenset({State.KILLED, State.FAILED, State.SUCCESS, State.WARNING}),
    # A terminal execution may be restarted (failed TaskRuns re-run in the same execution).
    State.FAILED: frozenset({State.RESTARTED}),
    State.KILLED: frozenset({State.RESTARTED}),
    State.WARNING: frozenset({State.RESTARTED}),
    State.SUCCESS: frozenset({State.RESTARTED}),
    State.CANCELLED: frozenset(),
    State.RETRIED: frozenset(),
    State.SKIPPED: frozenset(),
}


def check_transition(current: State, new: State) -> None:
    """Raise IllegalTransitionError unless ``current -> new`` is allowed."""
    if new not in ALLOWED[current]:
        raise IllegalTransitionError(f"illegal state change {current} -> {new}")


def worst(states: list[State]) -> State:
    """The combined end state of several finished states, as Kestra computes a parent's."""
    if any(s is State.KILLED for s in states):
        return State.KILLED
    if any(s in (State.FAILED, State.CANCELLED) for s in states):
        return State.FAILED
    if any(s is State.WARNING for s in states):
        return State.WARNING
    return State.SUCCESS
