"""Observability: the alarms a database tier needs, and one dashboard.

RDS CPU, freeable memory, connections (against the parameter design's
`max_connections`), free storage; the ALB's 5xx and target response time; the
launcher's errors, its on-failure queue (events Lambda gave up on), the
schedule's dead-letter queue (firings never handed to Lambda) and failed
migration tasks. Every alarm notifies the alarm topic, on alarm and on recovery.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from dbtier.infra.data import Data
from dbtier.infra.migration import Migration

GIB = 1024**3
CONNECTIONS_ALARM_RATIO = 0.8


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Alarm thresholds; memory and storage in bytes."""

    cpu_percent: int = 80
    freeable_memory_bytes: int = 128 * 1024**2
    free_storage_bytes: int = 2 * GIB
    target_response_seconds: float = 1.0
    http_5xx_per_5_minutes: int = 10


class Observability(Construct):
    """Alarms on every tier, each sent to the topic, and the dashboard that shows them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        data: Data,
        alb: elbv2.ApplicationLoadBalancer,
        migration: Migration,
        thresholds: Thresholds,
        dashboard_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        db = data.instance
        five = Duration.minutes(5)
        max_connections = data.spec.max_connections
        above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        self._alarm("DbCpu", db.metric_cpu_utilization(period=five), thresholds.cpu_percent, above)
        self._alarm(
            "DbFreeableMemory",
            db.metric_freeable_memory(period=five, statistic="Minimum"),
            thresholds.freeable_memory_bytes,
            below,
        )
        self._alarm(
            "DbConnections",
            db.metric_database_connections(period=five, statistic="Maximum"),
            max(1, int(max_connections * CONNECTIONS_ALARM_RATIO)),
            above,
            f"over {CONNECTIONS_ALARM_RATIO:.0%} of max_connections={max_connections}",
        )
        self._alarm(
            "DbFreeStorage",
            db.metric_free_storage_space(period=five, statistic="Minimum"),
            thresholds.free_storage_bytes,
            below,
        )
        metrics = alb.metrics
        self._alarm(
            "Alb5xx",
            cloudwatch.MathExpression(
                expression="FILL(elb, 0) + FILL(target, 0)",
                using_metrics={
                    "elb": metrics.http_code_elb(code=elbv2.HttpCodeElb.ELB_5XX_COUNT, period=five),
                    "target": metrics.http_code_target(
                        code=elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=five
                    ),
                },
                label="ALB and target 5xx",
                period=five,
            ),
            thresholds.http_5xx_per_5_minutes,
            above,
        )
        self._alarm(
            "AlbTargetResponseTime",
            metrics.target_response_time(period=five, statistic="p95"),
            thresholds.target_response_seconds,
            above,
        )
        self._alarm(
            "LauncherErrors",
            migration.launcher.metric_errors(period=five, statistic="Sum"),
            1,
            above,
        )
        self._alarm(
            "LauncherFailures",
            migration.launcher_failures.metric_approximate_number_of_messages_visible(
                period=five, statistic="Maximum"
            ),
            1,
            above,
            "a firing the launcher failed on after Lambda's retries",
        )
        self._alarm(
            "ScheduleDeadLetters",
            migration.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=five, statistic="Maximum"
            ),
            1,
            above,
        )
        self._alarm("MigrationFailed", migration.failure_metric(), 1, above)
        self.dashboard = self._dashboard(dashboard_name)

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        why: str = "",
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"dbtier {construct_id} {why}".strip(),
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(self, name: str) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="dbtier alarms", alarms=self.alarms, width=24)
        )
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title=a.node.id, left=[a.metric], width=8) for a in self.alarms
        ]
        dashboard.add_widgets(*widgets)
        return dashboard


__all__ = ["CONNECTIONS_ALARM_RATIO", "Observability", "Thresholds"]
