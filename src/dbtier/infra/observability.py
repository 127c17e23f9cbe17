"""Observability: the alarms a database tier needs, and one dashboard.

RDS CPU, freeable memory, connections (against the parameter design's
`max_connections`), free storage, and CPU credits on burstable classes; the
ALB's 5xx, target response time and unhealthy targets; running tasks below
desired (Container Insights); the launcher's errors, its on-failure queue
(events Lambda gave up on), the schedule's dead-letter queue (firings never
handed to Lambda) and failed migration tasks. Every alarm reads M of N
datapoints (a `Window`: sustained states, slow levels, counted failures) and
notifies the alarm topic, on alarm and on recovery. The dashboard shows each
alarm's state and graph. (Performance Insights and Enhanced Monitoring are
properties of the instance: `dbtier.infra.database_monitoring`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from dbtier.infra.application import Application
from dbtier.infra.data import Data
from dbtier.infra.database_monitoring import LOW_CREDIT_HOURS, low_credit_threshold
from dbtier.infra.migration import Migration

GIB = 1024**3
CONNECTIONS_ALARM_RATIO = 0.8
CONTAINER_INSIGHTS = "ECS/ContainerInsights"


@dataclass(frozen=True)
class Window:
    """How an alarm reads its metric: M breaching datapoints of the last N periods."""

    period_minutes: int
    datapoints: int
    evaluation_periods: int

    @property
    def period(self) -> Duration:
        """The metric's period."""
        return Duration.minutes(self.period_minutes)


SUSTAINED = Window(period_minutes=1, datapoints=3, evaluation_periods=5)
"""A state that must last: 3 breaching minutes of the last 5 (one spike never pages)."""
SLOW = Window(period_minutes=5, datapoints=2, evaluation_periods=3)
"""A slowly moving level (memory, storage, credits): 2 of the last 3 five-minute points."""
EVENT = Window(period_minutes=5, datapoints=1, evaluation_periods=3)
"""A counted failure, where one is already the incident: 1 of the last 3 five-minute
points, so it alarms at once and clears only after 15 quiet minutes (no flapping)."""


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Alarm thresholds; memory and storage in bytes."""

    cpu_percent: int = 80
    freeable_memory_bytes: int = 128 * 1024**2
    free_storage_bytes: int = 2 * GIB
    target_response_seconds: float = 1.0
    http_5xx_per_minute: int = 5


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
        application: Application,
        thresholds: Thresholds,
        dashboard_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self._database(data, thresholds)
        self._service(alb, application, thresholds)
        self._migration(migration)
        self.dashboard = self._dashboard(dashboard_name)

    def _database(self, data: Data, thresholds: Thresholds) -> None:
        db = data.instance
        max_connections = data.spec.max_connections
        self._alarm("DbCpu", db.metric_cpu_utilization(), thresholds.cpu_percent, ABOVE, SUSTAINED)
        self._alarm(
            "DbFreeableMemory",
            db.metric_freeable_memory(statistic="Minimum"),
            thresholds.freeable_memory_bytes,
            BELOW,
            SLOW,
        )
        self._alarm(
            "DbConnections",
            db.metric_database_connections(statistic="Maximum"),
            max(1, int(max_connections * CONNECTIONS_ALARM_RATIO)),
            ABOVE,
            SUSTAINED,
            f"over {CONNECTIONS_ALARM_RATIO:.0%} of max_connections={max_connections}",
        )
        self._alarm(
            "DbFreeStorage",
            db.metric_free_storage_space(statistic="Minimum"),
            thresholds.free_storage_bytes,
            BELOW,
            SLOW,
        )
        credits = low_credit_threshold(data.spec.instance_class)
        if credits is not None:  # only burstable classes spend CPU credits
            self._alarm(
                "DbCpuCreditBalance",
                db.metric("CPUCreditBalance", statistic="Minimum"),
                credits,
                BELOW,
                SLOW,
                f"{data.spec.instance_class} below {LOW_CREDIT_HOURS} hours of earned credits",
            )

    def _service(
        self, alb: elbv2.ApplicationLoadBalancer, application: Application, thresholds: Thresholds
    ) -> None:
        metrics = alb.metrics
        self._alarm(
            "Alb5xx",
            cloudwatch.MathExpression(
                expression="FILL(elb, 0) + FILL(target, 0)",
                using_metrics={
                    "elb": metrics.http_code_elb(code=elbv2.HttpCodeElb.ELB_5XX_COUNT),
                    "target": metrics.http_code_target(code=elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
                },
                label="ALB and target 5xx",
            ),
            thresholds.http_5xx_per_minute,
            ABOVE,
            SUSTAINED,
        )
        self._alarm(
            "AlbTargetResponseTime",
            metrics.target_response_time(statistic="p95"),
            thresholds.target_response_seconds,
            ABOVE,
            SUSTAINED,
        )
        self._alarm(
            "UnhealthyTargets",
            application.target_group.metrics.unhealthy_host_count(statistic="Maximum"),
            1,
            ABOVE,
            SUSTAINED,
        )
        service = {
            "ClusterName": application.cluster.cluster_name,
            "ServiceName": application.service.service_name,
        }

        def insights(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=CONTAINER_INSIGHTS,
                metric_name=name,
                dimensions_map=service,
                statistic="Average",
            )

        self._alarm(
            "RunningTasksBelowDesired",
            cloudwatch.MathExpression(
                expression="FILL(desired, 0) - FILL(running, 0)",
                using_metrics={
                    "desired": insights("DesiredTaskCount"),
                    "running": insights("RunningTaskCount"),
                },
                label="desired minus running tasks",
            ),
            1,
            ABOVE,
            SUSTAINED,
            "(Container Insights RunningTaskCount below DesiredTaskCount)",
        )

    def _migration(self, migration: Migration) -> None:
        self._alarm(
            "LauncherErrors", migration.launcher.metric_errors(statistic="Sum"), 1, ABOVE, EVENT
        )
        self._alarm(
            "LauncherFailures",
            migration.launcher_failures.metric_approximate_number_of_messages_visible(
                statistic="Maximum"
            ),
            1,
            ABOVE,
            EVENT,
            "a firing the launcher failed on after Lambda's retries",
        )
        self._alarm(
            "ScheduleDeadLetters",
            migration.dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum"
            ),
            1,
            ABOVE,
            EVENT,
        )
        self._alarm("MigrationFailed", migration.failure_metric(), 1, ABOVE, EVENT)

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.Metric | cloudwatch.MathExpression,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        window: Window,
        why: str = "",
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric.with_(period=window.period),
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=window.evaluation_periods,
            datapoints_to_alarm=window.datapoints,
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


ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
BELOW = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD

__all__ = [
    "CONNECTIONS_ALARM_RATIO",
    "EVENT",
    "SLOW",
    "SUSTAINED",
    "Observability",
    "Thresholds",
    "Window",
]
