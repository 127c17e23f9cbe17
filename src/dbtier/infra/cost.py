"""Cost: allocation tags on every resource, a monthly budget, and anomaly detection.

Tags: `project`, `stage`, `owner` on the whole stack, `component` per seed
component, and `cost-center` (`project-stage`), the one tag the budget filters
on; activate them as cost allocation tags in the Billing console once. The
budget notifies the alarm topic (and an e-mail address when given) on actual
and on forecast spend. Cost Anomaly Detection notifies the topic at once when
an anomaly's impact passes the threshold; by default it watches a CUSTOM
monitor scoped to this stack's `cost-center` tag, because AWS allows one
DIMENSIONAL/SERVICE monitor per account and many accounts already have one (a
second would roll the first deploy back). Context `anomaly_monitor` chooses
instead an existing monitor's ARN (only the subscription is created) or none.
"""

from __future__ import annotations

import json

from aws_cdk import CfnResource, TagManager, Tags
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ce as ce
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

COST_CENTER_TAG = "cost-center"


def tag_everything(scope: IConstruct, *, project: str, stage: str, owner: str) -> dict[str, str]:
    """Tags every taggable resource under `scope` carries; returns them."""
    tags = {
        "project": project,
        "stage": stage,
        "owner": owner,
        COST_CENTER_TAG: f"{project}-{stage}",
    }
    for key, value in tags.items():
        Tags.of(scope).add(key, value)
    return tags


def tag_untaggable(scope: IConstruct, tags: dict[str, str], *, component: str) -> None:
    """Tag the L1 resources CDK's own custom-resource providers emit without a tag manager.

    `Tags.of` skips them (the VPC's default-security-group restriction handler and
    its role), so their tags are written as a property override.
    """
    taggable_types = ("AWS::Lambda::Function", "AWS::IAM::Role")
    for node in scope.node.find_all():
        if not isinstance(node, CfnResource) or TagManager.is_taggable(node):
            continue
        if node.cfn_resource_type not in taggable_types:
            continue
        values = {**tags, "component": component}
        node.add_property_override(
            "Tags", [{"Key": k, "Value": v} for k, v in sorted(values.items())]
        )


def tag_component(scope: IConstruct, component: str) -> None:
    """The seed component a resource belongs to (network, data, ...)."""
    Tags.of(scope).add("component", component)


class CostControls(Construct):
    """The monthly budget, the anomaly monitor and its subscription."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        topic: sns.ITopic,
        monthly_budget_usd: int,
        anomaly_threshold_usd: int,
        anomaly_monitor: str,
        email: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)
        ]
        if email is not None:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=email)
            )
        self.budget = budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_budget_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{COST_CENTER_TAG}${name}"]},
            ),
            notifications_with_subscribers=[
                _notification("ACTUAL", 80, subscribers),
                _notification("ACTUAL", 100, subscribers),
                _notification("FORECASTED", 100, subscribers),
            ],
        )
        self.monitor = self._monitor(name, anomaly_monitor)
        monitor_arn = self.monitor.attr_monitor_arn if self.monitor is not None else anomaly_monitor
        self.subscription = (
            None
            if anomaly_monitor == "none"
            else self._subscription(name, monitor_arn, topic, anomaly_threshold_usd)
        )

    def _monitor(self, name: str, choice: str) -> ce.CfnAnomalyMonitor | None:
        """A CUSTOM monitor on this stack's cost-center tag, unless context says otherwise."""
        if choice != "custom":
            return None
        return ce.CfnAnomalyMonitor(
            self,
            "AnomalyMonitor",
            monitor_name=f"{name}-spend",
            monitor_type="CUSTOM",
            monitor_specification=json.dumps(anomaly_monitor_specification(name)),
        )

    def _subscription(
        self, name: str, monitor_arn: str, topic: sns.ITopic, threshold_usd: int
    ) -> ce.CfnAnomalySubscription:
        return ce.CfnAnomalySubscription(
            self,
            "AnomalySubscription",
            subscription_name=f"{name}-anomalies",
            frequency="IMMEDIATE",  # the only frequency an SNS subscriber accepts
            monitor_arn_list=[monitor_arn],
            subscribers=[
                ce.CfnAnomalySubscription.SubscriberProperty(type="SNS", address=topic.topic_arn)
            ],
            threshold_expression=json.dumps(
                {
                    "Dimensions": {
                        "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                        "Values": [str(threshold_usd)],
                    }
                }
            ),
        )


def anomaly_monitor_specification(name: str) -> dict[str, object]:
    """Cost Explorer expression of the CUSTOM monitor: spend tagged cost-center=`name`."""
    return {"Tags": {"Key": COST_CENTER_TAG, "Values": [name], "MatchOptions": ["EQUALS"]}}


def _notification(
    kind: str, percent: int, subscribers: list[budgets.CfnBudget.SubscriberProperty]
) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
    return budgets.CfnBudget.NotificationWithSubscribersProperty(
        notification=budgets.CfnBudget.NotificationProperty(
            notification_type=kind,
            comparison_operator="GREATER_THAN",
            threshold=percent,
            threshold_type="PERCENTAGE",
        ),
        subscribers=subscribers,
    )


__all__ = [
    "COST_CENTER_TAG",
    "CostControls",
    "anomaly_monitor_specification",
    "tag_component",
    "tag_everything",
    "tag_untaggable",
]
