"""Benchmarks: a data generator and a runner (see bench/run.py and bench/RESULTS.md)."""
