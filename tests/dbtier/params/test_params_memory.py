"""The memory-safety check: worst case against DBInstanceClassMemory."""

from __future__ import annotations

from typing import Any

import pytest

from dbtier.errors import DesignError
from dbtier.params import design, engine_facts, instance_class, memory_budget
from dbtier.params.defaults import rds_variables
from dbtier.params.memory import check_memory

MiB = 1024 * 1024


@pytest.mark.parametrize("engine", ["mysql8.0", "mariadb10.11", "postgres16"])
def test_two_thousand_connections_on_a_micro_are_refused(make_profile: Any, engine: str) -> None:
    profile = make_profile(
        engine=engine,
        instance_class="db.t4g.micro",
        connections__pool_size=1000,
        connections__max_overflow=0,
        connections__tasks=2,
        connections__deploy_max_percent=100,
        connections__other_clients=0,
        connections__peak_concurrent=2000,
    )
    with pytest.raises(DesignError) as caught:
        design(profile)
    message = str(caught.value)
    assert "db.t4g.micro" in message
    assert "max_connections 24" in message  # 2000 × 1.2 + reserved
    buffers = ("sort_buffer_size", "join_buffer_size") if engine != "postgres16" else ("work_mem",)
    for name in buffers:
        assert name in message
    assert "innodb_buffer_pool_size" in message or "shared_buffers" in message
    assert "limit 90%" in message


def test_budget_itemises_global_and_per_connection() -> None:
    facts = engine_facts("mysql8.0")
    micro = instance_class("db.t4g.micro")
    variables = rds_variables("mysql8.0", "db.t4g.micro")
    values = {
        "max_connections": "10",
        "innodb_buffer_pool_size": str(256 * MiB),
        "sort_buffer_size": str(MiB),
        # the 1 GiB TempTable default alone exceeds a micro's class memory
        "temptable_max_ram": str(64 * MiB),
    }
    budget = memory_budget(facts, micro, values, variables)
    assert budget.global_items["innodb_buffer_pool_size"] == 256 * MiB
    assert budget.per_connection_items["sort_buffer_size"] == MiB
    expected = budget.global_bytes + 10 * budget.per_connection_bytes
    assert budget.worst_case_bytes == expected
    assert budget.ok
    check_memory(budget)


def test_rds_defaults_themselves_are_counted_when_unset() -> None:
    facts = engine_facts("postgres16")
    medium = instance_class("db.t4g.medium")
    variables = rds_variables("postgres16", "db.t4g.medium")
    budget = memory_budget(facts, medium, {}, variables)
    # shared_buffers = {DBInstanceClassMemory/32768} pages = a quarter of class memory
    assert abs(budget.global_items["shared_buffers"] - medium.class_memory_bytes / 4) < 8192
    assert budget.autovacuum_workers == 3
    assert budget.per_connection_items["work_mem"] == 2 * 4 * MiB  # × hash_mem_multiplier


def test_over_limit_names_the_parameters() -> None:
    facts = engine_facts("mysql8.0")
    micro = instance_class("db.t4g.micro")
    variables = rds_variables("mysql8.0", "db.t4g.micro")
    budget = memory_budget(
        facts, micro, {"innodb_buffer_pool_size": str(micro.class_memory_bytes)}, variables
    )
    assert not budget.ok
    with pytest.raises(DesignError, match="innodb_buffer_pool_size"):
        check_memory(budget)
