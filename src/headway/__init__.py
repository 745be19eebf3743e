"""Headway: Kestra-compatible YAML flows on a durable execution engine.

For scripts run by script tasks: ``headway.outputs({...})``, ``headway.log(level, message)``,
``headway.counter`` / ``headway.timer`` (metrics) and ``headway.Kestra`` (see
:mod:`headway.scripting`).
"""

from headway.scripting import Kestra, counter, log, outputs, timer

__version__ = "0.1.0"

__all__ = ["Kestra", "__version__", "counter", "log", "outputs", "timer"]
