"""Workload profiles: the examples load, invalid ones name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbtier.errors import ProfileError
from dbtier.params import CATALOG, instance_class, load_profile, parse_profile

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_loads(path: Path) -> None:
    profile = load_profile(path)
    assert profile.name == path.stem


def test_reference_service_profile(nippo_data: dict[str, Any]) -> None:
    profile = parse_profile(nippo_data)
    assert (profile.engine, profile.instance_class) == ("mysql8.4", "db.t4g.medium")
    assert profile.durability == "strict"
    assert load_profile(EXAMPLES / "nippo-postgres.yaml").engine == "postgres17"


def test_durability_is_strict_by_default(nippo_data: dict[str, Any]) -> None:
    del nippo_data["durability"]
    assert parse_profile(nippo_data).durability == "strict"


def test_application_connections_count_deploy_overlap(make_profile: Any) -> None:
    profile = make_profile(connections__tasks=3, connections__deploy_max_percent=150)
    # ceil(3 × 1.5) = 5 tasks × (5 + 5)
    assert profile.connections.application_connections == 50


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"workload": {"unknown_knob": 1}}, "workload.unknown_knob", "unknown field"),
        ({"shared_buffers": "1GB"}, "shared_buffers", "unknown field"),
        ({"workload": {"data_size_gib": -1}}, "workload.data_size_gib", "greater than or equal"),
        ({"instance_class": "db.t4g.mediun"}, "instance_class", "db.t4g.medium"),
        ({"engine": "mysql80"}, "engine", "did you mean 'mysql8.0'"),
        ({"engine": "postgress16"}, "engine", "did you mean 'postgres16'"),
        ({"time_zone": "Asia/Tokio"}, "time_zone", "Asia/Tokyo"),
        ({"storage": {"type": "gp2", "iops": 3000}}, "storage", "do not take provisioned IOPS"),
        ({"storage": {"type": "io2"}}, "storage", "need provisioned IOPS"),
        ({"workload": {"working_set_gib": 5}}, "workload", "exceeds data_size_gib"),
        ({"engine_version": "5.7.44"}, "engine_version", "not a mysql8.4 version"),
        ({"character_set": "latin1"}, "character_set", "utf8mb4"),
        ({"connections": {"pool_size": 0}}, "connections.pool_size", "greater than or equal"),
        (
            {"connections": {"tasks": {"dev": {"min": 3, "max": 2}, "prod": {"min": 1, "max": 2}}}},
            "connections.tasks",
            "min 3 is above max 2",
        ),
        (
            {"connections": {"tasks": {"dev": {"min": 1, "max": 2}}}},
            "connections.tasks",
            "prod",
        ),
        ({"connections": {"tasks": 0}}, "connections.tasks", "outside 1..1000"),
        ({"connections": {"rotation": -1}}, "connections.rotation", "greater than or equal"),
    ],
)
def test_invalid_profiles_name_the_field(
    nippo_data: dict[str, Any], change: dict[str, Any], field: str, words: str
) -> None:
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(nippo_data.get(key), dict):
            nippo_data[key] = {**nippo_data[key], **value}
        else:
            nippo_data[key] = value
    with pytest.raises(ProfileError) as caught:
        parse_profile(nippo_data, source="p.yaml")
    message = str(caught.value)
    assert message.startswith("p.yaml: ")
    assert field in message
    assert words in message


def test_the_budget_per_stage(nippo_data: dict[str, Any]) -> None:
    connections = parse_profile(nippo_data).connections
    prod, dev = connections.budget("prod"), connections.budget("dev")
    assert (prod.tasks.min, prod.tasks.max, prod.tasks_during_deploy) == (2, 6, 12)
    assert (dev.tasks.min, dev.tasks.max, dev.tasks_during_deploy) == (1, 2, 4)
    assert prod.total == 10 * 12 + 1 + 3 + 3 == 127
    assert connections.budget().total == prod.total  # unstaged: the largest maximum
    assert dev.total == 10 * 4 + 7
    with pytest.raises(ProfileError, match="no stage 'qa'"):
        connections.budget("qa")


def test_missing_field_is_named(nippo_data: dict[str, Any]) -> None:
    del nippo_data["targets"]
    with pytest.raises(ProfileError, match="targets: required field is missing"):
        parse_profile(nippo_data)


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nengine: [mysql8.0\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML at line"):
        load_profile(path)


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "absent.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="YAML mapping"):
        load_profile(path)


def test_catalog_covers_the_families() -> None:
    for family in ("t3", "t4g", "m5", "m6g", "m6i", "m7g", "r5", "r6g", "r6i", "r7g"):
        assert any(name.startswith(f"db.{family}.") for name in CATALOG), family
    assert (instance_class("db.r7g.2xlarge").vcpu, instance_class("db.r7g.2xlarge").memory_gib) == (
        8,
        64,
    )
    assert instance_class("db.m7g.large").memory_gib == 8
    assert instance_class("db.t4g.micro").memory_gib == 1
