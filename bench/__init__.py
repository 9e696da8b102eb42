"""Benchmarks of the product, run by hand (`make bench`); never part of the test suite."""
