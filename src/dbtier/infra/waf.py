"""An optional AWS WAF web ACL in front of the ALB (`-c waf=true`).

AWS managed rule groups (the common rule set, known bad inputs, SQL injection)
plus a rate-based rule that blocks one client IP sending more than
`rate_limit` requests in five minutes (`-c waf_rate_limit=N`, default
`dbtier.infra.context.DEFAULT_WAF_RATE_LIMIT`). Everything else is allowed.
The common rule set's `SizeRestrictions_BODY` (bodies over 8 KB) only counts:
nippo's Markdown report import takes bodies up to 1 MiB and the service itself
answers 413 above that. Every rule publishes CloudWatch metrics and sampled
requests.
"""

from __future__ import annotations

from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
"""AWS managed rule groups, in priority order (vendor AWS)."""

COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
"""Rules of a group overridden to count: they would refuse what the service accepts."""


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed_rule(priority: int, group: str) -> wafv2.CfnWebACL.RuleProperty:
    overrides = [
        wafv2.CfnWebACL.RuleActionOverrideProperty(
            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
        )
        for rule in COUNT_ONLY.get(group, ())
    ]
    return wafv2.CfnWebACL.RuleProperty(
        name=group,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=group, rule_action_overrides=overrides or None
            )
        ),
        visibility_config=_visibility(group),
    )


def _rate_rule(priority: int, limit: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name="RateLimitPerIp",
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", evaluation_window_sec=300
            )
        ),
        visibility_config=_visibility("RateLimitPerIp"),
    )


class Waf(Construct):
    """A regional web ACL with the managed groups and the rate rule, associated with the ALB."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        alb: elbv2.IApplicationLoadBalancer,
        rate_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [_managed_rule(i, group) for i, group in enumerate(MANAGED_RULE_GROUPS)]
        rules.append(_rate_rule(len(rules), rate_limit))
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=_visibility(name),
            description="dbtier: AWS managed rule groups and a per-IP rate limit",
        )
        wafv2.CfnWebACLAssociation(
            self,
            "Association",
            resource_arn=alb.load_balancer_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )


__all__ = ["COUNT_ONLY", "MANAGED_RULE_GROUPS", "Waf"]
