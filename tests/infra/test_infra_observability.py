"""Observability (issue 9, item 8): insights, Enhanced Monitoring, new alarms, M of N, dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_synthesis import Synthesis

from dbtier.infra.database_monitoring import (
    MONITORING_INTERVAL_SECONDS,
    instance_monitoring,
    low_credit_threshold,
    max_credit_balance,
    supports_insights,
)
from dbtier.infra.observability import EVENT, SLOW, SUSTAINED

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]

EVENT_ALARMS = {"LauncherErrors", "LauncherFailures", "ScheduleDeadLetters", "MigrationFailed"}
"""Counted failures: one is the incident (1 of N); everything else needs M >= 2 of N."""


def alarms(s: Synthesis) -> dict[str, dict[str, Any]]:
    """Alarm construct id (logical id without prefix and hash) → properties."""
    return {
        k.removeprefix("Observability")[:-8]: r["Properties"]
        for k, r in s.resources("AWS::CloudWatch::Alarm").items()
        if k.startswith("Observability")
    }


def metric_names(props: dict[str, Any]) -> set[str]:
    if "MetricName" in props:
        return {props["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}


class TestDatabaseInsightsAndEnhancedMonitoring:
    def test_instance_has_insights_and_os_metrics(self, synthesis: Synthesis) -> None:
        _, db = synthesis.one("AWS::RDS::DBInstance")
        props = db["Properties"]
        assert props["MonitoringInterval"] == MONITORING_INTERVAL_SECONDS == 60
        role = synthesis.template["Resources"][props["MonitoringRoleArn"]["Fn::GetAtt"][0]]
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
        # db.t4g.medium: supported by MySQL and PostgreSQL alike.
        assert props["EnablePerformanceInsights"] is True
        assert props["PerformanceInsightsRetentionPeriod"] == 7
        assert props["DatabaseInsightsMode"] == "standard"

    @pytest.mark.parametrize(
        ("engine", "instance_class", "supported"),
        [
            ("mysql", "db.t4g.micro", False),
            ("mysql", "db.t3.small", False),
            ("mariadb", "db.t4g.small", False),
            ("mysql", "db.t4g.medium", True),
            ("mysql", "db.m7g.large", True),
            ("postgres", "db.t4g.micro", True),
            ("postgres", "db.r7g.2xlarge", True),
        ],
    )
    def test_insights_only_where_the_engine_supports_the_class(
        self, engine: str, instance_class: str, supported: bool
    ) -> None:
        assert supports_insights(engine, instance_class) is supported
        props = instance_monitoring(engine, instance_class)
        assert ("enable_performance_insights" in props) is supported
        assert "database_insights_mode" in props or not supported
        assert props["monitoring_interval"].to_seconds() == 60  # Enhanced Monitoring everywhere


class TestAlarms:
    def test_new_alarms_exist_and_notify_the_topic(self, synthesis: Synthesis) -> None:
        topic_id, _ = synthesis.one("AWS::SNS::Topic")
        found = alarms(synthesis)
        assert {"RunningTasksBelowDesired", "UnhealthyTargets", "DbCpuCreditBalance"} <= set(found)
        for props in found.values():
            assert props["AlarmActions"] == [{"Ref": topic_id}]
            assert props["OKActions"] == [{"Ref": topic_id}]

    def test_running_tasks_below_desired_from_container_insights(self, dev: Synthesis) -> None:
        props = alarms(dev)["RunningTasksBelowDesired"]
        expression = next(m for m in props["Metrics"] if "Expression" in m)
        assert expression["Expression"] == "FILL(desired, 0) - FILL(running, 0)"
        stats = {m["Id"]: m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m}
        assert {m["MetricName"] for m in stats.values()} == {"DesiredTaskCount", "RunningTaskCount"}
        cluster_id, _ = dev.one("AWS::ECS::Cluster")
        service_id, _ = dev.one("AWS::ECS::Service")
        for metric in stats.values():
            assert metric["Namespace"] == "ECS/ContainerInsights"
            assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
                "ClusterName": {"Ref": cluster_id},
                "ServiceName": {"Fn::GetAtt": [service_id, "Name"]},
            }
        assert props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"

    def test_unhealthy_targets_of_the_service_target_group(self, dev: Synthesis) -> None:
        props = alarms(dev)["UnhealthyTargets"]
        assert props["Namespace"] == "AWS/ApplicationELB"
        assert props["MetricName"] == "UnHealthyHostCount"
        group_id, _ = dev.one("AWS::ElasticLoadBalancingV2::TargetGroup")
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dimensions["TargetGroup"] == {"Fn::GetAtt": [group_id, "TargetGroupFullName"]}
        assert "LoadBalancer" in dimensions
        assert (props["Statistic"], props["Threshold"]) == ("Maximum", 1)

    def test_cpu_credit_alarm_for_the_burstable_class(self, synthesis: Synthesis) -> None:
        props = alarms(synthesis)["DbCpuCreditBalance"]
        assert props["Namespace"] == "AWS/RDS"
        assert props["MetricName"] == "CPUCreditBalance"
        assert props["ComparisonOperator"] == "LessThanThreshold"
        # db.t4g.medium earns 24 credits an hour; the alarm sits at 2 hours of earnings.
        assert props["Threshold"] == 48 == low_credit_threshold("db.t4g.medium")
        assert max_credit_balance("db.t4g.medium") == 576

    def test_no_credit_alarm_for_classes_without_credits(self) -> None:
        for name in ("db.m7g.large", "db.r6i.xlarge", "db.m5.2xlarge"):
            assert low_credit_threshold(name) is None
        assert low_credit_threshold("db.t3.micro") == 24

    def test_every_alarm_reads_m_of_n_datapoints(self, synthesis: Synthesis) -> None:
        for name, props in alarms(synthesis).items():
            m, n = props["DatapointsToAlarm"], props["EvaluationPeriods"]
            assert n >= 3 and 1 <= m <= n, (name, m, n)
            if name in EVENT_ALARMS:
                assert (m, n) == (EVENT.datapoints, EVENT.evaluation_periods), name
            else:
                assert m >= 2, f"{name}: a state alarm must not fire on one datapoint"

    def test_periods_follow_the_window(self, dev: Synthesis) -> None:
        def periods(props: dict[str, Any]) -> set[int]:
            if "Period" in props:
                return {props["Period"]}
            return {m["MetricStat"]["Period"] for m in props["Metrics"] if "MetricStat" in m}

        found = alarms(dev)
        for name in ("DbCpu", "DbConnections", "Alb5xx", "UnhealthyTargets"):
            assert periods(found[name]) == {SUSTAINED.period_minutes * 60}, name
            assert found[name]["DatapointsToAlarm"] == SUSTAINED.datapoints
        for name in ("DbFreeStorage", "DbFreeableMemory", "DbCpuCreditBalance"):
            assert periods(found[name]) == {SLOW.period_minutes * 60}, name
        for name in EVENT_ALARMS:
            assert periods(found[name]) == {EVENT.period_minutes * 60}, name


def referenced_arns(node: Any) -> set[str]:
    """Logical ids whose `Arn` a template value references."""
    if isinstance(node, dict):
        if list(node) == ["Fn::GetAtt"] and node["Fn::GetAtt"][1] == "Arn":
            return {node["Fn::GetAtt"][0]}
        return set().union(*(referenced_arns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(referenced_arns(v) for v in node))
    return set()


class TestDashboard:
    def test_dashboard_shows_every_alarm(self, synthesis: Synthesis) -> None:
        _, dashboard = synthesis.one("AWS::CloudWatch::Dashboard")
        body = dashboard["Properties"]["DashboardBody"]
        assert referenced_arns(body) == set(synthesis.resources("AWS::CloudWatch::Alarm"))
        text = json.dumps(body)
        for metric in ("RunningTaskCount", "UnHealthyHostCount", "CPUCreditBalance"):
            assert metric in text, metric


class TestLogEncryption:
    def test_every_log_group_uses_the_stacks_logs_key(self, synthesis: Synthesis) -> None:
        (key_id,) = [k for k in synthesis.resources("AWS::KMS::Key") if k.startswith("LogsKey")]
        groups = synthesis.resources("AWS::Logs::LogGroup")
        assert len(groups) >= 5
        for logical, group in groups.items():
            assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, logical

    def test_only_cloudwatch_logs_of_this_account_and_region_may_use_it(
        self, synthesis: Synthesis
    ) -> None:
        key = synthesis.resources("AWS::KMS::Key")
        (props,) = [r["Properties"] for k, r in key.items() if k.startswith("LogsKey")]
        assert props["EnableKeyRotation"] is True
        (statement,) = [
            s
            for s in props["KeyPolicy"]["Statement"]
            if s.get("Sid") == "CloudWatchLogsOfThisAccountAndRegion"
        ]
        assert statement["Principal"] == {"Service": f"logs.{synthesis.region}.amazonaws.com"}
        arn = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert json.dumps(arn).endswith(':log-group:*"]]}')
        assert {"Ref": "AWS::AccountId"} in arn["Fn::Join"][1]

    def test_the_key_outlives_the_stack_only_where_the_logs_do(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        def policy(s: Synthesis) -> str:
            (key,) = [r for k, r in s.resources("AWS::KMS::Key").items() if k.startswith("LogsKey")]
            return str(key["DeletionPolicy"])

        assert policy(dev) == "Delete"
        assert policy(prod_postgres) == "Retain"
