"""Adapters: libcst codemods and analysis, the filesystem and the stage cache, and the outside
tools (git, mypy, ruff, the differential harness) run as subprocesses."""
