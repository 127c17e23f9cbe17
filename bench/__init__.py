"""Benchmarks that measure dbtier against its peers, side by side; they print and assert nothing."""
