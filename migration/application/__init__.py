"""Use cases of the migration toolkit (materialize stages, build split/, verify, census, export),
written against the ports in :mod:`migration.application.ports`."""
