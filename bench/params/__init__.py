"""`bench.params`: dbtier's parameter design against engine defaults, RDS defaults and PGTune.

Run ``uv run python -m bench.params --help``. Each engine runs on a throwaway
server (its own data directory and port) that is configured in turn with each
configuration, on the same data, and measured with sysbench, pgbench and the
reference service's own query mix. See ``bench/params/README.md``.
"""
