"""Headway: Kestra-compatible YAML flows on a durable execution engine."""

__version__ = "0.1.0"
