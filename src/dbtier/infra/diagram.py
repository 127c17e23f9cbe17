"""Draw the architecture from the synthesized template, grouped as the seed's diagram is.

Region → VPC → subnet tiers (public / private / isolated), with Secrets Manager
inside the Tokyo region beside ECS, and Cost Explorer among the global
services. A node is drawn only when the template holds its resource, and its
label carries the template's facts (engine and class, schedule and zone).
Uses the `diagrams` package, which needs Graphviz's `dot` on PATH.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from dbtier.cost.estimate import load_templates
from dbtier.errors import ConfigError

Resources = dict[str, dict[str, Any]]


def _of_type(resources: Resources, kind: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in resources.values() if r.get("Type") == kind]


def _region(template_dir: Path, default: str) -> str:
    manifest = template_dir / "manifest.json"
    if manifest.exists():
        artifacts = json.loads(manifest.read_text()).get("artifacts", {})
        for artifact in artifacts.values():
            env = str(artifact.get("environment", ""))
            if env.startswith("aws://"):
                region = env.rsplit("/", 1)[-1]
                if region and "unknown" not in region:
                    return region
    return default


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _database_label(resources: Resources) -> str:
    for props in _of_type(resources, "AWS::RDS::DBInstance"):
        engine = _text(props.get("Engine"), "mysql")
        version = _text(props.get("EngineVersion"), "")
        cls = _text(props.get("DBInstanceClass"), "")
        multi = "Multi-AZ" if props.get("MultiAZ") in (True, "true") else "Single-AZ"
        return f"RDS {engine} {version}\n{cls} {multi}".strip()
    return "RDS"


def _schedule_label(resources: Resources) -> str:
    for props in _of_type(resources, "AWS::Scheduler::Schedule"):
        expr = _text(props.get("ScheduleExpression"), "")
        zone = _text(props.get("ScheduleExpressionTimezone"), "UTC")
        return f"EventBridge Scheduler\n{expr}\n{zone}"
    return "EventBridge Scheduler"


def draw(template_dir: Path, out: Path, *, default_region: str = "ap-northeast-1") -> Path:
    """Render the architecture PNG at `out` (its suffix is replaced by .png)."""
    if shutil.which("dot") is None:
        raise ConfigError(
            "Graphviz's `dot` is not on PATH: install graphviz (apt-get install graphviz)"
        )
    resources = load_templates(template_dir)
    region = _region(template_dir, default_region)
    out = out.with_suffix("")
    out.parent.mkdir(parents=True, exist_ok=True)
    _render(resources, region, out)
    return out.with_suffix(".png")


def _render(resources: Resources, region: str, out: Path) -> None:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.aws.compute import Fargate, LambdaFunction
    from diagrams.aws.cost import Budgets, CostExplorer
    from diagrams.aws.database import RDSMysqlInstance, RDSPostgresqlInstance
    from diagrams.aws.integration import (
        EventbridgeRule,
        EventbridgeScheduler,
        SimpleNotificationServiceSnsTopic,
        SimpleQueueServiceSqs,
    )
    from diagrams.aws.management import Cloudwatch
    from diagrams.aws.network import ElbApplicationLoadBalancer, NATGateway
    from diagrams.aws.security import IdentityAndAccessManagementIam, SecretsManager
    from diagrams.onprem.client import Users

    def has(kind: str) -> bool:
        return bool(_of_type(resources, kind))

    engine = next(
        (_text(p.get("Engine"), "") for p in _of_type(resources, "AWS::RDS::DBInstance")), ""
    )
    database_node = RDSPostgresqlInstance if engine.startswith("postgres") else RDSMysqlInstance
    graph_attr = {"fontsize": "22", "pad": "0.4", "nodesep": "0.7", "ranksep": "1.0"}
    with Diagram(
        "dbtier: the seed's Web 3-tier architecture",
        filename=str(out),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=graph_attr,
    ):
        users = Users("learners\n& mentors")
        with Cluster("AWS Cloud"):
            with Cluster("Global services"):
                cost = CostExplorer("Cost Explorer\n(reports, anomalies)")
                if has("AWS::Budgets::Budget"):
                    Budgets("AWS Budgets") - Edge(style="dotted") - cost
                IdentityAndAccessManagementIam("IAM")
            with Cluster(f"Region {region} (Tokyo)"):
                secret = SecretsManager("Secrets Manager\nDB credentials")
                scheduler = EventbridgeScheduler(_schedule_label(resources))
                launcher = LambdaFunction("Lambda\nRunTask launcher")
                dlq = SimpleQueueServiceSqs("SQS\ndead-letter queue")
                watch = Cloudwatch("CloudWatch\nlogs, alarms, dashboard")
                topic = SimpleNotificationServiceSnsTopic("SNS alarms")
                state_rule = EventbridgeRule("task state rule\nexit code != 0")
                with Cluster("VPC (2 AZs, flow logs)"):
                    with Cluster("public subnets"):
                        alb = ElbApplicationLoadBalancer("ALB\n(presentation tier)")
                        if has("AWS::EC2::NatGateway"):
                            NATGateway("NAT gateway")
                    with Cluster("private subnets"):
                        service = Fargate("ECS on Fargate\nFastAPI (nippo)")
                        migration = Fargate("Fargate task\nDB migration\nalembic upgrade head")
                    with Cluster("isolated subnets"):
                        database = database_node(_database_label(resources))
        users >> Edge(label="HTTPS") >> alb >> service >> database
        service >> Edge(style="dashed", label="ECS secrets") >> secret
        scheduler >> Edge(label="cron") >> launcher >> Edge(label="RunTask") >> migration
        migration >> Edge(label="migrate") >> database
        migration >> Edge(style="dashed") >> secret
        scheduler >> Edge(style="dotted", label="failed delivery") >> dlq
        migration >> Edge(style="dotted") >> state_rule >> topic
        watch >> topic


__all__ = ["draw"]
