"""The RDS support table: dates, the lifecycle setting, the warnings, template keys."""

from __future__ import annotations

import datetime as dt

import pytest

from dbtier import engine_lifecycle
from dbtier.engine_lifecycle import DISABLED, EXTENDED, SUPPORT, engine_key, support
from dbtier.params.profile import ENGINES


def test_every_profile_engine_has_a_row() -> None:
    assert set(SUPPORT) == set(ENGINES)


def test_only_an_engine_past_standard_support_enrolls_in_extended_support() -> None:
    today = dt.date(2026, 11, 30)
    for row in SUPPORT.values():
        if not row.extended_support:
            assert row.lifecycle is None  # MariaDB: RDS has no Extended Support
        elif row.past_standard_support(today):
            assert row.lifecycle == EXTENDED, row.engine
        else:
            assert row.lifecycle == DISABLED, row.engine
    assert support("mysql8.0").standard_support_ends == dt.date(2026, 7, 31)


def test_warnings_name_the_date_past_and_near() -> None:
    mysql80 = support("mysql8.0").warning(dt.date(2026, 11, 30))
    assert mysql80 is not None
    assert "MySQL 8.0 reached the end of RDS standard support on 2026-07-31" in mysql80
    assert "upgrade to engine mysql8.4" in mysql80
    assert support("mysql8.4").warning(dt.date(2026, 11, 30)) is None
    near = support("mysql8.4").warning(dt.date(2029, 3, 1))
    assert near is not None and "reaches the end of RDS standard support on 2029-07-31" in near
    assert engine_lifecycle.WARN_DAYS == 180


@pytest.mark.parametrize(
    ("engine", "version", "key"),
    [
        ("mysql", "8.0.43", "mysql8.0"),
        ("mysql", "8.4.10", "mysql8.4"),
        ("postgres", "17.9", "postgres17"),
        ("mariadb", "10.11.9", "mariadb10.11"),
        ("mysql", "5.7.44", None),
        ("oracle-ee", "19", None),
    ],
)
def test_template_engine_and_version_to_the_profile_key(
    engine: str, version: str, key: str | None
) -> None:
    assert engine_key(engine, version) == key


def test_an_unknown_engine_is_named() -> None:
    with pytest.raises(KeyError, match=r"no RDS support dates for engine 'mysql5\.7'"):
        support("mysql5.7")
