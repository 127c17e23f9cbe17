"""Test support that ships with dbtier: throwaway database servers (`dbtier.testing.servers`).

Nothing here runs in production; it is packaged so that tests, the fault
benchmark (`bench/faults`) and other tooling share one implementation.
"""
