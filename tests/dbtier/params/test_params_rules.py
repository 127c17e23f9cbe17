"""Each design rule, on the reference profile and variations of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbtier.params import ParameterDesign, design, engine_facts, load_profile, rds_default_values
from dbtier.params.rules import BINLOG_GROUP_COMMIT_COUNT, COMMIT_DELAY_US, working_set_need

MiB = 1024 * 1024
GiB = 1024 * MiB
BENCH_PROFILES = Path(__file__).resolve().parents[3] / "bench" / "params" / "profiles"


def value(result: ParameterDesign, name: str) -> str:
    return result.parameter(name).value


def test_every_parameter_carries_unit_apply_rule_and_rationale(make_profile: Any) -> None:
    for engine in ("mysql8.0", "postgres16"):
        result = design(make_profile(engine=engine))
        for p in result.parameters:
            assert p.rule and p.rationale.endswith(".")
            assert p.apply_method in ("pending-reboot", "immediate")


def test_static_parameters_wait_for_reboot(make_profile: Any) -> None:
    mysql = design(make_profile())
    assert mysql.parameter("innodb_buffer_pool_size").apply_method == "pending-reboot"
    assert mysql.parameter("max_connections").apply_method == "immediate"
    pg = design(make_profile(engine="postgres16"))
    assert pg.parameter("shared_buffers").apply_method == "pending-reboot"
    assert pg.parameter("max_connections").apply_method == "pending-reboot"
    assert pg.parameter("work_mem").apply_method == "immediate"


# -- connections


def test_max_connections_comes_from_pools_not_memory(make_profile: Any) -> None:
    result = design(make_profile())
    # (5 + 5) × 6 tasks (prod's maximum) × 200 % + 1 migration + 3 rotation + 3 others = 127;
    # × 1.2 = 152; + 3 reserved
    assert result.max_connections == 156
    rationale = result.parameter("max_connections").rationale
    assert "(pool 5 + overflow 5) × 12 tasks" in rationale
    assert "migration job 1 + rotation 3 + other clients 3 = 127" in rationale
    rds = int(rds_default_values("mysql8.4", "db.t4g.medium")["max_connections"])
    assert result.max_connections < rds
    bigger = design(make_profile(instance_class="db.r7g.2xlarge"))
    assert bigger.max_connections == result.max_connections


def test_more_tasks_mean_more_connections(make_profile: Any) -> None:
    # a fixed count: (5 + 5) × 4 tasks × 200 % + 7 = 47 → 60; × 8 + 7 = 87 → 108
    assert design(make_profile(connections__tasks=2)).max_connections == 60
    assert design(make_profile(connections__tasks=4)).max_connections == 108


def test_the_largest_stage_maximum_sizes_max_connections(make_profile: Any) -> None:
    ranges = {"dev": {"min": 1, "max": 2}, "prod": {"min": 2, "max": 3}}
    result = design(make_profile(connections__tasks=ranges))
    # prod's 3 at 200 % = 6 tasks × 10 + 6 = 66 → ceil(79.2) = 80 + 3
    assert result.max_connections == 84
    assert "auto scaling maximum 3" in result.parameter("max_connections").rationale


def test_a_pinned_max_connections_is_kept_and_a_short_one_is_noted(make_profile: Any) -> None:
    roomy = design(make_profile(connections__max_connections=300))
    assert roomy.max_connections == 300
    assert "pinned" in roomy.parameter("max_connections").rationale
    assert not any("refuses" in note for note in roomy.notes)
    short = design(make_profile(connections__max_connections=100))
    assert short.max_connections == 100
    assert any("exceeds the pinned max_connections 100" in note for note in short.notes)


def test_peak_beyond_the_pools_is_noted(make_profile: Any) -> None:
    result = design(make_profile(connections__peak_concurrent=200))
    assert any("peak_concurrent 200" in note for note in result.notes)
    # the peak replaces the pools' 120; migration 1 + rotation 3 + others 3 stay
    assert result.max_connections == 3 + -(-(200 + 7) * 12 // 10)


# -- memory


def test_buffer_pool_fits_with_the_connections(make_profile: Any) -> None:
    result = design(make_profile())
    pool = int(value(result, "innodb_buffer_pool_size"))
    assert pool % (128 * MiB) == 0
    assert 0.55 * result.memory.class_memory_bytes < pool <= 0.75 * result.memory.class_memory_bytes
    assert result.memory.fraction <= 0.85


def test_mariadb_pool_takes_whole_mib_not_128_mib_chunks(make_profile: Any) -> None:
    """MariaDB 10.8+ autosizes the chunk: the pool is what the worst case leaves, in MiB."""
    result = design(make_profile(engine="mariadb10.11", instance_class="db.t4g.small"))
    pool = int(value(result, "innodb_buffer_pool_size"))
    assert pool % MiB == 0
    assert pool % (128 * MiB) != 0
    assert result.memory.fraction <= 0.85
    # within a MiB of the design margin: nothing is lost to rounding
    assert (0.85 - result.memory.fraction) * result.memory.class_memory_bytes < 2 * MiB


def test_small_class_pool_grows_without_over_committing() -> None:
    """bench/params' larger-than-memory profile (db.t4g.small): the pool was 896 MiB."""
    result = design(load_profile(BENCH_PROFILES / "mariadb-larger.yaml"))
    assert int(value(result, "innodb_buffer_pool_size")) >= 1200 * MiB
    assert result.memory.fraction <= 0.85
    assert result.memory.ok


def test_more_connections_shrink_the_buffer_pool(make_profile: Any) -> None:
    few = design(make_profile(connections__tasks=2))
    many = design(make_profile(connections__tasks=6, connections__pool_size=10))
    assert int(value(many, "innodb_buffer_pool_size")) < int(value(few, "innodb_buffer_pool_size"))
    assert "cut to fit" in many.parameter("innodb_buffer_pool_size").rationale


def test_shared_buffers_hold_a_working_set_that_fits(make_profile: Any) -> None:
    small = design(make_profile(engine="postgres16", connections__tasks=2))
    pages = int(value(small, "shared_buffers"))
    assert abs(pages * 8192 / small.memory.class_memory_bytes - 0.25) < 0.01
    hot = design(
        make_profile(
            engine="postgres16",
            connections__tasks=2,
            workload__data_size_gib=3,
            workload__working_set_gib=1.2,
        )
    )
    hot_bytes = int(value(hot, "shared_buffers")) * 8192
    assert hot_bytes >= 1.2 * GiB
    assert "working set" in hot.parameter("shared_buffers").rationale
    assert value(hot, "effective_cache_size") == str(hot.memory.class_memory_bytes * 3 // 32768)
    assert hot.parameter("effective_cache_size").formula == "{DBInstanceClassMemory*3/32768}"


def test_shared_buffers_say_when_the_working_set_does_not_fit_them() -> None:
    """bench/params' PostgreSQL `fits`: 3.0 GiB cannot hold 3.2 GiB, and the rationale says so."""
    fits = design(load_profile(BENCH_PROFILES / "postgres.yaml"))
    rationale = fits.parameter("shared_buffers").rationale
    assert "as much of the 3.2 GiB working set as it holds" in rationale
    assert "stays in shared buffers," in rationale and "OS page cache" in rationale


def test_shared_buffers_stay_at_rds_quarter_when_the_working_set_outgrows_the_cache(
    make_profile: Any,
) -> None:
    """bench/params' PostgreSQL `larger` (4.1 GiB on db.t4g.small): a larger share of
    shared_buffers only shrinks the page cache that serves the misses (sessions 9 and 10)."""
    larger = design(load_profile(BENCH_PROFILES / "postgres-larger.yaml"))
    shared = larger.parameter("shared_buffers")
    assert shared.value == str(larger.memory.class_memory_bytes // 32768)
    assert shared.formula == "{DBInstanceClassMemory/32768}"
    assert "page cache serves the misses" in shared.rationale
    assert shared.value == rds_default_values("postgres15", "db.t4g.small")["shared_buffers"]
    # A working set the two caches hold together still gets shared buffers sized to it.
    held = design(
        make_profile(
            engine="postgres16",
            connections__tasks=2,
            workload__data_size_gib=3,
            workload__working_set_gib=2,
        )
    )
    assert int(value(held, "shared_buffers")) * 8192 > held.memory.class_memory_bytes // 4
    assert held.parameter("shared_buffers").formula is None


# -- a class that holds the working set


def larger_class_notes(result: ParameterDesign) -> list[str]:
    return [note for note in result.notes if "working set is larger than" in note]


@pytest.mark.parametrize(
    ("profile", "cache"),
    [
        ("mariadb-larger.yaml", "innodb_buffer_pool_size"),
        ("postgres-larger.yaml", "effective_cache_size"),
    ],
)
def test_a_working_set_the_class_cannot_hold_names_the_smallest_class_that_can(
    profile: str, cache: str
) -> None:
    """bench/params' `larger` (3.9 and 4.1 GiB on db.t4g.small): no parameter keeps the
    working set in memory, so the design names the class whose own design would, and that
    class's design agrees (its cache holds it, the class below's does not)."""
    small = load_profile(BENCH_PROFILES / profile)
    (note,) = larger_class_notes(design(small))
    need = working_set_need(small)
    assert f"larger than db.t4g.small can hold ({cache} " in note
    assert "db.t4g.large (8 GiB) is the smallest db.t4g class whose design holds it" in note

    def cache_bytes(instance_class: str) -> int:
        other = design(small.model_copy(update={"instance_class": instance_class}))
        pages = 8192 if cache == "effective_cache_size" else 1
        return int(value(other, cache)) * pages

    assert cache_bytes("db.t4g.large") >= need > cache_bytes("db.t4g.medium")
    assert not larger_class_notes(
        design(small.model_copy(update={"instance_class": "db.t4g.large"}))
    )


def test_a_working_set_the_class_holds_gets_no_note() -> None:
    for profile in ("mariadb.yaml", "postgres.yaml"):
        assert not larger_class_notes(design(load_profile(BENCH_PROFILES / profile)))


def test_a_working_set_no_class_of_the_family_holds_says_so(make_profile: Any) -> None:
    """40 GiB from db.t4g.small: the largest t4g (32 GiB) cannot, and the note says which
    family can; from the largest class itself, that it is the largest."""
    big = {"workload__data_size_gib": 60, "workload__working_set_gib": 40}
    (note,) = larger_class_notes(design(make_profile(instance_class="db.t4g.small", **big)))
    assert (
        "no db.t4g class holds it (the largest, db.t4g.2xlarge, gives innodb_buffer_pool_size"
        in note
    )
    assert note.endswith("a memory-optimized (r) class has 8 GiB per vCPU.")
    (last,) = larger_class_notes(design(make_profile(instance_class="db.t4g.2xlarge", **big)))
    assert last.endswith("db.t4g.2xlarge is the largest db.t4g class.")
    (r,) = larger_class_notes(design(make_profile(instance_class="db.r7g.large", **big)))
    assert "db.r7g.2xlarge (64 GiB) is the smallest db.r7g class" in r


def test_work_mem_follows_the_largest_sort_within_the_budget(make_profile: Any) -> None:
    olap = design(
        make_profile(
            engine="postgres16",
            instance_class="db.r7g.2xlarge",
            workload__kind="olap",
            workload__largest_sort_mib=64,
        )
    )
    assert value(olap, "work_mem") == str(64 * 1024)
    tight = design(make_profile(engine="postgres16", workload__largest_sort_mib=512))
    assert int(value(tight, "work_mem")) < 512 * 1024
    assert "capped by the connection budget" in tight.parameter("work_mem").rationale


def test_oltp_sort_buffer_is_capped(make_profile: Any) -> None:
    result = design(make_profile(workload__largest_sort_mib=64))
    assert int(value(result, "sort_buffer_size")) <= 2 * MiB
    default_join = design(make_profile(workload__largest_join_mib=0.1))
    assert "join_buffer_size" not in default_join.values
    assert any(k.name == "join_buffer_size" for k in default_join.left_at_default)


def test_mariadb_sort_buffer_follows_small_sorts_below_its_default(make_profile: Any) -> None:
    """MariaDB's 2 MiB default counts for every connection: small sorts get 256 KiB."""
    small = design(make_profile(engine="mariadb10.11", workload__largest_sort_mib=0.25))
    assert value(small, "sort_buffer_size") == str(256 * 1024)
    assert "buffer cache" in small.parameter("sort_buffer_size").rationale
    large = design(make_profile(engine="mariadb10.11", workload__largest_sort_mib=4))
    assert small.memory.per_connection_bytes < large.memory.per_connection_bytes
    pool = "innodb_buffer_pool_size"
    assert int(value(small, pool)) > int(value(large, pool))
    # on a small class a quarter of the per-connection budget caps it below the default
    tight = design(
        make_profile(
            engine="mariadb10.11", instance_class="db.t4g.small", workload__largest_sort_mib=4
        )
    )
    assert 256 * 1024 <= int(value(tight, "sort_buffer_size")) < 2 * MiB
    assert "quarter of the per-connection budget" in tight.parameter("sort_buffer_size").rationale
    # MySQL's default is the floor: a smaller sort keeps it
    mysql = design(make_profile(workload__largest_sort_mib=0.1))
    assert "sort_buffer_size" not in mysql.values


def test_temp_tables_kept_equal_and_mariadb_counts_them_per_connection(
    make_profile: Any,
) -> None:
    mysql = design(make_profile(workload__largest_temp_table_mib=32))
    assert value(mysql, "tmp_table_size") == value(mysql, "max_heap_table_size") == str(32 * MiB)
    assert int(value(mysql, "temptable_max_ram")) <= GiB
    maria = design(make_profile(engine="mariadb10.11", workload__largest_temp_table_mib=64))
    assert int(value(maria, "tmp_table_size")) < 64 * MiB
    assert "per-connection budget" in maria.parameter("tmp_table_size").rationale
    assert "tmp_table_size" in maria.memory.per_connection_items
    assert "temptable_max_ram" not in maria.values


def test_mariadb_aria_cache_holds_the_largest_temp_tables(make_profile: Any) -> None:
    """Aria's page cache: two of the profile's largest temporary tables, not 128 MiB."""
    maria = design(make_profile(engine="mariadb10.11", workload__largest_temp_table_mib=16))
    assert value(maria, "aria_pagecache_buffer_size") == str(32 * MiB)
    assert "buffer pool" in maria.parameter("aria_pagecache_buffer_size").rationale
    assert maria.memory.global_items["aria_pagecache_buffer_size"] == 32 * MiB
    tiny = design(make_profile(engine="mariadb10.11", workload__largest_temp_table_mib=1))
    assert value(tiny, "aria_pagecache_buffer_size") == str(16 * MiB)
    big = design(
        make_profile(
            engine="mariadb10.11",
            instance_class="db.r7g.2xlarge",
            workload__largest_temp_table_mib=128,
        )
    )
    assert "aria_pagecache_buffer_size" not in big.values
    assert "aria_pagecache_buffer_size" in {left.name for left in big.left_at_default}
    mysql = design(make_profile())
    assert "aria_pagecache_buffer_size" not in mysql.values


def test_maintenance_memory(make_profile: Any) -> None:
    pg = design(make_profile(engine="postgres16"))
    assert int(value(pg, "maintenance_work_mem")) * 1024 >= 64 * MiB
    mysql = design(make_profile())
    assert MiB <= int(value(mysql, "innodb_sort_buffer_size")) <= 64 * MiB


# -- I/O and checkpoints


def test_redo_capacity_on_mysql84_and_log_file_size_elsewhere(make_profile: Any) -> None:
    modern = design(make_profile(engine="mysql8.4"))
    assert int(value(modern, "innodb_redo_log_capacity")) >= GiB
    # RDS for MySQL 8.0 does not expose innodb_redo_log_capacity: two log files hold it
    mysql80 = design(make_profile(engine="mysql8.0"))
    assert "innodb_redo_log_capacity" not in mysql80.values
    assert int(value(mysql80, "innodb_log_file_size")) == GiB // 2
    assert "two files" in mysql80.parameter("innodb_log_file_size").rationale
    maria = design(make_profile(engine="mariadb10.11"))
    assert int(value(maria, "innodb_log_file_size")) >= 2 * GiB  # never below RDS's 2 GiB


def test_redo_grows_with_write_volume_within_storage(make_profile: Any) -> None:
    busy = design(
        make_profile(
            engine="mysql8.4",
            instance_class="db.r7g.large",
            storage__size_gib=400,
            targets__throughput_qps=5000,
            workload__read_ratio=0.5,
        )
    )
    size = int(value(busy, "innodb_redo_log_capacity"))
    assert 4 * GiB < size <= 16 * GiB
    # MySQL 8.4's default log buffer is already 64 MiB: it stays, with the reason
    left = {left.name: left for left in busy.left_at_default}
    assert left["innodb_log_buffer_size"].default == str(64 * MiB)
    busy80 = design(
        make_profile(
            engine="mysql8.0",
            instance_class="db.r7g.large",
            storage__size_gib=400,
            targets__throughput_qps=5000,
            workload__read_ratio=0.5,
        )
    )
    assert value(busy80, "innodb_log_buffer_size") == str(64 * MiB)


def test_log_buffer_is_capped_by_class_memory(make_profile: Any) -> None:
    """A write-heavy profile gets 64 MiB of log buffer, at most 1/64 of class memory."""
    writes = {"workload__read_ratio": 0.5, "engine": "mariadb10.11"}
    large = design(make_profile(instance_class="db.r7g.large", **writes))
    assert value(large, "innodb_log_buffer_size") == str(64 * MiB)
    small = design(make_profile(instance_class="db.t4g.small", **writes))
    size = int(value(small, "innodb_log_buffer_size"))
    assert size == small.memory.class_memory_bytes // 64 // MiB * MiB
    assert 16 * MiB < size < 64 * MiB
    assert "capped at 1/64 of class memory" in small.parameter("innodb_log_buffer_size").rationale
    # where 1/64 of the class is no more than the default, the default stays
    micro = design(make_profile(instance_class="db.t4g.micro", connections__tasks=1, **writes))
    assert "innodb_log_buffer_size" not in micro.values
    assert "innodb_log_buffer_size" in {left.name for left in micro.left_at_default}


def test_wal_and_checkpoints(make_profile: Any) -> None:
    pg = design(make_profile(engine="postgres16"))
    assert value(pg, "checkpoint_timeout") == "900"
    assert int(value(pg, "max_wal_size")) >= 2048
    assert int(value(pg, "min_wal_size")) <= int(value(pg, "max_wal_size"))


def test_wal_compressed_for_write_loads_only(make_profile: Any) -> None:
    writes = design(make_profile(engine="postgres16", workload__read_ratio=0.7))
    assert value(writes, "wal_compression") == "lz4"
    reads = design(make_profile(engine="postgres16", workload__read_ratio=0.95))
    assert "wal_compression" not in {p.name for p in reads.parameters}
    assert "wal_compression" in {left.name for left in reads.left_at_default}


def test_io_capacity_from_iops(make_profile: Any) -> None:
    gp3 = design(make_profile())
    assert value(gp3, "innodb_io_capacity") == "1500"
    assert value(gp3, "innodb_io_capacity_max") == "3000"
    io2 = design(make_profile(storage__type="io2", storage__iops=20000, storage__size_gib=200))
    assert value(io2, "innodb_io_capacity") == "10000"
    maria_disk = design(make_profile(engine="mariadb10.11", storage__type="magnetic"))
    assert "innodb_flush_neighbors" not in maria_disk.values  # 1 is right for disks
    maria_ssd = design(make_profile(engine="mariadb10.11"))
    assert value(maria_ssd, "innodb_flush_neighbors") == "0"


def test_planner_costs_by_storage_type(make_profile: Any) -> None:
    ssd = design(make_profile(engine="postgres16"))
    # gp3 is IOPS-bound: a random page costs ~5 sequential ones on a miss; the default 4 stays
    assert "random_page_cost" not in ssd.values
    assert "random_page_cost" in {left.name for left in ssd.left_at_default}
    assert value(ssd, "effective_io_concurrency") == "200"
    assert value(ssd, "jit") == "0"
    disk = design(make_profile(engine="postgres16", storage__type="magnetic"))
    assert "random_page_cost" not in disk.values
    assert value(disk, "effective_io_concurrency") == "2"


def test_parallel_workers_for_analytics_only(make_profile: Any) -> None:
    olap = design(
        make_profile(engine="postgres17", instance_class="db.r7g.2xlarge", workload__kind="olap")
    )
    assert value(olap, "max_parallel_workers_per_gather") == "4"
    assert value(olap, "default_statistics_target") == "500"
    oltp = design(make_profile(engine="postgres17"))
    assert "max_parallel_workers_per_gather" not in oltp.values


# -- durability, observability, security, locale, autovacuum


def test_durability_strict_by_default_and_relaxed_names_the_risk(make_profile: Any) -> None:
    strict = design(make_profile())
    assert value(strict, "innodb_flush_log_at_trx_commit") == "1"
    assert value(strict, "sync_binlog") == "1"
    relaxed = design(make_profile(durability="relaxed"))
    assert value(relaxed, "innodb_flush_log_at_trx_commit") == "2"
    assert "RISK" in relaxed.parameter("innodb_flush_log_at_trx_commit").rationale
    pg = design(make_profile(engine="postgres16", durability="relaxed"))
    assert value(pg, "synchronous_commit") == "off"
    assert "RISK" in pg.parameter("synchronous_commit").rationale
    assert value(design(make_profile(engine="postgres16")), "synchronous_commit") == "on"


def test_group_commit_on_postgres_with_enough_concurrent_sessions(make_profile: Any) -> None:
    siblings = int(engine_facts("postgres16").params["commit_siblings"].engine_default or "")
    pg = design(make_profile(engine="postgres16"))
    assert value(pg, "commit_delay") == str(COMMIT_DELAY_US)
    rationale = pg.parameter("commit_delay").rationale
    assert "30 sessions at peak" in rationale
    assert f"at least {siblings} other" in rationale
    few = design(make_profile(engine="postgres16", connections__peak_concurrent=siblings))
    assert "commit_delay" not in {p.name for p in few.parameters}
    kept = {left.name: left.reason for left in few.left_at_default}
    assert "only add latency" in kept["commit_delay"]
    tight = design(make_profile(engine="postgres16", targets__p95_latency_ms=50))
    assert "commit_delay" not in {p.name for p in tight.parameters}
    # Relaxed durability does not wait for the flush, so there is nothing to group.
    relaxed = design(make_profile(engine="postgres16", durability="relaxed"))
    assert "commit_delay" not in {p.name for p in relaxed.parameters}
    assert "commit_delay" not in {p.name for p in design(make_profile()).parameters}


def test_binlog_group_commit_on_mysql_and_mariadb(make_profile: Any) -> None:
    mysql = design(make_profile(engine="mysql8.4"))
    assert value(mysql, "binlog_group_commit_sync_delay") == str(COMMIT_DELAY_US)
    count = str(BINLOG_GROUP_COMMIT_COUNT)
    assert value(mysql, "binlog_group_commit_sync_no_delay_count") == count
    rationale = mysql.parameter("binlog_group_commit_sync_delay").rationale
    assert "30 sessions at peak" in rationale
    assert "automated backups" in rationale
    mariadb = design(make_profile(engine="mariadb10.11"))
    assert value(mariadb, "binlog_commit_wait_usec") == str(COMMIT_DELAY_US)
    assert value(mariadb, "binlog_commit_wait_count") == count
    names = {p.name for p in mariadb.parameters}
    assert "binlog_group_commit_sync_delay" not in names
    few = design(make_profile(connections__peak_concurrent=BINLOG_GROUP_COMMIT_COUNT))
    assert "binlog_group_commit_sync_delay" not in {p.name for p in few.parameters}
    kept = {left.name: left.reason for left in few.left_at_default}
    assert "only add latency" in kept["binlog_group_commit_sync_delay"]
    tight = design(make_profile(targets__p95_latency_ms=50))
    assert "binlog_group_commit_sync_delay" not in {p.name for p in tight.parameters}
    # Relaxed durability syncs the binlog every 1000 groups, not at each commit.
    relaxed = design(make_profile(durability="relaxed"))
    assert "binlog_group_commit_sync_delay" not in {p.name for p in relaxed.parameters}
    postgres = {p.name for p in design(make_profile(engine="postgres16")).parameters}
    assert not {n for n in postgres if n.startswith("binlog")}


def test_slow_query_logging_from_the_latency_target(make_profile: Any) -> None:
    mysql = design(make_profile(targets__p95_latency_ms=500))
    assert value(mysql, "long_query_time") == "0.25"
    assert value(mysql, "slow_query_log") == "1"
    assert value(mysql, "log_output") == "FILE"
    assert value(mysql, "general_log") == "0"
    assert "every statement" in mysql.parameter("general_log").rationale
    pg = design(make_profile(engine="postgres16", targets__p95_latency_ms=500))
    assert value(pg, "log_min_duration_statement") == "250"
    assert value(pg, "shared_preload_libraries") == "pg_stat_statements"


def test_log_retention(make_profile: Any) -> None:
    pg = design(make_profile(engine="postgres16", log_retention_days=3))
    assert value(pg, "rds.log_retention_period") == "4320"
    long = design(make_profile(engine="postgres16", log_retention_days=30))
    assert value(long, "rds.log_retention_period") == "10080"
    assert any("7-day maximum" in note for note in long.notes)
    mysql = design(make_profile())
    assert any("CloudWatch log group" in note for note in mysql.notes)


@pytest.mark.parametrize(
    ("engine", "name"),
    [
        ("mysql8.0", "require_secure_transport"),
        ("mariadb10.11", "require_secure_transport"),
        ("postgres15", "rds.force_ssl"),
    ],
)
def test_tls_is_required(make_profile: Any, engine: str, name: str) -> None:
    assert value(design(make_profile(engine=engine)), name) == "1"


def test_utf8mb4_and_time_zone(make_profile: Any) -> None:
    mysql = design(make_profile())
    assert value(mysql, "character_set_server") == "utf8mb4"
    assert value(mysql, "collation_server") == "utf8mb4_0900_ai_ci"
    assert value(mysql, "time_zone") == "Asia/Tokyo"
    maria = design(make_profile(engine="mariadb10.11"))
    assert value(maria, "collation_server") == "utf8mb4_unicode_ci"
    pg = design(make_profile(engine="postgres16"))
    assert value(pg, "timezone") == "Asia/Tokyo"
    utc = design(make_profile(time_zone="UTC"))
    assert "time_zone" not in utc.values


def test_autovacuum_on_and_eager_for_writes(make_profile: Any) -> None:
    calm = design(make_profile(engine="postgres16"))
    assert value(calm, "autovacuum") == "1"
    assert "autovacuum_vacuum_scale_factor" not in calm.values
    busy = design(make_profile(engine="postgres16", workload__read_ratio=0.6))
    assert value(busy, "autovacuum_vacuum_scale_factor") == "0.05"
    assert value(busy, "autovacuum_vacuum_cost_limit") == "1000"
    # ANALYZE's sample costs the same whatever changed: the RDS default threshold stays.
    assert "autovacuum_analyze_scale_factor" not in busy.values
    assert "autovacuum_analyze_scale_factor" in {kept.name for kept in busy.left_at_default}


def test_mysql84_turns_dedicated_server_off(make_profile: Any) -> None:
    result = design(make_profile(engine="mysql8.4", engine_version=None))
    assert value(result, "innodb_dedicated_server") == "0"


def test_left_at_default_lists_reasons(make_profile: Any) -> None:
    result = design(make_profile(engine="postgres16"))
    kept = {k.name: k for k in result.left_at_default}
    assert "wal_buffers" in kept and kept["wal_buffers"].reason
    assert not set(kept) & set(result.values)
