"""A flow's topology: nodes with their parent and branch, edges of what runs after what."""

from __future__ import annotations

from headway.flows.loader import parse_flow
from headway.flows.topology import topology
from headway.plugins.registry import default_registry

FLOW = """\
id: shape
namespace: demo
tasks:
  - id: start
    type: io.kestra.plugin.core.log.Log
    message: go
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.log.Log
        message: l
      - id: right
        type: io.kestra.plugin.core.log.Log
        message: r
  - id: choose
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ 1 }}"
    cases:
      "1":
        - id: one
          type: io.kestra.plugin.core.log.Log
          message: "1"
    defaults:
      - id: other
        type: io.kestra.plugin.core.log.Log
        message: other
  - id: graph
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: a
          type: io.kestra.plugin.core.log.Log
          message: a
      - task:
          id: b
          type: io.kestra.plugin.core.log.Log
          message: b
        dependsOn: [a]
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: failed
"""


def test_nodes_and_edges() -> None:
    topo = topology(parse_flow(FLOW, task_types=default_registry()))
    nodes = {n["id"]: (n["parent"], n["branch"], n["flowable"]) for n in topo.nodes}
    assert nodes == {
        "start": (None, "tasks", False),
        "fan": (None, "tasks", True),
        "left": ("fan", "tasks", False),
        "right": ("fan", "tasks", False),
        "choose": (None, "tasks", True),
        "one": ("choose", "cases:1", False),
        "other": ("choose", "defaults", False),
        "graph": (None, "tasks", True),
        "a": ("graph", "tasks", False),
        "b": ("graph", "tasks", False),
        "alert": (None, "errors", False),
    }
    edges = {(e["source"], e["target"], e["relation"]) for e in topo.edges}
    assert edges == {
        ("start", "fan", "next"),
        ("fan", "left", "tasks"),
        ("fan", "right", "tasks"),
        ("fan", "choose", "next"),
        ("choose", "one", "cases:1"),
        ("choose", "other", "defaults"),
        ("choose", "graph", "next"),
        ("graph", "a", "tasks"),
        ("a", "b", "dependsOn"),
    }
