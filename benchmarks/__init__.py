"""Benchmark scripts: each prints its measurements as ratios against a named baseline."""
