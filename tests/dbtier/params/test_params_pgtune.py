"""PGTune re-implemented: its published sample, its branches, and its mapping from a profile."""

from __future__ import annotations

from typing import Any

import pytest

from dbtier.errors import UsageError
from dbtier.params import pgtune
from dbtier.params.pgtune import PgtuneInputs, pgtune_inputs, pgtune_values

GB_KB = 1024 * 1024


def inputs(**changes: Any) -> PgtuneInputs:
    base: dict[str, Any] = {
        "db_version": 16,
        "total_memory_kb": 16 * GB_KB,
        "cpus": 2,
        "connections": None,
        "hd_type": "ssd",
        "db_type": "web",
        "db_size": "mid_ram",
    }
    return PgtuneInputs(**{**base, **changes})


def test_published_sample_r6g_large_web_ssd() -> None:
    # research/params.md: SB 4096 MB, ECS 12288 MB, MWM 1024 MB, work_mem 20164 kB,
    # wal_buffers 16 MB, huge_pages try.
    out = pgtune_values(inputs())
    assert out["shared_buffers"] == str(4096 * 1024 // 8)
    assert out["effective_cache_size"] == str(12288 * 1024 // 8)
    assert out["maintenance_work_mem"] == str(1024 * 1024)
    assert out["work_mem"] == "20164"
    assert out["wal_buffers"] == str(16 * 1024 // 8)
    assert out["huge_pages"] == "try"
    assert out["max_connections"] == "200"
    assert (out["min_wal_size"], out["max_wal_size"]) == ("1024", "4096")
    assert out["jit"] == "0"
    assert out["wal_compression"] == "lz4"
    assert "max_worker_processes" not in out  # fewer than 4 CPUs


def test_database_size_scales_work_mem_and_costs() -> None:
    mid = int(pgtune_values(inputs())["work_mem"])
    assert int(pgtune_values(inputs(db_size="less_ram"))["work_mem"]) == int(mid * 1.3)
    assert int(pgtune_values(inputs(db_size="greater_ram"))["work_mem"]) == int(mid * 0.9)
    assert pgtune_values(inputs(db_type="dw"))["random_page_cost"] == "4"
    assert pgtune_values(inputs(db_type="dw", db_size="less_ram"))["random_page_cost"] == "1.1"
    assert pgtune_values(inputs(hd_type="hdd"))["random_page_cost"] == "4"


def test_parallel_settings_from_four_cpus() -> None:
    out = pgtune_values(inputs(cpus=16, db_type="oltp"))
    assert out["max_worker_processes"] == "16"
    assert out["max_parallel_workers_per_gather"] == "4"
    assert out["max_parallel_maintenance_workers"] == "4"
    assert out["autovacuum_max_workers"] == "4"
    dw = pgtune_values(inputs(cpus=16, db_type="dw"))
    assert dw["max_parallel_workers_per_gather"] == "8"
    assert "jit" not in dw


def test_floors_and_caps() -> None:
    tiny = pgtune_values(inputs(total_memory_kb=GB_KB, connections=500))
    assert tiny["work_mem"] == str(4 * 1024)  # 4 MB floor
    big = pgtune_values(inputs(total_memory_kb=256 * GB_KB, db_type="dw"))
    assert big["maintenance_work_mem"] == str(8 * GB_KB)  # 8 GB cap
    assert big["autovacuum_work_mem"] == str(2 * GB_KB)
    small_sb = pgtune_values(inputs(total_memory_kb=512 * 1024))
    assert small_sb["huge_pages"] == "off"


def test_profile_maps_to_the_form(make_profile: Any) -> None:
    profile = make_profile(engine="postgres16")
    form = pgtune_inputs(profile)
    assert form.total_memory_kb == 4 * GB_KB  # nominal memory, as a person types it
    assert form.cpus == 2
    assert form.db_type == "oltp"
    assert form.db_size == "less_ram"
    assert form.connections == 158  # the same connection count dbtier designs for
    assert pgtune(profile)["max_connections"] == "158"
    olap = pgtune_inputs(
        make_profile(engine="postgres17", workload__kind="olap", workload__data_size_gib=100)
    )
    assert (olap.db_type, olap.db_size, olap.db_version) == ("dw", "greater_ram", 17)


def test_pgtune_is_postgres_only(make_profile: Any) -> None:
    with pytest.raises(UsageError, match="PGTune covers PostgreSQL only"):
        pgtune(make_profile())
