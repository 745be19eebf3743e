"""The durable engine: the executor (state machine), the worker, and their wiring."""
