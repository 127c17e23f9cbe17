"""The slow-log digest benchmark: dbtier against pt-query-digest and pgBadger on real logs.

`uv run python -m bench.digest` (see `__main__`); generated logs are not committed.
"""
