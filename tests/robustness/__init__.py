"""Robustness tests: hostile input against both node variants, in-process and over loopback."""
