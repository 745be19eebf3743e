"""Benchmarks: measured in one run against the machine's own floor, never as timed tests."""
