"""Cost Explorer's GetCostAndUsage, flattened to rows.

Cost Explorer is a global service (its endpoint is in us-east-1 whatever the
stack's region). boto3 has no paginator for GetCostAndUsage, so this loops on
NextPageToken itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from dbtier.errors import ConfigError, UsageError

Granularity = Literal["daily", "monthly"]
CE_REGION = "us-east-1"


@dataclass(frozen=True)
class CostRow:
    """One period and group's cost."""

    start: str
    end: str
    group: str
    amount: float
    unit: str
    estimated: bool


def parse_group_by(group_by: str) -> dict[str, str]:
    """`service` or `tag:KEY` → Cost Explorer's GroupBy entry."""
    if group_by == "service":
        return {"Type": "DIMENSION", "Key": "SERVICE"}
    if group_by.startswith("tag:") and len(group_by) > 4:
        return {"Type": "TAG", "Key": group_by[4:]}
    raise UsageError(f"--group-by {group_by!r}: use 'service' or 'tag:KEY'")


def _group_label(keys: list[str]) -> str:
    # TAG groups come back as "key$value"; an untagged cost has an empty value.
    label = " / ".join(keys)
    if "$" in label:
        key, _, value = label.partition("$")
        return f"{key}={value or '(untagged)'}"
    return label


def get_cost_and_usage(
    *,
    start: date,
    end: date,
    granularity: Granularity = "monthly",
    group_by: str = "service",
    metric: str = "UnblendedCost",
    client: Any = None,
) -> list[CostRow]:
    """All rows of GetCostAndUsage for [start, end), every page."""
    if end <= start:
        raise UsageError(f"--end {end} must be after --start {start} (the end is exclusive)")
    if client is None:
        import boto3

        client = boto3.client("ce", region_name=CE_REGION)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": granularity.upper(),
        "Metrics": [metric],
        "GroupBy": [parse_group_by(group_by)],
    }
    rows: list[CostRow] = []
    token: str | None = None
    from botocore.exceptions import BotoCoreError, ClientError

    while True:
        try:
            page = client.get_cost_and_usage(
                **request, **({"NextPageToken": token} if token else {})
            )
        except (BotoCoreError, ClientError) as exc:
            raise _call_failed(exc) from None
        rows.extend(_rows(page, metric))
        token = page.get("NextPageToken")
        if not token:
            return rows


def _rows(page: dict[str, Any], metric: str) -> list[CostRow]:
    rows = []
    for result in page.get("ResultsByTime", []):
        period = result["TimePeriod"]
        estimated = bool(result.get("Estimated", False))
        for group in result.get("Groups", []):
            value = group["Metrics"][metric]
            rows.append(
                CostRow(
                    start=period["Start"],
                    end=period["End"],
                    group=_group_label(group["Keys"]),
                    amount=float(value["Amount"]),
                    unit=value["Unit"],
                    estimated=estimated,
                )
            )
        total = result.get("Total", {}).get(metric)
        if not result.get("Groups") and total:
            rows.append(
                CostRow(
                    period["Start"],
                    period["End"],
                    "(total)",
                    float(total["Amount"]),
                    total["Unit"],
                    estimated,
                )
            )
    return rows


def _call_failed(exc: Exception) -> ConfigError:
    """No credentials, no permission, a throttle: say which and what to do."""
    return ConfigError(
        f"Cost Explorer GetCostAndUsage failed ({type(exc).__name__}: {exc}); "
        "check AWS credentials and the ce:GetCostAndUsage permission"
    )


__all__ = ["CostRow", "Granularity", "get_cost_and_usage", "parse_group_by"]
