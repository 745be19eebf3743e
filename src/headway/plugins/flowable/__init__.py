"""Flowable tasks: evaluated by the executor, they create and watch child TaskRuns."""

from headway.plugins.flowable.branching import If, Switch
from headway.plugins.flowable.dag import Dag
from headway.plugins.flowable.foreach_item import ForEachItem
from headway.plugins.flowable.groups import AllowFailure, Parallel, Sequential
from headway.plugins.flowable.loops import EachParallel, EachSequential, ForEach
from headway.plugins.flowable.pause import Pause
from headway.plugins.flowable.subflow import Subflow
from headway.plugins.flowable.wait_for import WaitFor
from headway.plugins.flowable.working_directory import WorkingDirectory

PLUGINS = (
    Sequential,
    Parallel,
    AllowFailure,
    If,
    Switch,
    ForEach,
    ForEachItem,
    EachSequential,
    EachParallel,
    Dag,
    Subflow,
    Pause,
    WaitFor,
    WorkingDirectory,
)

__all__ = ["PLUGINS"]
