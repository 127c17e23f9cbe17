"""Context checks that fail before any construct exists (no synthesis needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.errors import ScheduleExpressionError, UsageError
from dbtier.infra.context import REPO_ROOT, parse_context
from dbtier.infra.synth import synthesize
from dbtier.schedule import Schedule

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]

BAD = "cron(0 25 * * ? *)"


def schedule_message(expression: str, timezone: str = "Asia/Tokyo") -> str:
    with pytest.raises(ScheduleExpressionError) as caught:
        Schedule(expression, timezone)
    return str(caught.value)


def test_invalid_schedule_fails_synthesis_with_the_schedule_message(tmp_path: Path) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        synthesize({"migration_schedule": BAD}, tmp_path / "out")
    assert str(caught.value) == schedule_message(BAD)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_invalid_time_zone_fails_synthesis(tmp_path: Path) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        synthesize({"migration_timezone": "Asia/Tokio"}, tmp_path / "out")
    assert str(caught.value) == schedule_message("cron(0 3 * * ? *)", "Asia/Tokio")


def test_cli_exits_2_with_the_schedule_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["infra", "synth", "--out", str(tmp_path), "-c", f"migration_schedule={BAD}"]
    )
    assert result.exit_code == 2
    assert schedule_message(BAD) in result.output


@pytest.mark.parametrize(
    ("context", "needle"),
    [
        ({"stag": "prod"}, "unknown key(s) stag"),
        ({"stage": "qa"}, "context stage: 'qa' is not one of dev, prod"),
        ({"engine": "oracle"}, "context engine"),
        ({"backup_retention_days": "0"}, "outside 1..35"),
        ({"backup_retention_days": "seven"}, "not a whole number"),
        ({"certificate_arn": "arn:aws:iam::1:x"}, "not an ACM certificate ARN"),
        ({"workload_profile": "nope.yaml"}, "nope.yaml is not a file"),
        ({"anomaly_monitor": "service"}, "context anomaly_monitor: 'service' is neither"),
        (
            {"anomaly_monitor": "arn:aws:ce::123456789012:anomalysubscription/x"},
            "anomaly_monitor: 'arn:aws:ce::123456789012:anomalysubscription/x' is neither",
        ),
        ({"engine": "postgres", "workload_profile": "examples/workloads/nippo.yaml"}, ""),
    ],
)
def test_bad_context_names_the_key(context: dict[str, str], needle: str) -> None:
    if needle == "":
        # A MySQL profile with engine=postgres is caught by the parameter design step.
        from dbtier.infra.parameter_group import spec_from_profile

        checked = parse_context(context)
        with pytest.raises(UsageError, match="context engine=postgres but workload profile"):
            spec_from_profile(checked.workload_profile, engine=checked.engine)
        return
    with pytest.raises(UsageError) as caught:
        parse_context(context)
    assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("given", "chosen"),
    [
        (None, "custom"),
        ("CUSTOM", "custom"),
        ("none", "none"),
        (
            "arn:aws:ce::123456789012:anomalymonitor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "arn:aws:ce::123456789012:anomalymonitor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        ),
    ],
)
def test_anomaly_monitor_choices(given: str | None, chosen: str) -> None:
    context = {} if given is None else {"anomaly_monitor": given}
    assert parse_context(context).anomaly_monitor == chosen


def test_cli_rejects_a_pair_without_equals() -> None:
    result = CliRunner().invoke(app, ["infra", "synth", "-c", "stage"])
    assert result.exit_code == 2
    assert "expected key=value" in result.output


def test_profile_resolves_from_the_repo_root_and_from_infra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT / "infra")
    assert parse_context({}).workload_profile == REPO_ROOT / "examples/workloads/nippo.yaml"
    monkeypatch.chdir(REPO_ROOT)
    pg = parse_context({"engine": "postgres"}).workload_profile
    assert pg == REPO_ROOT / "examples/workloads/nippo-postgres.yaml"
