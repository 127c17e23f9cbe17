"""The CDK app's context (`-c key=value`), parsed and checked before any construct exists.

Every knob the stack has is here, with its default, so a bad value fails in one
place with a message naming the key, the value and what to do, before a
twelve-second synthesis starts. The migration schedule is checked with
`dbtier.schedule`, the same engine the local scheduler and the launcher use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from dbtier.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[3]
"""The repository checkout this package runs from (Dockerfile, examples/, infra/)."""

DEFAULT_PROFILES = {
    "mysql": "examples/workloads/nippo.yaml",
    "postgres": "examples/workloads/nippo-postgres.yaml",
}

DEFAULT_WAF_RATE_LIMIT = 2000
"""Requests per client IP per five minutes before the WAF rate-based rule blocks."""

KNOWN_KEYS: dict[str, str] = {
    "region": "AWS region of the stack [ap-northeast-1]",
    "stage": "dev or prod (prod: Multi-AZ, deletion protection, two NAT gateways) [dev]",
    "engine": "mysql or postgres [mysql]",
    "certificate_arn": "ACM certificate ARN; HTTPS listener plus HTTP redirect when given",
    "backup_retention_days": "RDS automated backup retention, 1-35 days [7]",
    "workload_profile": "workload profile YAML for the parameter group [examples/workloads/...]",
    "migration_schedule": "EventBridge Scheduler expression [cron(0 3 * * ? *)]",
    "migration_timezone": "IANA time zone of the schedule [Asia/Tokyo]",
    "monthly_budget_usd": "AWS Budgets monthly limit in USD [200]",
    "anomaly_threshold_usd": "Cost Anomaly Detection alert threshold in USD [20]",
    "anomaly_monitor": "custom (a monitor on this stack's cost-center tag), none, or the ARN "
    "of an existing anomaly monitor to subscribe to [custom]",
    "snapshot_before_migration": "true or false: the migration task takes a manual RDS snapshot "
    "when something is pending, before migrating [true in prod, false in dev]",
    "waf": "true or false: an AWS WAF web ACL (managed rules + per-IP rate limit) on the ALB "
    "[false]",
    "waf_rate_limit": "requests per client IP per 5 minutes before WAF blocks "
    f"[{DEFAULT_WAF_RATE_LIMIT}]",
    "alarm_email": "e-mail address subscribed to the alarm topic (optional)",
    "owner": "value of the `owner` cost allocation tag [platform]",
    "project": "value of the `project` tag and prefix of names [dbtier]",
}
# Keys the CDK CLI and cdk.json put into context on their own.
_FOREIGN = re.compile(r"^(@|aws:|cdk|acknowledged-issue-numbers$|assetBundling|bundlingStacks)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CERT = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
_MONITOR_ARN = re.compile(r"^arn:aws[a-z-]*:ce::\d{12}:anomalymonitor/[0-9a-f-]{36}$")
ANOMALY_MONITOR_CHOICES = ("custom", "none")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True, kw_only=True)
class InfraContext:
    """The checked context of one synthesis."""

    region: str = "ap-northeast-1"
    stage: Literal["dev", "prod"] = "dev"
    engine: Literal["mysql", "postgres"] = "mysql"
    certificate_arn: str | None = None
    backup_retention_days: int = 7
    workload_profile: Path
    migration_schedule: str = "cron(0 3 * * ? *)"
    migration_timezone: str = "Asia/Tokyo"
    monthly_budget_usd: int = 200
    anomaly_threshold_usd: int = 20
    anomaly_monitor: str = "custom"
    snapshot_before_migration: bool = False
    waf: bool = False
    waf_rate_limit: int = DEFAULT_WAF_RATE_LIMIT
    alarm_email: str | None = None
    owner: str = "platform"
    project: str = "dbtier"

    @property
    def is_prod(self) -> bool:
        """Whether the stage gets Multi-AZ, deletion protection and redundant NAT."""
        return self.stage == "prod"

    @property
    def name(self) -> str:
        """`project-stage`: the stack name and the prefix of physical names."""
        return f"{self.project}-{self.stage}"


def parse_context(mapping: Mapping[str, object]) -> InfraContext:
    """Check every known key of `mapping`; unknown keys (typos) are an error."""
    raw = {k: str(v) for k, v in mapping.items() if not _FOREIGN.match(k) and v is not None}
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        known = ", ".join(sorted(KNOWN_KEYS))
        raise UsageError(f"context: unknown key(s) {', '.join(unknown)}; known keys: {known}")
    engine = _choice(raw, "engine", ("mysql", "postgres"), "mysql")
    stage = _choice(raw, "stage", ("dev", "prod"), "dev")
    ctx = InfraContext(
        region=_match(raw, "region", _REGION, "ap-northeast-1", "a region like ap-northeast-1"),
        stage=cast("Literal['dev', 'prod']", _choice(raw, "stage", ("dev", "prod"), "dev")),
        engine=cast("Literal['mysql', 'postgres']", engine),
        certificate_arn=_optional(raw, "certificate_arn", _CERT, "an ACM certificate ARN"),
        backup_retention_days=_integer(raw, "backup_retention_days", 7, 1, 35),
        workload_profile=resolve_profile(raw.get("workload_profile") or DEFAULT_PROFILES[engine]),
        migration_schedule=raw.get("migration_schedule", "cron(0 3 * * ? *)"),
        migration_timezone=raw.get("migration_timezone", "Asia/Tokyo"),
        monthly_budget_usd=_integer(raw, "monthly_budget_usd", 200, 1, 1_000_000),
        anomaly_threshold_usd=_integer(raw, "anomaly_threshold_usd", 20, 1, 1_000_000),
        anomaly_monitor=_anomaly_monitor(raw),
        snapshot_before_migration=_boolean(
            raw, "snapshot_before_migration", default=stage == "prod"
        ),
        waf=_boolean(raw, "waf", default=False),
        waf_rate_limit=_integer(raw, "waf_rate_limit", DEFAULT_WAF_RATE_LIMIT, 10, 2_000_000_000),
        alarm_email=_optional(raw, "alarm_email", _EMAIL, "an e-mail address"),
        owner=_match(raw, "owner", _NAME, "platform", "lowercase letters, digits and -"),
        project=_match(raw, "project", _NAME, "dbtier", "lowercase letters, digits and -"),
    )
    check_schedule(ctx.migration_schedule, ctx.migration_timezone)
    return ctx


def check_schedule(expression: str, timezone: str) -> None:
    """Raise `dbtier.schedule`'s own error when the scheduler would reject the schedule."""
    from dbtier.schedule import Schedule

    Schedule(expression, timezone)


def resolve_profile(value: str) -> Path:
    """A profile path as given, else relative to the repository (so infra/ works too)."""
    path = Path(value).expanduser()
    for candidate in (path, REPO_ROOT / path):
        if candidate.is_file():
            return candidate.resolve()
    raise UsageError(
        f"context workload_profile: {value} is not a file (looked in {Path.cwd()} and "
        f"{REPO_ROOT}); pass -c workload_profile=PATH to a workload profile YAML"
    )


def _anomaly_monitor(raw: dict[str, str]) -> str:
    """custom, none, or an existing monitor's ARN (AWS allows one DIMENSIONAL/SERVICE each)."""
    value = raw.get("anomaly_monitor", "custom").strip()
    if value.lower() in ANOMALY_MONITOR_CHOICES:
        return value.lower()
    if _MONITOR_ARN.match(value):
        return value
    raise UsageError(
        f"context anomaly_monitor: {value!r} is neither custom, none, nor an anomaly monitor "
        "ARN like arn:aws:ce::123456789012:anomalymonitor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 "
        "(`aws ce get-anomaly-monitors` lists yours)"
    )


def _choice(raw: dict[str, str], key: str, choices: tuple[str, ...], default: str) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise UsageError(f"context {key}: {value!r} is not one of {', '.join(choices)}")
    return value


def _boolean(raw: dict[str, str], key: str, *, default: bool) -> bool:
    value = raw.get(key, str(default)).strip().lower()
    if value not in ("true", "false"):
        raise UsageError(f"context {key}: {raw[key]!r} is not true or false")
    return value == "true"


def _integer(raw: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    text = raw.get(key, str(default))
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"context {key}: {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise UsageError(f"context {key}: {value} is outside {low}..{high}")
    return value


def _match(raw: dict[str, str], key: str, pattern: re.Pattern[str], default: str, what: str) -> str:
    value = raw.get(key, default)
    if not pattern.match(value):
        raise UsageError(f"context {key}: {value!r} is not {what}")
    return value


def _optional(raw: dict[str, str], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = raw.get(key) or None
    if value is not None and not pattern.match(value):
        raise UsageError(f"context {key}: {value!r} is not {what}")
    return value


__all__ = [
    "ANOMALY_MONITOR_CHOICES",
    "DEFAULT_PROFILES",
    "DEFAULT_WAF_RATE_LIMIT",
    "KNOWN_KEYS",
    "REPO_ROOT",
    "InfraContext",
    "parse_context",
]
