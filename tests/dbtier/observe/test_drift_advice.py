"""Drift and advice on hand-made snapshots: units, booleans, pending restarts, thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtier.observe.advice import advise
from dbtier.observe.drift import find_drift, same_value
from dbtier.observe.server import ServerSnapshot
from dbtier.params import design, load_profile

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"


@pytest.mark.parametrize(
    ("designed", "design_unit", "running", "running_unit", "same"),
    [
        ("119808", "8kB", "119808", "8kB", True),
        ("119808", "8kB", "936MB", "8kB", True),
        ("900", "s", "15min", "s", True),
        ("2048", "MB", "2GB", "MB", True),
        ("1", "", "ON", "", True),
        ("0", "", "off", "", True),
        ("0.15", "s", "0.150000", "s", True),
        ("lz4", "", "LZ4", "", True),
        ("Asia/Tokyo", "", "SYSTEM", "", False),
        ("5760", "kB", "4096", "kB", False),
    ],
)
def test_same_value(
    designed: str, design_unit: str, running: str, running_unit: str, same: bool
) -> None:
    assert same_value(designed, design_unit, running, running_unit) is same


@pytest.mark.parametrize(
    ("designed", "running", "same"),
    [
        ("Asia/Tokyo", "+09:00", True),
        ("Asia/Tokyo", "+9:00", True),
        ("+09:00", "Asia/Tokyo", True),
        ("UTC", "+00:00", True),
        ("UTC", "-00:00", True),
        ("Asia/Tokyo", "Japan", True),
        ("Asia/Tokyo", "+08:00", False),
        ("Asia/Tokyo", "SYSTEM", False),
        ("America/New_York", "-05:00", False),  # daylight saving: not the same clock
        ("Asia/Tokyo", "no/such-zone", False),
    ],
)
def test_time_zones_with_the_same_clock_are_the_same(
    designed: str, running: str, same: bool
) -> None:
    assert same_value(designed, "", running, "", zone=True) is same
    # Only time zone settings read values as zones.
    assert same_value(designed, "", running, "") is (designed.lower() == running.lower())


def test_a_mariadb_running_the_designed_zone_as_an_offset_has_no_drift() -> None:
    designed = design(load_profile(EXAMPLES / "nippo-mariadb.yaml"))
    zone = {p.name: p.value for p in designed.parameters}["time_zone"]
    assert zone == "Asia/Tokyo"
    settings = {p.name: p.value for p in designed.parameters}
    snapshot = ServerSnapshot("mariadb", "10.11.19", 7200.0, settings | {"time_zone": "+09:00"}, {})
    assert [d.name for d in find_drift(designed, snapshot) if d.name == "time_zone"] == []
    snapshot.settings["time_zone"] = "+08:00"
    assert [d.kind for d in find_drift(designed, snapshot) if d.name == "time_zone"] == ["differs"]


def _postgres_snapshot(**counters: float) -> ServerSnapshot:
    designed = design(load_profile(EXAMPLES / "nippo-postgres.yaml"))
    settings = {p.name: p.value for p in designed.parameters}
    units = {p.name: p.unit for p in designed.parameters if p.unit}
    snapshot = ServerSnapshot("postgres", "16.10", 7200.0, settings, units)
    snapshot.counters = {"client_connections": 5.0} | counters
    return snapshot


def test_a_server_holding_the_design_has_no_drift() -> None:
    designed = design(load_profile(EXAMPLES / "nippo-postgres.yaml"))
    assert find_drift(designed, _postgres_snapshot()) == []


def test_pending_restart_and_absent_settings() -> None:
    designed = design(load_profile(EXAMPLES / "nippo-postgres.yaml"))
    snapshot = _postgres_snapshot()
    snapshot.settings["shared_buffers"] = "16384"
    snapshot.pending["shared_buffers"] = "936MB"
    del snapshot.settings["wal_compression"]
    drift = {item.name: item for item in find_drift(designed, snapshot)}
    assert drift["shared_buffers"].kind == "pending-restart"
    assert "waits for a restart" in drift["shared_buffers"].describe()
    assert drift["wal_compression"].kind == "absent"
    assert "rds.force_ssl" not in drift


def test_requested_checkpoints_and_deadlocks_are_flagged() -> None:
    snapshot = _postgres_snapshot(
        checkpoints_timed=10.0, checkpoints_req=40.0, deadlocks=3.0, blks_hit=1e6, blks_read=10.0
    )
    advice = {item.check: item for item in advise(snapshot)}
    assert advice["checkpoints"].status == "warn"
    assert advice["checkpoints"].counters == {"checkpoints_timed": 10.0, "checkpoints_req": 40.0}
    assert "max_wal_size" in advice["checkpoints"].settings
    assert advice["deadlocks"].status == "warn"
    assert advice["cache hit ratio"].status == "ok"
    assert all(item.uptime_s == 7200.0 for item in advice.values())


def test_mysql_connections_near_the_limit_and_a_cold_cache() -> None:
    snapshot = ServerSnapshot(
        "mysql",
        "8.4.3",
        86400.0,
        {"max_connections": "100", "innodb_buffer_pool_size": "134217728"},
    )
    snapshot.counters = {
        "Max_used_connections": 95.0,
        "Innodb_buffer_pool_read_requests": 100000.0,
        "Innodb_buffer_pool_reads": 5000.0,
    }
    advice = {item.check: item for item in advise(snapshot)}
    assert advice["connections"].status == "warn"
    assert advice["connections"].rule == "connections"
    assert advice["cache hit ratio"].status == "warn"
    assert "95.00%" in advice["cache hit ratio"].finding
    assert advice["deadlocks"].status == "info"  # MySQL 8 has no Innodb_deadlocks status
