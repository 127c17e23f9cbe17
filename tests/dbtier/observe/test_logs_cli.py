"""`dbtier logs digest` on the command line: formats, --top/--sort, time range, usage errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.cli.logs import parse_moment
from dbtier.observe import parallel

runner = CliRunner()


def _digest(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["logs", "digest", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_is_a_list_of_classes_with_the_promised_fields(samples: Path) -> None:
    code, out, err = _digest(str(samples / "mariadb-slow.log"), "--format", "json", "--top", "3")
    assert code == 0, err
    classes = json.loads(out)
    assert len(classes) == 3
    for field in ("fingerprint", "count", "total_s", "avg_s", "p95_s", "max_s", "example"):
        assert field in classes[0]
    assert classes[0]["fingerprint"] == "insert into sbtest?(k, c, pad) values(?+)"
    assert [c["total_s"] for c in classes] == sorted((c["total_s"] for c in classes), reverse=True)
    assert "48 statements in 9 classes (3 shown)" in err
    assert "1 entry without Query_time" in err


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("count", "select c from sbtest? where id=?"),
        ("avg", "insert into sbtest?(k, c, pad) values(?+)"),
        ("p95", "insert into sbtest?(k, c, pad) values(?+)"),
    ],
)
def test_sort_orders(samples: Path, sort: str, first: str) -> None:
    code, out, _ = _digest(str(samples / "mariadb-slow.log"), "-f", "json", "--sort", sort)
    assert code == 0
    assert json.loads(out)[0]["fingerprint"] == first


def test_table_and_markdown(samples: Path) -> None:
    code, out, _ = _digest(str(samples / "mysql8-slow.log"))
    assert code == 0
    assert "Query classes" in out
    assert "administrator command: Quit" in out
    code, out, _ = _digest(str(samples / "postgres-rds.log"), "--format", "markdown", "--top", "2")
    assert code == 0
    assert out.startswith("| # | total s | share | count |")
    assert "`create database bench`" in out
    assert "not statements, not counted: 2 bind, 2 parse" in out


def test_since_until_on_the_command_line(samples: Path) -> None:
    code, out, err = _digest(
        str(samples / "mysql8-slow.log"),
        "-f",
        "json",
        "--since",
        "2026-11-30T02:00:02Z",
        "--until",
        "2026-11-30T02:00:04",
    )
    assert code == 0, err
    assert sum(c["count"] for c in json.loads(out)) == 2
    assert "5 statements outside --since/--until left out" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sort", "slowest"], "--sort: 'slowest' is not one of total, count, avg, p95"),
        (["--format", "html"], "--format: 'html' is not one of table, markdown, json"),
        (["--top", "-1"], "--top: -1 is negative"),
        (["--jobs", "-2"], "--jobs: -2 is negative"),
        (["--since", "yesterday"], "--since: 'yesterday' is neither an ISO 8601 time"),
        (["--since", "2026-11-30", "--until", "2026-11-29"], "is not before --until"),
        (["--input-format", "oracle"], "--input-format: 'oracle' is not one of"),
        (["--rds-log-file", "x"], "--rds-log-file needs --rds-instance"),
    ],
)
def test_usage_errors_exit_2(samples: Path, args: list[str], message: str) -> None:
    code, _, err = _digest(str(samples / "mysql8-slow.log"), *args)
    assert code == 2
    assert message in err


def test_missing_file_and_unknown_format_exit_2(tmp_path: Path) -> None:
    code, _, err = _digest(str(tmp_path / "nope.log"))
    assert code == 2
    assert "no such log file" in err
    odd = tmp_path / "odd.log"
    odd.write_text("hello\n")
    code, _, err = _digest(str(odd))
    assert code == 2
    assert "--input-format" in err
    code, _, err = _digest()
    assert code == 2
    assert "give log files" in err


def test_relative_ages() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert (
        parse_moment("--since", "90m", now)
        == datetime(2026, 11, 30, 10, 30, tzinfo=UTC).timestamp()
    )
    assert (
        parse_moment("--since", "2d", now) == datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp()
    )
    assert parse_moment("--since", None) is None


def test_jobs_give_the_same_json(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PART_MIN_BYTES", 512)  # cut the small sample as a large log
    log = str(samples / "mariadb-slow.log")
    one = _digest(log, "-f", "json", "--top", "0", "--jobs", "1")
    several = _digest(log, "-f", "json", "--top", "0", "--jobs", "3")
    default = _digest(log, "-f", "json", "--top", "0")
    assert one[0] == several[0] == default[0] == 0
    assert json.loads(several[1]) == json.loads(one[1]) == json.loads(default[1])
