"""Benchmarks: legacy against split and every migration stage, against the Python framing limit
and against an external node (bcoin). ``netsplit bench`` runs them (:mod:`.runner`) and writes
docs/benchmarks.md (:mod:`.report`); each benchmark module returns :class:`.model.Figure` rows.
"""
