"""Advice from a running server's counters, each item with the numbers it stands on.

Thresholds follow MySQLTuner and tuning-primer where they have one (temporary
tables on disk > 25 %, connections > 85 % of max_connections, table cache hit
rate < 80 %) and the design's own rules otherwise; every item names the design
rule of `dbtier.params.rules` it relates to, so a finding leads to the
profile field or rule to change. Counter names differ per engine; they live in
`COUNTERS`, and each check reads them from there.

Checks (MySQL/MariaDB counters; PostgreSQL counters; design rule):

- cache hit ratio: Innodb_buffer_pool_reads / _read_requests; blks_read /
  blks_hit; buffer_cache
- temporary tables / files on disk: Created_tmp_disk_tables /
  Created_tmp_tables, Created_tmp_files; temp_files, temp_bytes; temp_tables,
  sort_and_join_memory
- connections: Max_used_connections (high-water); client backends now (PG
  keeps no high-water mark); connections
- checkpoints requested vs timed: -; checkpoints_req / checkpoints_timed
  (pg_stat_bgwriter, pg_stat_checkpointer from PG 17); redo_and_checkpoints
- redo / WAL pressure: Innodb_log_waits, Innodb_os_log_written per hour;
  wal_bytes per hour, wal_buffers_full; redo_and_checkpoints
- table cache: Table_open_cache_misses / hits; -; table_open_cache is left
  at its default by the design
- deadlocks: Innodb_deadlocks (MariaDB; MySQL 8 has none in its status);
  deadlocks; durability
- long transactions: information_schema.innodb_trx; pg_stat_activity;
  redo_and_checkpoints / autovacuum
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from dbtier.observe.drift import UNIT_FACTORS
from dbtier.observe.server import LONG_TRANSACTION_S, ServerSnapshot

Status = Literal["ok", "warn", "info"]

HIT_RATIO_MIN = 0.99
TMP_DISK_SHARE_MAX = 0.25
CONNECTIONS_SHARE_MAX = 0.85
TABLE_CACHE_HIT_MIN = 0.80
CHECKPOINT_REQ_SHARE_MAX = 0.10
MIN_EVENTS = 100  # below this many events a ratio says nothing

# The engine's name for each counter the checks read.
COUNTERS: dict[str, dict[str, str]] = {
    "mysql": {
        "cache_hits": "Innodb_buffer_pool_read_requests",
        "cache_misses": "Innodb_buffer_pool_reads",
        "tmp_tables": "Created_tmp_tables",
        "tmp_disk": "Created_tmp_disk_tables",
        "tmp_files": "Created_tmp_files",
        "connections_high": "Max_used_connections",
        "deadlocks": "Innodb_deadlocks",
        "log_waits": "Innodb_log_waits",
        "log_written": "Innodb_os_log_written",
        "table_hits": "Table_open_cache_hits",
        "table_misses": "Table_open_cache_misses",
    },
    "postgres": {
        "cache_hits": "blks_hit",
        "cache_misses": "blks_read",
        "tmp_files": "temp_files",
        "tmp_bytes": "temp_bytes",
        "connections_high": "client_connections",
        "deadlocks": "deadlocks",
        "checkpoints_timed": "checkpoints_timed",
        "checkpoints_req": "checkpoints_req",
        "log_written": "wal_bytes",
        "log_waits": "wal_buffers_full",
    },
}
# The setting each check compares against, per engine.
SETTINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "mysql": {
        "cache": ("innodb_buffer_pool_size",),
        "tmp": ("tmp_table_size", "max_heap_table_size"),
        "sort": ("sort_buffer_size",),
        "log": ("innodb_redo_log_capacity", "innodb_log_file_size", "innodb_log_buffer_size"),
        "tables": ("table_open_cache",),
    },
    "postgres": {
        "cache": ("shared_buffers",),
        "tmp": ("work_mem",),
        "sort": ("work_mem",),
        "log": ("max_wal_size", "wal_buffers"),
        "tables": (),
    },
}


@dataclass(frozen=True)
class Advice:
    """One check: what it found, the counters and settings it read, the rule it relates to."""

    check: str
    status: Status
    finding: str
    rule: str
    counters: dict[str, float]
    settings: dict[str, str] = field(default_factory=dict)
    uptime_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "check": self.check,
            "status": self.status,
            "finding": self.finding,
            "rule": self.rule,
            "counters": self.counters,
            "settings": self.settings,
            "uptime_s": self.uptime_s,
        }


class _Reader:
    """Counters and settings of one snapshot under the checks' engine-neutral names."""

    def __init__(self, snapshot: ServerSnapshot) -> None:
        self.snapshot = snapshot
        self.names = COUNTERS[snapshot.dialect]
        self.settings_of = SETTINGS[snapshot.dialect]

    def has(self, key: str) -> bool:
        return key in self.names and self.names[key] in self.snapshot.counters

    def get(self, key: str) -> float:
        return self.snapshot.counters.get(self.names.get(key, ""), 0.0)

    def shown(self, *keys: str) -> dict[str, float]:
        return {self.names[k]: self.get(k) for k in keys if self.has(k)}

    def settings(self, group: str) -> dict[str, str]:
        values, units = self.snapshot.settings, self.snapshot.units
        return {
            name: f"{values[name]} {units[name]}" if name in units else values[name]
            for name in self.settings_of[group]
            if name in values
        }

    def setting_bytes(self, name: str) -> float | None:
        value = self.snapshot.settings.get(name)
        try:
            return float(value or "") * UNIT_FACTORS.get(self.snapshot.units.get(name, ""), 1)
        except ValueError:
            return None

    def advice(self, check: str, status: Status, finding: str, rule: str, **extra: Any) -> Advice:
        return Advice(
            check,
            status,
            finding,
            rule,
            extra.get("counters", {}),
            extra.get("settings", {}),
            self.snapshot.uptime_s,
        )


def _cache(r: _Reader) -> Advice | None:
    hits, misses = r.get("cache_hits"), r.get("cache_misses")
    if not r.has("cache_hits"):
        return None
    # InnoDB counts read requests including the misses; PostgreSQL counts hits and reads apart.
    requests = hits if r.snapshot.dialect == "mysql" else hits + misses
    extra = {"counters": r.shown("cache_hits", "cache_misses"), "settings": r.settings("cache")}
    if requests < MIN_EVENTS:
        return r.advice(
            "cache hit ratio", "info", "too few reads yet to judge", "buffer_cache", **extra
        )
    ratio = 1 - misses / requests
    if ratio < HIT_RATIO_MIN:
        finding = (
            f"{ratio:.2%} of page reads were served from memory (below {HIT_RATIO_MIN:.0%}); "
            "the working set does not fit: a larger instance class or a larger cache share"
        )
        return r.advice("cache hit ratio", "warn", finding, "buffer_cache", **extra)
    finding = f"{ratio:.2%} of page reads served from memory"
    return r.advice("cache hit ratio", "ok", finding, "buffer_cache", **extra)


def _temp_mysql(r: _Reader) -> Advice | None:
    tables, disk, files = r.get("tmp_tables"), r.get("tmp_disk"), r.get("tmp_files")
    extra = {
        "counters": r.shown("tmp_tables", "tmp_disk", "tmp_files"),
        "settings": r.settings("tmp"),
    }
    if tables < 1:
        return r.advice(
            "temporary tables on disk", "info", "no temporary tables yet", "temp_tables", **extra
        )
    share = disk / tables
    if share > TMP_DISK_SHARE_MAX:
        finding = (
            f"Created_tmp_disk_tables is {share:.0%} of Created_tmp_tables ({disk:.0f} of "
            f"{tables:.0f}, above {TMP_DISK_SHARE_MAX:.0%}): GROUP BY/DISTINCT/UNION results "
            "spill to disk; raise the profile's largest temporary table (tmp_table_size and "
            "max_heap_table_size together) or look for TEXT/BLOB columns in those queries"
        )
        return r.advice("temporary tables on disk", "warn", finding, "temp_tables", **extra)
    finding = f"{share:.1%} of temporary tables went to disk; {files:.0f} temporary files"
    return r.advice("temporary tables on disk", "ok", finding, "temp_tables", **extra)


def _temp_postgres(r: _Reader) -> Advice | None:
    files, size = r.get("tmp_files"), r.get("tmp_bytes")
    extra = {"counters": r.shown("tmp_files", "tmp_bytes"), "settings": r.settings("tmp")}
    if files > 0:
        finding = (
            f"temp_files is {files:.0f} ({size / 2**20:.1f} MiB written): sorts and hashes "
            "spilled past work_mem; raise the profile's largest sort, or find them with "
            "log_temp_files"
        )
        return r.advice("temporary files on disk", "warn", finding, "sort_and_join_memory", **extra)
    return r.advice(
        "temporary files on disk", "ok", "no temporary files", "sort_and_join_memory", **extra
    )


def _connections(r: _Reader) -> Advice | None:
    limit = _float(r.snapshot.settings.get("max_connections"))
    if limit is None or not r.has("connections_high"):
        return None
    high = r.get("connections_high")
    label = "high-water mark" if r.snapshot.dialect == "mysql" else "now (no high-water mark kept)"
    extra = {
        "counters": r.shown("connections_high"),
        "settings": {"max_connections": r.snapshot.settings["max_connections"]},
    }
    share = high / limit if limit else 0.0
    finding = f"{high:.0f} connections {label} of max_connections {limit:.0f} ({share:.0%})"
    if share > CONNECTIONS_SHARE_MAX:
        finding += "; the pools and task counts may be larger than the design assumed"
        return r.advice("connections", "warn", finding, "connections", **extra)
    return r.advice("connections", "ok", finding, "connections", **extra)


def _checkpoints(r: _Reader) -> Advice | None:
    if not r.has("checkpoints_req"):
        return None
    timed, requested = r.get("checkpoints_timed"), r.get("checkpoints_req")
    extra = {
        "counters": r.shown("checkpoints_timed", "checkpoints_req"),
        "settings": r.settings("log"),
    }
    total = timed + requested
    if total < 1:
        return r.advice(
            "checkpoints", "info", "no checkpoints yet", "redo_and_checkpoints", **extra
        )
    share = requested / total
    finding = f"{requested:.0f} requested and {timed:.0f} timed checkpoints ({share:.0%} requested)"
    if share > CHECKPOINT_REQ_SHARE_MAX:
        finding += (
            "; either WAL fills max_wal_size before checkpoint_timeout (raise max_wal_size) "
            "or something asks for them (CHECKPOINT, CREATE DATABASE, base backups)"
        )
        return r.advice("checkpoints", "warn", finding, "redo_and_checkpoints", **extra)
    return r.advice("checkpoints", "ok", finding, "redo_and_checkpoints", **extra)


def _log_pressure(r: _Reader) -> Advice | None:
    if not r.has("log_written"):
        return None
    uptime = max(r.snapshot.uptime_s, 1.0)
    per_hour = r.get("log_written") / uptime * 3600
    waits = r.get("log_waits")
    settings = r.settings("log")
    capacity = next(
        (
            size
            for name in ("innodb_redo_log_capacity", "innodb_log_file_size", "max_wal_size")
            if name in settings and (size := r.setting_bytes(name)) is not None
        ),
        None,
    )
    extra = {"counters": r.shown("log_written", "log_waits"), "settings": settings}
    finding = f"{per_hour / 2**20:.1f} MiB of redo/WAL per hour of uptime"
    status: Status = "ok"
    if capacity and per_hour > capacity:
        finding += f", more than the {capacity / 2**20:.0f} MiB log: checkpoints are forced early"
        status = "warn"
    if waits > 0:
        finding += f"; {waits:.0f} waits for a full log buffer: raise the log buffer"
        status = "warn"
    if uptime < 3600:
        finding += " (up less than an hour: the rate is rough)"
    return r.advice("redo/WAL pressure", status, finding, "redo_and_checkpoints", **extra)


def _table_cache(r: _Reader) -> Advice | None:
    if not r.has("table_hits"):
        return None
    hits, misses = r.get("table_hits"), r.get("table_misses")
    extra = {"counters": r.shown("table_hits", "table_misses"), "settings": r.settings("tables")}
    if hits + misses < MIN_EVENTS:
        return r.advice("table cache", "info", "too few table opens yet to judge", "-", **extra)
    rate = hits / (hits + misses)
    finding = f"{rate:.1%} of table opens hit the table cache"
    if rate < TABLE_CACHE_HIT_MIN:
        finding += f" (below {TABLE_CACHE_HIT_MIN:.0%}): raise table_open_cache"
        return r.advice("table cache", "warn", finding, "-", **extra)
    return r.advice("table cache", "ok", finding, "-", **extra)


def _deadlocks(r: _Reader) -> Advice | None:
    if not r.has("deadlocks"):
        return r.advice(
            "deadlocks", "info", "this server does not count deadlocks in its status", "durability"
        )
    count = r.get("deadlocks")
    extra = {"counters": r.shown("deadlocks")}
    if count > 0:
        finding = f"{count:.0f} deadlocks since start: transactions take rows in different orders"
        return r.advice("deadlocks", "warn", finding, "durability", **extra)
    return r.advice("deadlocks", "ok", "no deadlocks", "durability", **extra)


def _long_transactions(r: _Reader) -> Advice | None:
    found = r.snapshot.long_transactions
    counters = {"open_longer_than_s": float(LONG_TRANSACTION_S), "count": float(len(found))}
    rule = "autovacuum" if r.snapshot.dialect == "postgres" else "redo_and_checkpoints"
    if found:
        oldest = max(item["age_s"] for item in found)
        counters["oldest_s"] = oldest
        finding = (
            f"{len(found)} transactions open longer than {LONG_TRANSACTION_S} s (oldest "
            f"{oldest:.0f} s): they hold back purge/vacuum and keep locks"
        )
        return r.advice("long transactions", "warn", finding, rule, counters=counters)
    finding = f"no transaction open longer than {LONG_TRANSACTION_S} s"
    return r.advice("long transactions", "ok", finding, rule, counters=counters)


def _top_statements(r: _Reader) -> Advice | None:
    top = r.snapshot.top_statements
    if not top:
        return None
    counters = {f"#{i} total_s": item["total_s"] for i, item in enumerate(top, 1)}
    first = top[0]
    finding = (
        f"pg_stat_statements: the most time goes to {first['calls']} calls of "
        f"{' '.join(str(first['query']).split())[:80]!r} ({first['total_s']:.3f} s)"
    )
    return r.advice("top statements", "info", finding, "observability", counters=counters)


def _float(value: str | None) -> float | None:
    try:
        return float(value or "")
    except ValueError:
        return None


CHECKS: dict[str, tuple[Callable[[_Reader], Advice | None], ...]] = {
    "mysql": (
        _cache,
        _temp_mysql,
        _connections,
        _log_pressure,
        _table_cache,
        _deadlocks,
        _long_transactions,
    ),
    "postgres": (
        _cache,
        _temp_postgres,
        _connections,
        _checkpoints,
        _log_pressure,
        _deadlocks,
        _long_transactions,
        _top_statements,
    ),
}


def advise(snapshot: ServerSnapshot) -> list[Advice]:
    """Every check of the snapshot's engine that has counters to stand on."""
    reader = _Reader(snapshot)
    return [item for check in CHECKS[snapshot.dialect] if (item := check(reader)) is not None]


__all__ = ["CHECKS", "COUNTERS", "Advice", "advise"]
