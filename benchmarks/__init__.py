"""Benchmarks and experiments, run by hand (`python -m benchmarks.<name>`), never installed."""
