"""Benchmarks of murojaat: DynamoDB requests and capacity per use case, job scaling, cold start, throughput.

Run with `python -m bench.run` (or `make bench`); docs/benchmarks.md records a run.
"""
