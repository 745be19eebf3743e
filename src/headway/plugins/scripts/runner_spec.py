"""The ``taskRunner`` property: which runner a script task asks for.

Only the Process runner runs here. The Docker and Kubernetes runners are accepted when a flow
is validated (their keys kept as written) so flows written for them load unchanged; a TaskRun
that asks for one fails, without retry, saying so.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, model_validator

from headway.flows.tasks import MODEL_CONFIG, Model

PROCESS = "io.kestra.plugin.core.runner.Process"
# Accepted types -> the name used in messages. Only Process runs.
RUNNERS = {
    PROCESS: "Process",
    "io.kestra.plugin.scripts.runner.docker.Docker": "Docker",
    "io.kestra.plugin.kubernetes.runner.Kubernetes": "Kubernetes",
    "io.kestra.plugin.ee.kubernetes.runner.Kubernetes": "Kubernetes",
}


class TaskRunnerSpec(Model):
    """``taskRunner``: its ``type``, and the other keys of that runner as written."""

    model_config = ConfigDict(**{**MODEL_CONFIG, "extra": "allow"})

    type: str

    @model_validator(mode="after")
    def _known_type(self) -> TaskRunnerSpec:
        if self.type not in RUNNERS:
            known = ", ".join(sorted(RUNNERS))
            raise ValueError(f"unknown task runner type '{self.type}' (known: {known})")
        if self.type == PROCESS and self.model_extra:
            keys = ", ".join(sorted(self.model_extra))
            raise ValueError(f"the Process task runner has no properties (got: {keys})")
        return self

    @property
    def runs_here(self) -> bool:
        return self.type == PROCESS

    def unavailable_message(self) -> str:
        return (
            f"the {RUNNERS.get(self.type, self.type)} task runner is not available yet; "
            f"use {PROCESS}"
        )

    def keys(self) -> dict[str, Any]:
        """The runner's own keys, as written."""
        return dict(self.model_extra or {})
