"""cdk-nag AwsSolutions findings reviewed and accepted: the finding, where, and why.

Each suppression is attached to the narrowest construct it concerns and, for
IAM5, to the exact wildcard (`applies_to`), so a new finding elsewhere still
fails synthesis. The reasons are the review; keep them specific.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

from dbtier.infra.context import InfraContext
from dbtier.infra.stack import DbtierStack


@dataclass(frozen=True)
class Finding:
    """One accepted finding: the rule id, the reason, optionally the exact wildcard."""

    rule: str
    reason: str
    applies_to: tuple[str, ...] = ()
    applies_to_regex: str | None = None

    def suppression(self) -> NagPackSuppression:
        """The cdk-nag suppression object for this finding."""
        targets: list[str | RegexAppliesTo] = list(self.applies_to)
        if self.applies_to_regex is not None:
            targets.append(RegexAppliesTo(regex=self.applies_to_regex))
        if targets:
            return NagPackSuppression(id=self.rule, reason=self.reason, applies_to=targets)
        return NagPackSuppression(id=self.rule, reason=self.reason)


ECS2 = Finding(
    "AwsSolutions-ECS2",
    "The container environment holds only non-secret settings: DBTIER_DB_SECRET_ID (the "
    "secret's ARN, so the app can re-read it after rotation), DBTIER_DB_NAME, "
    "DBTIER_AWS_REGION, DBTIER_DB_TLS, the service's pool sizes (DBTIER_POOL_SIZE, "
    "DBTIER_MAX_OVERFLOW), and for the migration and bootstrap tasks the app user's name and "
    "the ARNs (not values) of the app, master and migrator secrets; the credentials arrive "
    "through ECS `secrets` (DBTIER_DB_SECRET_JSON).",
)
ECR_TOKEN = Finding(
    "AwsSolutions-IAM5",
    "ecr:GetAuthorizationToken has no resource-level permissions (IAM reference for Amazon "
    "ECR), so CDK grants it on *; the image pull actions themselves are scoped to the "
    "asset repository.",
    ("Resource::*",),
)


def suppress_reviewed_findings(stack: DbtierStack, context: InfraContext) -> None:
    """Attach every reviewed suppression to the narrowest construct it applies to."""
    _suppress(
        stack.presentation.security_group,
        Finding(
            "AwsSolutions-EC23",
            "The internet-facing ALB must accept HTTP/HTTPS (ports 80/443 only) from "
            "0.0.0.0/0: it is the service's public entry point; tasks and RDS accept "
            "traffic only from the security group in front of them.",
        ),
    )
    _suppress(
        stack.presentation.access_logs,
        Finding(
            "AwsSolutions-S1",
            "This bucket only receives ALB access logs written by the ELB log-delivery "
            "service; logging its own object access would need yet another log bucket "
            "with the same finding, and the ALB logs already record every request.",
        ),
    )
    _suppress(
        stack.data.instance,
        Finding(
            "AwsSolutions-RDS11",
            "The default port stays: the instance is in isolated subnets with no route to "
            "the internet and its security group admits only the service, migration and "
            "rotation security groups, so port obscurity adds nothing but client config.",
        ),
    )
    monitoring_role = stack.data.instance.node.try_find_child("MonitoringRole")
    if monitoring_role is not None:  # Enhanced Monitoring (dbtier.infra.database_monitoring)
        _suppress(
            monitoring_role,
            Finding(
                "AwsSolutions-IAM4",
                "Enhanced Monitoring's role uses AmazonRDSEnhancedMonitoringRole, the policy RDS "
                "documents for it and AWS keeps current; it allows only writing the RDSOSMetrics "
                "log group, and the role is assumable only by monitoring.rds.amazonaws.com.",
                (
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole",
                ),
            ),
        )
    if not context.is_prod:
        _suppress(
            stack.data.instance,
            Finding(
                "AwsSolutions-RDS3",
                "The dev stage runs single-AZ to halve the instance and storage cost; the "
                "prod stage (-c stage=prod) enables Multi-AZ, as tests/infra asserts.",
            ),
            Finding(
                "AwsSolutions-RDS10",
                "The dev stage leaves deletion protection off so a dev stack can be torn "
                "down; removal still takes a final snapshot, and prod enables protection.",
            ),
        )
    _suppress(
        stack.application.session_key,
        Finding(
            "AwsSolutions-SMG4",
            "The pages' session-signing key is not rotated on a schedule: there is no "
            "AWS rotation template for an opaque key, and a new key ends every session at "
            "once (sessions last 8 h and users sign in again with their token). Only the "
            "service's execution role reads it; rotate by putting a new value and "
            "redeploying (docs/web.md).",
        ),
    )
    for task_definition in (
        stack.application.task_definition,
        stack.migration.task_definition,
        stack.users.bootstrap_task_definition,
    ):
        _suppress(task_definition, ECS2)
        _suppress(task_definition.obtain_execution_role(), ECR_TOKEN)
    migration = stack.migration
    _suppress(
        migration.dead_letter_queue,
        Finding(
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the migration schedule "
            "(EventBridge Scheduler DeadLetterConfig, which cdk-nag does not trace); a DLQ "
            "of a DLQ would only move the alarm, which watches this queue's depth.",
        ),
    )
    if context.snapshot_before_migration:
        _suppress(
            migration.task_definition.task_role,
            Finding(
                "AwsSolutions-IAM5",
                "A pre-migration snapshot is named <instance>-pre-<revision>-<time> "
                "(dbtier.backup.before) and the revision and time are known only when the job "
                "runs; the wildcard covers only snapshots of this instance with that prefix.",
                applies_to_regex=r"/^Resource::arn:<AWS::Partition>:rds:[a-z0-9-]+:"
                r"<AWS::AccountId>:snapshot:.*-pre-\*$/",
            ),
        )
    _suppress(
        migration.launcher_failures,
        Finding(
            "AwsSolutions-SQS3",
            "This queue is itself the launcher function's on-failure destination (Lambda "
            "EventInvokeConfig DestinationConfig.OnFailure, which cdk-nag does not trace); "
            "the LauncherFailures alarm watches its depth and a person reads the event.",
        ),
    )
    _suppress(
        migration.launcher.role or migration.launcher,
        Finding(
            "AwsSolutions-IAM5",
            "ecs:ListTasks supports no resource ARN (IAM reference for Amazon ECS); the "
            "statement is pinned to the migration cluster by an ArnEquals ecs:cluster condition.",
            ("Resource::*",),
        ),
        Finding(
            "AwsSolutions-IAM5",
            "ecs:TagResource must name the task RunTask is creating, whose id is unknown "
            "beforehand; the ARN is limited to this cluster's tasks and the condition "
            "ecs:CreateAction=RunTask allows tagging only at launch.",
            applies_to_regex=r"/^Resource::arn:<AWS::Partition>:ecs:[a-z0-9-]+:<AWS::AccountId>"
            r":task\/<ApplicationCluster[0-9A-F]+>\/\*$/",
        ),
    )


def _suppress(construct: IConstruct, *findings: Finding) -> None:
    NagSuppressions.add_resource_suppressions(
        construct, [f.suppression() for f in findings], apply_to_children=True
    )


__all__ = ["Finding", "suppress_reviewed_findings"]
