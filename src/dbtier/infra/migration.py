"""Scheduled migration: EventBridge Scheduler → launcher Lambda → ECS RunTask → Fargate task.

The task runs `dbtier migrate run` from the service's image with the same
credentials. The launcher is `dbtier.launch`'s single-file handler, deployed as
a plain asset, allowed to start exactly this task definition on this cluster
and to pass exactly its two roles. The schedule (validated by `dbtier.schedule`
before synthesis) retries a failed hand-off to Lambda and then parks it in an
encrypted dead-letter queue. Scheduler invokes the launcher asynchronously, so
a launcher that raises is retried by Lambda itself (the function's event invoke
config) and then sent to its on-failure destination, another encrypted queue;
both queues are alarmed (`dbtier.infra.observability`). A task that stops with
a non-zero exit code, or never starts, is published to the alarm topic by an
EventBridge rule. What the launcher and this task definition must agree on
(`startedBy`, container name, command) comes from `dbtier.launch.facts`.

The job's deadline agrees across the three places that act on it, all derived
from `max_runtime` here with `dbtier.migrate.deadline`: the container gets it
as DBTIER_MAX_RUNTIME, its `stopTimeout` is `STOP_TIMEOUT_S` (SIGTERM, on which
the job records `failed`, then SIGKILL), and the launcher stops a task older
than `overdue_after(max_runtime)` instead of skipping firings behind it.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Fn, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from dbtier.config import DEFAULT_MAX_RUNTIME_S
from dbtier.infra import container
from dbtier.launch import facts
from dbtier.migrate.deadline import STOP_TIMEOUT_S, overdue_after
from dbtier.migrate.emf import NAMESPACE as EMF_NAMESPACE
from dbtier.migrate.emf import OUTCOMES

# Lambda's own retries of an asynchronous invocation that raised (0-2), and how long
# an event may wait for them; then the event goes to the on-failure destination.
# The launcher is idempotent per firing (clientToken), so a retry cannot start twice.
LAUNCHER_RETRY_ATTEMPTS = 2
LAUNCHER_MAX_EVENT_AGE = Duration.hours(1)
LAUNCHER_DIR = Path(__file__).resolve().parents[1] / "launch"
LAUNCHER_FILE = "lambda_function.py"
# The launcher's event: EventBridge Scheduler context attributes, filled per firing.
SCHEDULE_INPUT = json.dumps(
    {
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "execution_id": "<aws.scheduler.execution-id>",
        "schedule_arn": "<aws.scheduler.schedule-arn>",
        "attempt": "<aws.scheduler.attempt-number>",
    }
)


def launcher_facts_environment() -> dict[str, str]:
    """The launcher's share of `dbtier.launch.facts`, as the handler reads it."""
    return {
        "CONTAINER_NAME": facts.CONTAINER_NAME,
        "STARTED_BY": facts.STARTED_BY,
        "JOB_COMMAND": json.dumps(list(facts.JOB_COMMAND)),
    }


class Migration(Construct):
    """Task definition, launcher, schedule, dead-letter queue and failure rule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        cluster: ecs.ICluster,
        image: ecs.ContainerImage,
        secret: secretsmanager.ISecret,
        topic: sns.ITopic,
        schedule_name: str,
        expression: str,
        timezone: str,
        max_runtime: float = DEFAULT_MAX_RUNTIME_S,
    ) -> None:
        super().__init__(scope, construct_id)
        self.max_runtime = max_runtime
        region = Stack.of(self).region
        self.task_definition = ecs.FargateTaskDefinition(
            self, "TaskDefinition", cpu=256, memory_limit_mib=512
        )
        job = self.task_definition.add_container(
            facts.CONTAINER_NAME,
            image=image,
            command=list(facts.JOB_COMMAND),
            secrets=container.database_secrets(secret),
            environment={
                **container.database_environment(secret, region),
                "DBTIER_MAX_RUNTIME": f"{max_runtime:g}",
            },
            logging=container.log_driver(self, "TaskLogs", prefix="migrate"),
            **container.hardening(),
            stop_timeout=Duration.seconds(STOP_TIMEOUT_S),
        )
        container.mount_scratch(self.task_definition, job)
        secret.grant_read(self.task_definition.task_role)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Scheduled migration tasks"
        )
        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        # Events the launcher failed on after Lambda's retries (it raised, or timed out).
        self.launcher_failures = self._queue("LauncherFailureQueue")
        self.launcher = self._launcher(cluster, subnets, schedule_name)
        # Firings Scheduler could not hand to Lambda (throttled, function missing, no access).
        self.dead_letter_queue = self._queue("DeadLetterQueue")
        self.schedule = self._schedule(schedule_name, expression, timezone)
        self.failure_rule = self._failure_rule(cluster, topic)

    def snapshot_before_migrating(self, instance: rds.IDatabaseInstance) -> None:
        """The job takes a manual snapshot of `instance` when something is pending.

        `dbtier.backup.before` names it `<instance>-pre-<revision>-<time>`; the task
        role may create and tag snapshots of that name and of that instance only.
        """
        job = self.task_definition.default_container
        if job is None:  # pragma: no cover - the constructor adds the container
            return
        job.add_environment("DBTIER_SNAPSHOT_BEFORE", "1")
        job.add_environment("DBTIER_RDS_INSTANCE_ID", instance.instance_identifier)
        snapshots = Stack.of(self).format_arn(
            service="rds",
            resource="snapshot",
            resource_name=f"{instance.instance_identifier}-pre-*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.task_definition.task_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rds:CreateDBSnapshot"],
                resources=[instance.instance_arn, snapshots],
            )
        )
        self.task_definition.task_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rds:AddTagsToResource", "rds:DescribeDBSnapshots"],
                resources=[snapshots],
            )
        )

    def _queue(self, construct_id: str) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )

    def _launcher(
        self, cluster: ecs.ICluster, subnets: ec2.SelectedSubnets, schedule_name: str
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            "LauncherLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "LauncherRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Launcher: run the migration task on its cluster, nothing else",
        )
        log_group.grant_write(role)
        self._grant_run_task(role, cluster)
        return lambda_.Function(
            self,
            "Launcher",
            runtime=lambda_.Runtime.PYTHON_3_14,  # the newest Lambda Python runtime
            handler="lambda_function.handler",
            code=lambda_.Code.from_asset(
                str(LAUNCHER_DIR),
                exclude=["*", f"!{LAUNCHER_FILE}"],
                ignore_mode=IgnoreMode.GLOB,  # so the `!` pattern re-includes the file
            ),
            role=role,
            log_group=log_group,
            timeout=Duration.minutes(2),
            memory_size=256,
            retry_attempts=LAUNCHER_RETRY_ATTEMPTS,
            max_event_age=LAUNCHER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.launcher_failures),
            environment={
                "CLUSTER_ARN": cluster.cluster_arn,
                "TASK_DEFINITION_ARN": self.task_definition.task_definition_arn,
                "SUBNETS": Fn.join(",", subnets.subnet_ids),
                "SECURITY_GROUPS": self.security_group.security_group_id,
                "LAUNCH_TYPE": "FARGATE",
                "SCHEDULE_NAME": schedule_name,
                **launcher_facts_environment(),
                "MAX_TASK_AGE_SECONDS": str(overdue_after(self.max_runtime)),
            },
            description="Starts the dbtier migration task when the schedule fires",
        )

    def _grant_run_task(self, role: iam.Role, cluster: ecs.ICluster) -> None:
        on_cluster = {"ArnEquals": {"ecs:cluster": cluster.cluster_arn}}
        task_definition = self.task_definition
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:RunTask"],
                resources=[task_definition.task_definition_arn],
                conditions=on_cluster,
            )
        )
        # RunTask carries tags (schedule, scheduled time); tagging is allowed only there.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:TagResource"],
                resources=[
                    Stack.of(self).format_arn(
                        service="ecs",
                        resource="task",
                        resource_name=f"{cluster.cluster_name}/*",
                    )
                ],
                conditions={"StringEquals": {"ecs:CreateAction": "RunTask"}},
            )
        )
        # The overlap guard reads task ages and stops a task past its deadline.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks", "ecs:StopTask"],
                resources=[
                    Stack.of(self).format_arn(
                        service="ecs",
                        resource="task",
                        resource_name=f"{cluster.cluster_name}/*",
                    )
                ],
                conditions=on_cluster,
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:ListTasks"],
                resources=["*"],  # ListTasks names no resource; the condition pins the cluster
                conditions=on_cluster,
            )
        )
        execution_role = task_definition.obtain_execution_role()
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[task_definition.task_role.role_arn, execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )

    def _schedule(self, name: str, expression: str, timezone: str) -> scheduler.CfnSchedule:
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge Scheduler: invoke the launcher, park failures in the DLQ",
        )
        # Only the function itself: no versions or aliases (grant_invoke would add ARN:*).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.launcher.function_arn]
            )
        )
        self.dead_letter_queue.grant_send_messages(role)
        return scheduler.CfnSchedule(
            self,
            "Schedule",
            name=name,
            description="Runs the database migration task (dbtier migrate run)",
            schedule_expression=expression,
            schedule_expression_timezone=timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.launcher.function_arn,
                role_arn=role.role_arn,
                input=SCHEDULE_INPUT,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=3
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
            ),
        )

    def _failure_rule(self, cluster: ecs.ICluster, topic: sns.ITopic) -> events.Rule:
        this_task = {
            "clusterArn": [cluster.cluster_arn],
            "taskDefinitionArn": [self.task_definition.task_definition_arn],
            "lastStatus": ["STOPPED"],
        }
        rule = events.Rule(
            self,
            "FailureRule",
            description="A migration task stopped with a non-zero exit code or never started",
            event_pattern=events.EventPattern(
                source=["aws.ecs"],
                detail_type=["ECS Task State Change"],
                detail={
                    "$or": [
                        {**this_task, "containers": {"exitCode": [{"anything-but": 0}]}},
                        {**this_task, "stopCode": ["TaskFailedToStart"]},
                    ]
                },
            ),
        )
        rule.add_target(
            targets.SnsTopic(
                topic,
                message=events.RuleTargetInput.from_text(
                    f"dbtier migration task {events.EventField.from_path('$.detail.taskArn')} "
                    f"stopped: {events.EventField.from_path('$.detail.stoppedReason')}"
                ),
            )
        )
        return rule

    def failure_metric(self) -> cloudwatch.MathExpression:
        """Failed migrations: tasks the rule caught plus the job's own EMF outcome counts.

        The rule sees a non-zero exit or a task that never started; the job's EMF line
        (`dbtier.migrate.emf`, namespace `dbtier`, dimension Job=migrate) counts
        `Failed` and `Unreachable` runs, even one that exits before ECS reports it.
        """
        five = Duration.minutes(5)

        def summed(namespace: str, name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=name,
                dimensions_map=dimensions,
                statistic="Sum",
                period=five,
            )

        job = {"Job": "migrate"}
        return cloudwatch.MathExpression(
            expression=(
                "FILL(stopped, 0) + FILL(failed, 0) + FILL(unreachable, 0) + FILL(refused, 0)"
            ),
            using_metrics={
                "stopped": summed(
                    "AWS/Events", "TriggeredRules", {"RuleName": self.failure_rule.rule_name}
                ),
                "failed": summed(EMF_NAMESPACE, OUTCOMES["failed"], job),
                "unreachable": summed(EMF_NAMESPACE, OUTCOMES["unreachable"], job),
                # A run refused by the lint gate or a dirty database migrates nothing.
                "refused": summed(EMF_NAMESPACE, OUTCOMES["refused"], job),
            },
            label="failed migrations",
            period=five,
        )


__all__ = [
    "LAUNCHER_MAX_EVENT_AGE",
    "LAUNCHER_RETRY_ATTEMPTS",
    "SCHEDULE_INPUT",
    "Migration",
    "launcher_facts_environment",
]
