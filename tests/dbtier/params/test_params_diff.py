"""`diff`: what the design changes against RDS defaults, engine defaults and PGTune."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dbtier.errors import UsageError
from dbtier.params import design, diff, render_diff


def test_against_rds_default(make_profile: Any) -> None:
    # MySQL 8.0's RDS default buffer pool is 3/4 of memory; 8.4's is half on this class
    result = design(make_profile(engine="mysql8.0"))
    changes = {c.name: c for c in diff(result, "rds-default")}
    pool = changes["innodb_buffer_pool_size"]
    assert pool.change == "lower"  # the design leaves room for the connections
    assert changes["max_connections"].change == "lower"
    assert changes["slow_query_log"].baseline == "0"
    assert changes["slow_query_log"].change == "raise"
    assert changes["log_output"].baseline == "TABLE"
    assert changes["sync_binlog"].change == "same"
    assert changes["max_connections"].reason == result.parameter("max_connections").rationale


def test_against_engine_default(make_profile: Any) -> None:
    result = design(make_profile(engine="mariadb10.11"))
    changes = {c.name: c for c in diff(result, "engine-default")}
    assert changes["innodb_buffer_pool_size"].baseline == str(128 * 2**20)
    assert changes["innodb_buffer_pool_size"].change == "raise"
    assert changes["character_set_server"].baseline == "latin1"


def test_against_pgtune_lists_what_pgtune_sets_and_dbtier_leaves(make_profile: Any) -> None:
    result = design(make_profile(engine="postgres16"))
    changes = {c.name: c for c in diff(result, "pgtune")}
    assert changes["wal_buffers"].change == "baseline only"
    assert changes["wal_buffers"].reason.startswith("auto-sized")
    assert changes["max_connections"].change == "same"


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_render_diff(make_profile: Any, fmt: str) -> None:
    result = design(make_profile(engine="postgres16"))
    text = render_diff(result, "pgtune", diff(result, "pgtune"), fmt)
    assert "shared_buffers" in text
    if fmt == "json":
        assert json.loads(text)["against"] == "pgtune"


def test_unknown_baseline(make_profile: Any) -> None:
    with pytest.raises(UsageError, match="--against"):
        diff(design(make_profile()), "mysqltuner")
