"""`to_conf` output is accepted by real servers: postgres 15 and mariadbd 10.11.

`postgres -C NAME -D DIR` reads DIR/postgresql.conf, rejects unknown names and
invalid values, and prints the value it would run with; `mariadbd --verbose --help`
parses my.cnf, rejects unknown variables and warns when it adjusts a value out of
range. Neither starts a server.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dbtier.errors import DesignError
from dbtier.params import design, engine_default_values, pgtune, rds_default_values, to_conf
from dbtier.params.conf import fixed_offset
from dbtier.params.render import render

CLASSES = ("db.t4g.medium", "db.m7g.large", "db.r7g.2xlarge")


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/postgresql/15/bin")
    if found is None:
        pytest.skip(f"{name} is not installed on this machine")
    return found


def postgres_accepts(conf: str, tmp_path: Path, name: str = "shared_buffers") -> str:
    """The value postgres would run `name` with under `conf`; fails on any config error."""
    (tmp_path / "postgresql.conf").write_text(conf, encoding="utf-8")
    run = subprocess.run(
        [_binary("postgres"), "-C", name, "-D", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "invalid" not in run.stderr and "unrecognized" not in run.stderr, run.stderr
    return run.stdout.strip()


def mariadb_accepts(conf: str, tmp_path: Path) -> dict[str, str]:
    """mariadbd's effective variables under `conf`; fails on unknown or adjusted values."""
    path = tmp_path / "my.cnf"
    path.write_text(conf, encoding="utf-8")
    run = subprocess.run(
        [_binary("mariadbd"), f"--defaults-file={path}", "--verbose", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "[ERROR]" not in run.stderr and "adjusted" not in run.stderr, run.stderr
    variables: dict[str, str] = {}
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            variables[parts[0]] = parts[1]
    return variables


@pytest.mark.parametrize("instance_class", CLASSES)
def test_postgres_accepts_the_design(
    make_profile: Any, tmp_path: Path, instance_class: str
) -> None:
    result = design(make_profile(engine="postgres15", instance_class=instance_class))
    shown = postgres_accepts(to_conf("postgres15", result.values), tmp_path)
    assert shown == result.values["shared_buffers"]  # postgres -C prints 8kB pages


@pytest.mark.parametrize("instance_class", CLASSES)
def test_the_design_as_conf_asks_for_huge_pages_where_rds_maps_them(
    make_profile: Any, tmp_path: Path, instance_class: str
) -> None:
    """`dbtier params design -f conf`: above the medium classes RDS runs with huge pages,
    so the fragment turns them on (as `try`) and says what to reserve; below, not."""
    result = design(make_profile(engine="postgres15", instance_class=instance_class))
    conf = render(result, "conf")
    shown = postgres_accepts(conf, tmp_path, "huge_pages")
    if instance_class == "db.t4g.medium":
        assert "huge_pages" not in conf and shown == "try"  # the engine's default, unset
    else:
        assert "huge_pages = 'try'  # as on RDS" in conf and shown == "try"
        assert "shared_memory_size_in_huge_pages" in conf


@pytest.mark.parametrize("instance_class", CLASSES)
def test_postgres_accepts_rds_defaults(tmp_path: Path, instance_class: str) -> None:
    postgres_accepts(
        to_conf("postgres15", rds_default_values("postgres15", instance_class)), tmp_path
    )


@pytest.mark.parametrize("instance_class", CLASSES)
def test_postgres_accepts_pgtune(make_profile: Any, tmp_path: Path, instance_class: str) -> None:
    values = pgtune(make_profile(engine="postgres15", instance_class=instance_class))
    shown = postgres_accepts(to_conf("postgres15", values), tmp_path, "work_mem")
    assert shown == values["work_mem"]  # in kB


def test_postgres_accepts_engine_defaults(tmp_path: Path) -> None:
    postgres_accepts(to_conf("postgres15", engine_default_values("postgres15")), tmp_path)


def test_postgres_rejects_what_conf_must_never_write(tmp_path: Path) -> None:
    # The checker itself catches a bad unit, so the tests above prove something.
    (tmp_path / "postgresql.conf").write_text("shared_buffers = '1GBx'\n", encoding="utf-8")
    run = subprocess.run(
        [_binary("postgres"), "-C", "shared_buffers", "-D", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0


@pytest.mark.parametrize("instance_class", CLASSES)
def test_mariadb_accepts_the_design(make_profile: Any, tmp_path: Path, instance_class: str) -> None:
    result = design(make_profile(engine="mariadb10.11", instance_class=instance_class))
    shown = mariadb_accepts(to_conf("mariadb10.11", result.values), tmp_path)
    assert shown["innodb-buffer-pool-size"] == result.values["innodb_buffer_pool_size"]
    assert shown["max-connections"] == result.values["max_connections"]
    assert shown["innodb-log-file-size"] == result.values["innodb_log_file_size"]
    assert float(shown["long-query-time"]) == float(result.values["long_query_time"])


@pytest.mark.parametrize("instance_class", CLASSES)
def test_mariadb_accepts_rds_defaults(tmp_path: Path, instance_class: str) -> None:
    values = rds_default_values("mariadb10.11", instance_class)
    shown = mariadb_accepts(to_conf("mariadb10.11", values), tmp_path)
    # mariadbd rounds the pool down to whole MiB, as RDS does with its formula's value
    rounded = int(values["innodb_buffer_pool_size"]) // 2**20 * 2**20
    assert int(shown["innodb-buffer-pool-size"]) == rounded


def test_mariadb_accepts_engine_defaults(tmp_path: Path) -> None:
    mariadb_accepts(to_conf("mariadb10.11", engine_default_values("mariadb10.11")), tmp_path)


def test_mariadb_rejects_unknown_variables(tmp_path: Path) -> None:
    path = tmp_path / "my.cnf"
    path.write_text("[mysqld]\ninnodb_buffer_pool_sise = 1\n", encoding="utf-8")
    run = subprocess.run(
        [_binary("mariadbd"), f"--defaults-file={path}", "--verbose", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0


def test_conversions() -> None:
    conf = to_conf(
        "postgres16",
        {
            "shared_buffers": "131072",
            "work_mem": "5783",
            "log_min_duration_statement": "100",
            "jit": "0",
            "rds.force_ssl": "1",
            "huge_pages": "on",
            "autovacuum_work_mem": "-1",
        },
    )
    assert "shared_buffers = '1024MB'" in conf
    assert "work_mem = '5783kB'" in conf
    assert "log_min_duration_statement = '100ms'" in conf
    assert "jit = off" in conf
    assert "# rds.force_ssl = 1  # RDS only" in conf
    assert "huge_pages = 'try'" in conf
    assert "shared_memory_size_in_huge_pages" in conf  # what to reserve for 'try' to take them
    assert "autovacuum_work_mem = -1" in conf
    mysql = to_conf("mysql8.0", {"time_zone": "Asia/Tokyo", "require_secure_transport": "1"})
    assert "default_time_zone = '+09:00'  # Asia/Tokyo" in mysql
    assert "# require_secure_transport = on  # needs TLS" in mysql


def test_zones_with_daylight_saving_keep_their_name() -> None:
    assert fixed_offset("Asia/Tokyo") == "+09:00"
    assert fixed_offset("Asia/Kolkata") == "+05:30"
    assert fixed_offset("Europe/Berlin") is None
    assert "time-zone tables" in to_conf("mariadb10.11", {"time_zone": "Europe/Berlin"})


def test_unknown_names_are_refused() -> None:
    with pytest.raises(DesignError, match="not a known postgres15 parameter"):
        to_conf("postgres15", {"shared_bufers": "1"})
