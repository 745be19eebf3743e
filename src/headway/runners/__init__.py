"""Task runners: where a script task's command runs (a local process today; containers and
Kubernetes pods later, behind the same :class:`headway.runners.base.TaskRunner` interface)."""
