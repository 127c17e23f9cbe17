"""Engine facts, lock names, EMF lines and backoff: the pure parts."""

from __future__ import annotations

import io
import json

from dbtier.migrate import emf
from dbtier.migrate.connect import backoff_delays
from dbtier.migrate.lock import advisory_key, mysql_lock_name, sqlite_lock_path
from dbtier.migrate.timeouts import MARIADB, MYSQL, POSTGRESQL, SQLITE


def test_timeout_statements_per_engine() -> None:
    assert POSTGRESQL.timeout_statements(1.5, 600) == [
        "SET lock_timeout = 1500",
        "SET statement_timeout = 600000",
    ]
    assert MARIADB.timeout_statements(1.5, 600) == [
        "SET SESSION lock_wait_timeout = 2",  # whole seconds, rounded up
        "SET SESSION innodb_lock_wait_timeout = 2",
        "SET SESSION max_statement_time = 600.000",
    ]
    assert MYSQL.timeout_statements(0.2, 30)[-1] == "SET SESSION max_execution_time = 30000"
    assert MYSQL.timeout_statements(0.2, 30)[0] == "SET SESSION lock_wait_timeout = 1"
    assert SQLITE.timeout_statements(5, 600) == ["PRAGMA busy_timeout = 5000"]
    assert POSTGRESQL.transactional_ddl
    assert not (MARIADB.transactional_ddl or MYSQL.transactional_ddl or SQLITE.transactional_ddl)


def test_lock_names() -> None:
    assert mysql_lock_name("app") == "dbtier.migrate:app"
    long_name = mysql_lock_name("x" * 100)
    assert len(long_name) <= 64
    assert long_name != mysql_lock_name("y" * 100)
    assert advisory_key() == advisory_key()
    assert -(2**63) <= advisory_key() < 2**63
    assert sqlite_lock_path("/data/app.sqlite3").name == "app.sqlite3.migrate.lock"


def test_emf_line_has_namespace_duration_and_one_outcome() -> None:
    out = io.StringIO()
    emf.emit(emf.emf_record("skipped", 12.5, timestamp_ms=1, run_id="r"), out)
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "dbtier"
    names = {m["Name"] for m in directive["Metrics"]}
    assert names == {
        "Duration",
        "Succeeded",
        "Noop",
        "Skipped",
        "Failed",
        "Refused",
        "Unreachable",
    }
    assert record["Duration"] == 12.5
    assert record["Skipped"] == 1
    assert record["Succeeded"] + record["Noop"] + record["Failed"] + record["Unreachable"] == 0
    for dimension_set in directive["Dimensions"]:
        for dimension in dimension_set:
            assert dimension in record


def test_backoff_grows_and_is_capped() -> None:
    delays = backoff_delays(8, base=0.5, cap=8.0)
    assert delays[0] < delays[3]
    assert max(delays) <= 8.0 * 1.2
