"""Fuzz targets for the v1 frame parser and for message processing, run by hypothesis in the
test suite and by atheris through ``netsplit fuzz`` (see docs/robustness.md, "Fuzzing").

Kept free of imports: the atheris runner must import common/ and the variant under coverage
instrumentation, before anything else pulls them in.
"""
