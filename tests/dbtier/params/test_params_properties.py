"""Whatever the profile, a design is either safe and valid or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbtier.errors import DesignError
from dbtier.params import CATALOG, ENGINES, design, engine_facts, parse_profile


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    data_size = draw(st.floats(0, 2000))
    return {
        "name": "prop",
        "engine": draw(st.sampled_from(sorted(ENGINES))),
        "instance_class": draw(st.sampled_from(sorted(CATALOG))),
        "storage": {
            "type": draw(st.sampled_from(["gp2", "gp3", "magnetic"])),
            "size_gib": draw(st.integers(20, 4000)),
        },
        "connections": {
            "peak_concurrent": draw(st.integers(1, 3000)),
            "pool_size": draw(st.integers(1, 50)),
            "max_overflow": draw(st.integers(0, 50)),
            "tasks": draw(st.integers(1, 40)),
            "other_clients": draw(st.integers(0, 20)),
        },
        "workload": {
            "kind": draw(st.sampled_from(["oltp", "olap", "mixed"])),
            "read_ratio": draw(st.floats(0, 1)),
            "data_size_gib": data_size,
            "working_set_gib": draw(st.floats(0, 1)) * data_size,
            "largest_sort_mib": draw(st.floats(0, 4096)),
            "largest_join_mib": draw(st.floats(0, 4096)),
            "largest_temp_table_mib": draw(st.floats(0, 4096)),
        },
        "targets": {
            "p95_latency_ms": draw(st.floats(1, 60000)),
            "throughput_qps": draw(st.floats(0.1, 100000)),
        },
        "durability": draw(st.sampled_from(["strict", "relaxed"])),
        "time_zone": draw(st.sampled_from(["UTC", "Asia/Tokyo", "Europe/Berlin"])),
        "log_retention_days": draw(st.integers(1, 60)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_design_is_safe_and_valid_or_refused(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    try:
        result = design(profile)
    except DesignError as exc:
        assert "memory check failed" in str(exc)
        assert "max_connections" in str(exc)
        return
    assert result.memory.fraction <= 0.90
    facts = engine_facts(profile.engine)
    for parameter in result.parameters:
        facts.spec(parameter.name).check(parameter.value)
    assert result.max_connections >= profile.connections.peak_concurrent


def test_a_list_parameter_takes_its_empty_default_and_names_an_unknown_item() -> None:
    spec = engine_facts("postgres15").spec("shared_preload_libraries")
    assert spec.engine_default == ""
    spec.check("")  # no library preloaded: the engine's own default
    spec.check("pg_stat_statements, auto_explain")
    with pytest.raises(DesignError, match="pg_nonesuch not among"):
        spec.check("pg_stat_statements,pg_nonesuch")
