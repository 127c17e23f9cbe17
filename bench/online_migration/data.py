"""The benchmark's database: a throwaway server, nippo's schema from nippo's migrations, its rows.

Each engine runs in a throwaway server of the benchmark's own
(`dbtier.testing.servers`: own port and data directory, ended by PID), so
neither the shared servers on 3306/5432 nor other people's work on them are
part of the measurement. Its configuration is `CONFIG`: a buffer pool /
shared buffers that hold the whole data set, and room for the app's pool,
the migration and pt-online-schema-change.

Rows are generated server-side from a number series (MariaDB's SEQUENCE
engine, PostgreSQL's generate_series) in one INSERT ... SELECT per table, the
fastest bulk load either engine has without server-side files. Learner `i`
has the bearer token `tok-i` (its SHA-256 is what nippo stores).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres, ThrowawayServer
from nippo.migrations import upgrade_to_head

CONFIG = {
    "mariadb": ["innodb_buffer_pool_size=1G", "max_connections=200"],
    "postgres": ["shared_buffers = 512MB", "max_connections = 200"],
}
DRIVERS = {"mariadb": "mysql+pymysql", "postgres": "postgresql+psycopg"}
REPORTS_PER_LEARNER = 50
TASKS_PER_REPORT = 10
FIRST_DAY = "2026-01-01"


@dataclass(frozen=True)
class Series:
    """How an engine spells a number series, a SHA-256 in hex and a date plus days."""

    series: str  # format with n, alias; yields column `seq`
    sha256_hex: str  # format with expr
    day_plus: str  # format with days
    json_empty: str
    int_div: str  # format with a, b: integer division


SQL = {
    "mariadb": Series(
        series="seq_1_to_{n} AS {alias}",
        sha256_hex="SHA2({expr}, 256)",
        day_plus=f"DATE_ADD(DATE '{FIRST_DAY}', INTERVAL ({{days}}) DAY)",
        json_empty="'[]'",
        int_div="({a}) DIV {b}",
    ),
    "postgres": Series(
        series="generate_series(1, {n}) AS {alias}(seq)",
        sha256_hex="encode(sha256(convert_to({expr}, 'UTF8')), 'hex')",
        day_plus=f"(DATE '{FIRST_DAY}' + ({{days}})::int)",
        json_empty="'[]'::json",
        int_div="({a}) / {b}",
    ),
}


@dataclass(frozen=True)
class Size:
    """Task rows wanted; learners follow (50 reports of 10 tasks each)."""

    tasks: int

    @property
    def learners(self) -> int:
        return max(1, self.tasks // (REPORTS_PER_LEARNER * TASKS_PER_REPORT))

    @property
    def reports(self) -> int:
        return self.learners * REPORTS_PER_LEARNER


def server(engine_name: str) -> ThrowawayServer:
    """The engine's throwaway server, not started (`with server(...) as s:` starts it)."""
    kind = ThrowawayMariaDB if engine_name == "mariadb" else ThrowawayPostgres
    return kind(config=CONFIG[engine_name])


def create_database(engine_name: str, running: ThrowawayServer) -> URL:
    """A fresh database in the running throwaway server; its superuser URL over TCP."""
    name = f"dbtier_bench_om_{uuid.uuid4().hex[:8]}"
    if engine_name == "mariadb":
        running.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    else:
        running.execute(f'CREATE DATABASE "{name}"')
    return running.url(DRIVERS[engine_name], database=name)


def _statements(engine_name: str, size: Size) -> list[str]:
    s = SQL[engine_name]
    per_learner, per_report = REPORTS_PER_LEARNER, TASKS_PER_REPORT
    token_hash = s.sha256_hex.format(expr="CONCAT('tok-', u.seq)")
    users = (
        "INSERT INTO users (id, name, role, timezone, token_hash, created_at) "
        f"SELECT u.seq, CONCAT('learner-', u.seq), 'learner', 'Asia/Tokyo', "
        f"{token_hash}, CURRENT_TIMESTAMP "
        f"FROM {s.series.format(n=size.learners, alias='u')}"
    )
    reports = (
        "INSERT INTO reports (id, learner_id, report_date, title, language, tasks_extra, "
        "created_at, updated_at) "
        f"SELECT r.seq, {s.int_div.format(a='r.seq - 1', b=per_learner)} + 1, "
        f"{s.day_plus.format(days=f'(r.seq - 1) % {per_learner}')}, "
        "CONCAT('day ', r.seq), 'ja', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        f"FROM {s.series.format(n=size.reports, alias='r')}"
    )
    tasks = (
        "INSERT INTO report_tasks (id, report_id, position, title, minutes, notes) "
        f"SELECT t.seq, {s.int_div.format(a='t.seq - 1', b=per_report)} + 1, "
        f"(t.seq - 1) % {per_report}, "
        f"CONCAT('task ', t.seq % 997), 15 + t.seq % 90, {s.json_empty} "
        f"FROM {s.series.format(n=size.reports * per_report, alias='t')}"
    )
    if engine_name == "postgres":  # integer division and the serial sequences
        return [
            users,
            reports,
            tasks,
            *(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
                for table in ("users", "reports", "report_tasks")
            ),
            "ANALYZE",
        ]
    return [users, reports, tasks, "ANALYZE TABLE users, reports, report_tasks"]


def load(engine_name: str, url: URL, size: Size) -> None:
    """Build nippo's schema with its migrations, then fill it."""
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        for statement in _statements(engine_name, size):
            conn.execute(text(statement))
            conn.commit()
    engine.dispose()


__all__ = ["CONFIG", "Size", "create_database", "load", "server"]
