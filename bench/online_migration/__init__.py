"""What a migration does to live traffic: `uv run python -m bench.online_migration`.

nippo's schema (built by nippo's own migrations) with ~1 M task rows, the
nippo app served by uvicorn under a steady open-loop load, and a set of
typical migrations, each run two ways: naively (`alembic upgrade head`, no
lock timeout, as a developer writes it) and the way dbtier recommends
(`dbtier migrate run`, online DDL). See docs/migrations.md, "Online
migration benchmark".
"""
