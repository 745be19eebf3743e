"""The REST API: Kestra-compatible paths and JSON under ``/api/v1``, health, metrics.

:func:`headway.api.app.create_app` builds the FastAPI application around a running
:class:`~headway.api.context.ServerContext`; each area's routes live in ``routes/``.
"""
