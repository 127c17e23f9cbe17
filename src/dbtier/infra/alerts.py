"""Where every alarm goes: one SNS topic, encrypted with a key its publishers may use.

CloudWatch alarms, the EventBridge rule on failed migration tasks, AWS Budgets
and Cost Anomaly Detection all publish here. An AWS-managed key cannot be
shared with those services, so the topic has a customer-managed key (rotated
yearly) whose policy names exactly them.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

PUBLISHERS = (
    "cloudwatch.amazonaws.com",
    "events.amazonaws.com",
    "budgets.amazonaws.com",
    "costalerts.amazonaws.com",
)


class Alerts(Construct):
    """The alarm topic and its key; optionally an e-mail subscription."""

    def __init__(self, scope: Construct, construct_id: str, *, email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the dbtier alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmPublishers",
                principals=[iam.ServicePrincipal(p) for p in PUBLISHERS],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" means this key
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        # Budgets and Cost Anomaly Detection publish only when the topic policy lets them.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CostPublishers",
                principals=[
                    iam.ServicePrincipal("budgets.amazonaws.com"),
                    iam.ServicePrincipal("costalerts.amazonaws.com"),
                ],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
            )
        )
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


__all__ = ["PUBLISHERS", "Alerts"]
