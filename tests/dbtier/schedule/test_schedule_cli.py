"""`dbtier schedule next` and `dbtier schedule run`: output, exit codes, and the launcher call."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import dbtier.launch.local
from dbtier.cli import app
from dbtier.launch.local import LaunchOutcome

runner = CliRunner()


def test_next_prints_iso_times_with_offsets() -> None:
    result = runner.invoke(
        app, ["schedule", "next", "cron(0 9 ? * 2#1 *)", "--after", "2026-11-27T00:00", "-n", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-12-07T09:00:00+09:00",
        "2027-01-04T09:00:00+09:00",
        "2027-02-01T09:00:00+09:00",
    ]


def test_next_json_in_a_time_zone_across_spring_forward() -> None:
    args = ["schedule", "next", "cron(30 2 * * ? *)", "--timezone", "America/New_York"]
    result = runner.invoke(app, [*args, "--after", "2026-03-07T00:00", "-n", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ["2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00"]


def test_next_after_with_an_offset_is_that_instant() -> None:
    args = ["schedule", "next", "rate(1 hour)", "--tz", "UTC", "--after", "2026-11-27T09:30+09:00"]
    result = runner.invoke(app, [*args, "-n", "1", "--json"])
    assert json.loads(result.stdout) == ["2026-11-27T01:00:00+00:00"]


def test_next_of_a_finished_one_time_schedule_says_so() -> None:
    result = runner.invoke(app, ["schedule", "next", "at(2020-01-01T00:00:00)", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cron(0 9 ? * 8 *)"], "cron day-of-week field '8': value out of range 1-7 (SUN-SAT)"),
        (["cron(0 9 * * MON *)"], "exactly one of them must be '?'"),
        (["rate(1 minutes)"], "write rate(1 minute)"),
        (["at(2026-11-20)"], "at(yyyy-mm-ddThh:mm:ss)"),
        (["rate(5 minutes)", "--timezone", "Tokyo"], "time zone 'Tokyo'"),
        (["rate(5 minutes)", "--after", "tomorrow"], "--after 'tomorrow'"),
    ],
)
def test_next_rejects_bad_input_with_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["schedule", "next", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_next_rejects_a_bad_count() -> None:
    result = runner.invoke(app, ["schedule", "next", "rate(5 minutes)", "-n", "0"])
    assert result.exit_code == 2


def test_run_rejects_a_bad_expression_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(**_: Any) -> LaunchOutcome:
        raise AssertionError("launched with an invalid schedule")

    monkeypatch.setattr(dbtier.launch.local, "launch_locally", must_not_run)
    args = ["schedule", "run", "--schedule", "cron(0 9 * * * *)", "--data-dir", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "exactly one of them must be '?'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_run_calls_the_local_launcher_at_each_fire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def launch_locally(**kwargs: Any) -> LaunchOutcome:
        calls.append(kwargs)
        return LaunchOutcome("started", "local/1", 0, "trigger", kwargs["execution_id"])

    monkeypatch.setattr(dbtier.launch.local, "launch_locally", launch_locally)
    args = ["schedule", "run", "--schedule", "cron(0 3 * * ? *)", "--timezone", "Asia/Tokyo"]
    args += ["--data-dir", str(tmp_path), "--fire-immediately", "--max-fires", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    [call] = calls
    assert call["schedule_name"] == "dbtier-migrations"
    assert isinstance(call["scheduled_time"], datetime)
    offset = call["scheduled_time"].utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 9 * 3600
    assert call["settings"].data_dir == tmp_path
    assert call["execution_id"]


@pytest.mark.slow
def test_run_fires_through_the_handler_and_local_launcher_to_the_job(tmp_path: Path) -> None:
    """scheduler → launcher.handler → launcher.local → `dbtier migrate run`, on SQLite."""
    args = ["schedule", "run", "--schedule", "rate(1 day)", "--data-dir", str(tmp_path)]
    result = runner.invoke(app, [*args, "--fire-immediately", "--max-fires", "1"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    events = [(line.get("component"), line["event"]) for line in lines]
    assert ("scheduler", "scheduler.fire") in events
    assert ("launcher.local", "job.exited") in events
    [fired] = [line for line in lines if line["event"] == "scheduler.fired"]
    assert fired["status"] == "started"
    assert fired["exit_code"] == 0
    assert (tmp_path / "dbtier.sqlite3").exists()
