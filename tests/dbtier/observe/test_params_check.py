"""`dbtier params check` on throwaway MariaDB and PostgreSQL servers: drift and counter advice.

Each server starts with some designed values already in force, so those are not
drift; then `SET GLOBAL` / `ALTER SYSTEM` + reload moves one away from the
design and the check must report it, and a load that spills to disk must make
the advice name the counter that shows it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.observe.check import check_server
from dbtier.params import design, load_profile
from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres, require_available

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"
MARIADB_PROFILE = EXAMPLES / "bootcamp-mariadb.yaml"
POSTGRES_PROFILE = EXAMPLES / "nippo-postgres.yaml"


def _designed(profile: Path, *names: str) -> dict[str, str]:
    """The design's values for `names` (so the servers start holding them)."""
    values = design(load_profile(profile)).values
    return {name: values[name] for name in names}


def _check(url: URL, profile: Path) -> dict[str, object]:
    database_url = url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app,
        ["params", "check", "--database-url", database_url, "--profile", str(profile), "--json"],
    )
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def _drift(report: dict[str, object]) -> dict[str, dict[str, str]]:
    return {item["name"]: item for item in report["drift"]}  # type: ignore[attr-defined]


def _advice(report: dict[str, object], check: str) -> dict[str, object]:
    (item,) = [a for a in report["advice"] if a["check"] == check]  # type: ignore[attr-defined]
    return item  # type: ignore[no-any-return]


def test_mariadb_drift_after_set_global_and_temp_tables_on_disk() -> None:
    require_available(ThrowawayMariaDB)
    held = _designed(MARIADB_PROFILE, "long_query_time", "max_connections")
    with ThrowawayMariaDB(config=[f"{name}={value}" for name, value in held.items()]) as server:
        time.sleep(1.1)  # MariaDB's Uptime counts whole seconds: 0 just after the start
        before = _check(server.url(), MARIADB_PROFILE)
        assert before["engine"] == "mariadb"
        assert float(before["uptime_s"]) > 0  # type: ignore[arg-type]
        assert "long_query_time" not in _drift(before)
        assert "max_connections" not in _drift(before)

        server.execute("SET GLOBAL long_query_time = 2")
        server.execute("CREATE DATABASE spill")
        server.execute("CREATE TABLE spill.t (a INT, b VARCHAR(200))")
        server.execute(
            # seq_1_to_N: MariaDB's Sequence engine.
            "INSERT INTO spill.t SELECT seq, REPEAT(CHAR(65 + seq % 26), 150) "
            "FROM spill.seq_1_to_3000"
        )
        with server.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SET SESSION tmp_table_size = 1024, max_heap_table_size = 16384")
            for _ in range(30):
                cursor.execute("SELECT b, COUNT(*) FROM spill.t GROUP BY b, a ORDER BY 2")
                cursor.fetchall()

        after = _check(server.url(), MARIADB_PROFILE)
        drift = _drift(after)["long_query_time"]
        assert drift["kind"] == "differs"
        assert float(drift["running"]) == 2.0
        assert drift["designed"] == held["long_query_time"]
        assert drift["rule"] == "observability"
        temp = _advice(after, "temporary tables on disk")
        assert temp["status"] == "warn"
        assert "Created_tmp_disk_tables" in str(temp["finding"])
        assert temp["counters"]["Created_tmp_disk_tables"] >= 30  # type: ignore[index]
        assert temp["rule"] == "temp_tables"
        assert temp["uptime_s"] == after["uptime_s"]


def test_postgres_drift_after_alter_system_reload_pending_restart_and_temp_files() -> None:
    require_available(ThrowawayPostgres)
    held = _designed(POSTGRES_PROFILE, "work_mem", "checkpoint_timeout")
    config = [
        f"work_mem = {held['work_mem']}kB",
        f"checkpoint_timeout = {held['checkpoint_timeout']}",
    ]
    with ThrowawayPostgres(config=config) as server:
        before = _check(server.url(), POSTGRES_PROFILE)
        assert before["engine"] == "postgres"
        assert "work_mem" not in _drift(before)
        assert "checkpoint_timeout" not in _drift(before)

        server.execute("ALTER SYSTEM SET work_mem = '8MB'")
        pages = int(design(load_profile(POSTGRES_PROFILE)).values["shared_buffers"])
        shared_buffers = f"{pages * 8}kB"  # the design's value, in a unit of its own
        server.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
        server.execute("SELECT pg_reload_conf()")
        with server.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SET work_mem = '64kB'")
            cursor.execute("SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC LIMIT 1")
            cursor.fetchall()

        after = _check(server.url(), POSTGRES_PROFILE)
        drift = _drift(after)
        assert drift["work_mem"]["kind"] == "differs"
        assert drift["work_mem"]["running"] == "8192"
        # shared_buffers: the design's value is set but waits for a restart.
        assert drift["shared_buffers"]["kind"] == "pending-restart"
        assert drift["shared_buffers"]["pending"] == shared_buffers
        assert drift["shared_buffers"]["running"] == "16384"
        temp = _advice(after, "temporary files on disk")
        assert temp["status"] == "warn"
        assert "temp_files" in str(temp["finding"])
        assert temp["counters"]["temp_files"] >= 1  # type: ignore[index]
        assert _advice(after, "checkpoints")["rule"] == "redo_and_checkpoints"


def test_wrong_engine_profile_and_sqlite_are_usage_errors(tmp_path: Path) -> None:
    sqlite = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(Exception, match="MySQL, MariaDB or PostgreSQL"):
        check_server(sqlite, "sqlite", None)
    result = CliRunner().invoke(
        app, ["params", "check", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 2
    assert "not sqlite" in result.stderr
