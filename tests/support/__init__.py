"""Test support: the fake GitHub and the tiny local models, shared by tests and benchmarks."""
