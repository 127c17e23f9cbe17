"""One customer-managed key for every CloudWatch Logs log group of the stack.

CloudWatch Logs always encrypts at rest, with keys of its own; with a key of the
stack's, reading the logs also needs `kms:Decrypt` on it, and disabling the key
makes the logs unreadable at once. That matters most for RDS's slow query and
PostgreSQL logs, which hold statement texts. The key policy lets only the
CloudWatch Logs service of the stack's region use it, and only for this
account's log groups in that region (the encryption-context condition AWS
documents for "Encrypt log data in CloudWatch Logs using AWS KMS").

`encrypt_log_groups` sets the key on every `AWS::Logs::LogGroup` in the stack
after the constructs exist, so a log group added later is covered without
passing the key around; writers (RDS, ECS, Lambda, VPC flow logs) need no KMS
permission, CloudWatch Logs encrypts on ingestion.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

LOGS_KEY_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
"""What CloudWatch Logs needs on the key (AWS's key policy for log group encryption)."""


class LogsKey(Construct):
    """The key; kept after the stack when log groups are kept (prod), else deleted with it."""

    def __init__(self, scope: Construct, construct_id: str, *, retain: bool) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the dbtier stack's CloudWatch Logs log groups",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        )


def encrypt_log_groups(scope: IConstruct, key: kms.IKey) -> list[logs.CfnLogGroup]:
    """Set `KmsKeyId` on every log group under `scope`; return them."""
    groups = [c for c in scope.node.find_all() if isinstance(c, logs.CfnLogGroup)]
    for group in groups:
        group.kms_key_id = key.key_arn
    return groups


__all__ = ["LOGS_KEY_ACTIONS", "LogsKey", "encrypt_log_groups"]
