"""Profiles for the params tests: the reference service's own, and variations of it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from dbtier.params import WorkloadProfile, parse_profile

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workloads"


def nippo_data() -> dict[str, Any]:
    """The reference service's profile as a mapping."""
    data = yaml.safe_load((EXAMPLES / "nippo.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def make_profile(**changes: Any) -> WorkloadProfile:
    """nippo.yaml with `changes` applied; nested fields as `section__field=value`."""
    data = copy.deepcopy(nippo_data())
    for key, value in changes.items():
        if "__" in key:
            section, field = key.split("__", 1)
            data[section][field] = value
        else:
            data[key] = value
    if "engine" in changes and "engine_version" not in changes:
        data.pop("engine_version", None)
    return parse_profile(data)


@pytest.fixture
def nippo() -> WorkloadProfile:
    return make_profile()


@pytest.fixture(name="make_profile")
def make_profile_fixture() -> Any:
    """The `make_profile` helper, for tests that vary the reference profile."""
    return make_profile


@pytest.fixture(name="nippo_data")
def nippo_data_fixture() -> dict[str, Any]:
    return nippo_data()
