"""The ``netsplit`` command: the reviewer's tour, and (as they land) the node runner, the
differential harness and the migration tools."""
