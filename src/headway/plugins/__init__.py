"""Task and trigger types. Plugins never import the engine; the engine implements the
context interfaces defined in :mod:`headway.plugins.base`."""
