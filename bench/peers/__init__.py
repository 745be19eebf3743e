"""Peers: each one's workloads as its users would write them, run by its own venv's python.

``bench/peers/<peer>/run.py`` is run as ``python -m bench.peers.<peer>.run`` (from the
repository root, by the peer's venv) and prints one JSON line per workload; see
``bench/peers/common.py`` for the protocol. Only the standard library and the peer are
importable there.
"""
