"""``headway server``: the engine, the API and (later) the scheduler in one process."""
