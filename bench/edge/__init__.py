"""Benchmarks of nippo's edge: the event loop stays responsive during the largest import."""
