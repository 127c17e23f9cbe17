"""What RDS can report about the instance, as tables of facts: insights, OS metrics, CPU credits.

- Performance Insights / CloudWatch Database Insights (standard mode, 7 days of
  history, the free tier) is switched on wherever the engine supports the
  instance class. RDS for MySQL and MariaDB refuse it on the smallest burstable
  classes (AWS: "Amazon RDS DB engine, Region, and instance class support for
  Database Insights"); RDS for PostgreSQL has no class restriction.
- Enhanced Monitoring (OS metrics: per-process memory, load, disk queue) every
  `MONITORING_INTERVAL_SECONDS`, written by RDS into the `RDSOSMetrics` log group
  through a monitoring role.
- Burstable classes (db.t3, db.t4g) spend CPU credits; they earn a fixed number
  per hour (the EC2 T3/T4g table: one credit is one vCPU at 100 % for a minute)
  and keep at most 24 hours of earnings. The credit alarm fires when the balance
  falls below `LOW_CREDIT_HOURS` of earnings.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_rds as rds

from dbtier.params.catalog import instance_class as catalog_class

MONITORING_INTERVAL_SECONDS = 60
"""Enhanced Monitoring granularity; 60 s keeps the RDSOSMetrics ingestion small."""

INSIGHTS_RETENTION_DAYS = 7
"""Standard-mode retention, the free tier (longer retention is paid per vCPU-month)."""

_MYSQL_FAMILY_EXCLUDED = frozenset(
    {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"}
)
INSIGHTS_UNSUPPORTED_CLASSES: dict[str, frozenset[str]] = {
    "mysql": _MYSQL_FAMILY_EXCLUDED,
    "mariadb": _MYSQL_FAMILY_EXCLUDED,
    "postgres": frozenset(),
}
"""Engine → instance classes on which RDS refuses Performance/Database Insights."""

CPU_CREDITS_PER_HOUR: dict[str, int] = {
    "micro": 12,
    "small": 24,
    "medium": 24,
    "large": 36,
    "xlarge": 96,
    "2xlarge": 192,
}
"""Burstable size → CPU credits earned per hour (same for t3 and t4g)."""

MAX_CREDIT_HOURS = 24
"""A burstable instance keeps at most 24 hours of earned credits."""

LOW_CREDIT_HOURS = 2
"""The credit alarm's threshold, in hours of earnings (about 8 % of the maximum)."""


def supports_insights(engine: str, instance_class: str) -> bool:
    """Whether RDS offers Performance/Database Insights for `engine` on `instance_class`."""
    return instance_class not in INSIGHTS_UNSUPPORTED_CLASSES[engine]


def instance_monitoring(engine: str, instance_class: str) -> dict[str, Any]:
    """Keyword arguments for `rds.DatabaseInstance`: Enhanced Monitoring, and insights if supported.

    CDK creates the monitoring role (trusting monitoring.rds.amazonaws.com, with
    the AWS-managed AmazonRDSEnhancedMonitoringRole policy).
    """
    props: dict[str, Any] = {"monitoring_interval": Duration.seconds(MONITORING_INTERVAL_SECONDS)}
    if supports_insights(engine, instance_class):
        props.update(
            enable_performance_insights=True,
            performance_insight_retention=rds.PerformanceInsightRetention.DEFAULT,
            database_insights_mode=rds.DatabaseInsightsMode.STANDARD,
        )
    return props


def low_credit_threshold(instance_class: str) -> float | None:
    """CPUCreditBalance below which the credit alarm fires; None for a non-burstable class."""
    found = catalog_class(instance_class)
    if not found.burstable:
        return None
    return float(CPU_CREDITS_PER_HOUR[found.size] * LOW_CREDIT_HOURS)


def max_credit_balance(instance_class: str) -> int:
    """The most credits a burstable class can hold (24 hours of earnings)."""
    return CPU_CREDITS_PER_HOUR[catalog_class(instance_class).size] * MAX_CREDIT_HOURS


__all__ = [
    "CPU_CREDITS_PER_HOUR",
    "INSIGHTS_RETENTION_DAYS",
    "INSIGHTS_UNSUPPORTED_CLASSES",
    "LOW_CREDIT_HOURS",
    "MONITORING_INTERVAL_SECONDS",
    "instance_monitoring",
    "low_credit_threshold",
    "max_credit_balance",
    "supports_insights",
]
