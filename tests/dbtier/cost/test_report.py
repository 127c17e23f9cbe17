"""Cost Explorer reports, on botocore's Stubber (AWS is never reached)."""

from __future__ import annotations

from datetime import date
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.cost.report import get_cost_and_usage
from dbtier.errors import UsageError


def _page(groups: list[tuple[str, str]], token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-11-01", "End": "2026-12-01"},
                "Total": {},
                "Groups": [
                    {"Keys": [key], "Metrics": {"UnblendedCost": {"Amount": amt, "Unit": "USD"}}}
                    for key, amt in groups
                ],
                "Estimated": True,
            }
        ]
    }
    if token:
        page["NextPageToken"] = token
    return page


def _client() -> Any:
    return boto3.client(
        "ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_loops_on_next_page_token() -> None:
    client = _client()
    expected = {
        "TimePeriod": {"Start": "2026-11-01", "End": "2026-12-01"},
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    with Stubber(client) as stub:
        stub.add_response(
            "get_cost_and_usage", _page([("Amazon RDS", "12.5")], token="t1"), expected
        )
        stub.add_response(
            "get_cost_and_usage",
            _page([("AWS Fargate", "30.25")]),
            {**expected, "NextPageToken": "t1"},
        )
        rows = get_cost_and_usage(start=date(2026, 11, 1), end=date(2026, 12, 1), client=client)
        stub.assert_no_pending_responses()
    assert [(r.group, r.amount) for r in rows] == [("Amazon RDS", 12.5), ("AWS Fargate", 30.25)]
    assert all(r.estimated for r in rows)


def test_tag_groups_are_labelled() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "get_cost_and_usage", _page([("component$data", "5"), ("component$", "1")])
        )
        rows = get_cost_and_usage(
            start=date(2026, 11, 1),
            end=date(2026, 11, 2),
            granularity="daily",
            group_by="tag:component",
            client=client,
        )
    assert [r.group for r in rows] == ["component=data", "component=(untagged)"]


def test_service_errors_become_config_errors() -> None:
    from dbtier.errors import ConfigError

    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("get_cost_and_usage", "AccessDeniedException", "no ce access")
        with pytest.raises(ConfigError, match="ce:GetCostAndUsage"):
            get_cost_and_usage(start=date(2026, 11, 1), end=date(2026, 12, 1), client=client)


def test_bad_group_by_and_period_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="group-by"):
        get_cost_and_usage(start=date(2026, 1, 1), end=date(2026, 2, 1), group_by="region")
    with pytest.raises(UsageError, match="must be after"):
        get_cost_and_usage(start=date(2026, 2, 1), end=date(2026, 1, 1))


def test_cli_rejects_bad_flags_with_exit_2() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["cost", "report", "--granularity", "hourly"])
    assert result.exit_code == 2
    assert "granularity" in result.output
    result = runner.invoke(app, ["cost", "report", "--start", "2026-13-01"])
    assert result.exit_code == 2
    assert "--start" in result.output
