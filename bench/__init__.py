"""Benchmarks: each module `bench/<name>.py` exposes `run()` yielding one result dict per case."""
