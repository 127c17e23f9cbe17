"""A monthly estimate per resource from synthesized CloudFormation templates.

Each resource type that bills by the hour or the month has a small pricing
function; usage-billed parts (LCUs, NAT traffic, log ingestion) use the
assumptions stated in the price table, and every line says its basis. An RDS
instance's line names its engine and version; one whose major version is past
the end of RDS standard support (`dbtier.engine_lifecycle`) and not opted out
of Extended Support gets a second line: vCPUs × the Extended Support rate ×
hours (× 2 for Multi-AZ, whose standby is charged too).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtier import engine_lifecycle
from dbtier.cost.prices import PriceTable, load_price_table
from dbtier.errors import UsageError
from dbtier.params.catalog import instance_class

Resource = dict[str, Any]


@dataclass(frozen=True)
class LineItem:
    """One priced resource."""

    logical_id: str
    resource_type: str
    monthly_usd: float
    basis: str


@dataclass
class Estimate:
    """Line items and their total, in USD a month."""

    region: str
    items: list[LineItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(item.monthly_usd for item in self.items), 2)


@dataclass(frozen=True)
class _Context:
    prices: PriceTable
    resources: dict[str, Resource]
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month


def _props(resource: Resource) -> dict[str, Any]:
    props = resource.get("Properties", {})
    return props if isinstance(props, dict) else {}


def _number(value: Any, default: float) -> float:
    """A literal number from a template value; intrinsic functions give the default."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _rds_instance(ctx: _Context, props: dict[str, Any]) -> tuple[float, str]:
    cls = str(props.get("DBInstanceClass", "db.t4g.micro"))
    multi_az = _truthy(props.get("MultiAZ", False))
    factor = 2 if multi_az else 1
    storage_gb = _number(props.get("AllocatedStorage"), 20)
    storage_type = str(props.get("StorageType", "gp2")).lower()
    storage_key = "rds_gp3_gb_month" if storage_type == "gp3" else "rds_gp2_gb_month"
    compute = ctx.prices.rds_hourly(cls) * ctx.hours * factor
    storage = ctx.prices[storage_key] * storage_gb * factor
    az = "Multi-AZ" if multi_az else "Single-AZ"
    engine = f"{props.get('Engine', '?')} {props.get('EngineVersion', '(version not pinned)')}"
    return compute + storage, f"{cls} {az}, {storage_gb:g} GB {storage_type}, {engine}"


def _engine_support(props: dict[str, Any]) -> engine_lifecycle.EngineSupport | None:
    engine, version = props.get("Engine"), props.get("EngineVersion")
    if not isinstance(engine, str) or not isinstance(version, str):
        return None
    key = engine_lifecycle.engine_key(engine, version)
    return engine_lifecycle.support(key) if key else None


def _extended_support(ctx: _Context, logical_id: str, props: dict[str, Any]) -> list[LineItem]:
    """RDS Extended Support for an instance past the end of standard support, if enrolled."""
    support = _engine_support(props)
    if support is None or not support.extended_support:
        return []
    if not support.past_standard_support(ctx.today):
        return []
    if props.get("EngineLifecycleSupport") == engine_lifecycle.DISABLED:
        return []  # RDS refuses to create it; the stack never writes this combination
    cls = str(props.get("DBInstanceClass", "db.t4g.micro"))
    vcpu = instance_class(cls).vcpu
    factor = 2 if _truthy(props.get("MultiAZ", False)) else 1
    rate = ctx.prices["rds_extended_support_vcpu_hour"]
    cost = vcpu * rate * ctx.hours * factor
    standby = " × 2 (Multi-AZ standby)" if factor == 2 else ""
    basis = (
        f"RDS Extended Support: {support.label} past standard support "
        f"({support.standard_support_ends.isoformat()}), {vcpu} vCPU × ${rate:g}/vCPU-hour"
        f"{standby}"
    )
    return [
        LineItem(f"{logical_id} (Extended Support)", "AWS::RDS::DBInstance", round(cost, 2), basis)
    ]


def _engine_note(ctx: _Context, props: dict[str, Any]) -> str | None:
    support = _engine_support(props)
    if support is None:
        return None
    version = f"{support.label.split()[0]} {props['EngineVersion']}"
    ends = support.standard_support_ends.isoformat()
    if support.past_standard_support(ctx.today):
        lifecycle = props.get("EngineLifecycleSupport", engine_lifecycle.EXTENDED)
        return f"engine {version}: RDS standard support ended {ends}; {lifecycle}"
    return f"engine {version}: RDS standard support until {ends}"


def _task_rates(ctx: _Context, task_definition: Resource) -> tuple[float, float, str]:
    props = _props(task_definition)
    vcpu = _number(props.get("Cpu"), 256) / 1024
    memory_gb = _number(props.get("Memory"), 512) / 1024
    platform = props.get("RuntimePlatform", {}) or {}
    arch = "arm" if str(platform.get("CpuArchitecture", "X86_64")).upper() == "ARM64" else "x86"
    hourly = (
        vcpu * ctx.prices[f"fargate_vcpu_hour_{arch}"]
        + memory_gb * ctx.prices[f"fargate_gb_hour_{arch}"]
    )
    return hourly, vcpu, f"{vcpu:g} vCPU / {memory_gb:g} GB {arch}"


def _ecs_service(ctx: _Context, props: dict[str, Any]) -> tuple[float, str]:
    ref = props.get("TaskDefinition", {})
    logical = ref.get("Ref") if isinstance(ref, dict) else None
    task = ctx.resources.get(str(logical), {})
    hourly, _, shape = _task_rates(ctx, task)
    count = _number(props.get("DesiredCount"), 1)
    return hourly * ctx.hours * count, f"{count:g} Fargate task(s) of {shape}, always on"


def _load_balancer(ctx: _Context, props: dict[str, Any]) -> tuple[float, str]:
    lcu = ctx.prices.assumptions["alb_lcu"]
    azs = len(props.get("Subnets", [])) or 2
    hourly = ctx.prices["alb_hour"] + lcu * ctx.prices["alb_lcu_hour"]
    if props.get("Scheme", "internet-facing") == "internet-facing":
        hourly += azs * ctx.prices["public_ipv4_hour"]
    return hourly * ctx.hours, f"ALB, {lcu:g} LCU average, {azs} public IPv4 addresses"


def _nat_gateway(ctx: _Context, _props: dict[str, Any]) -> tuple[float, str]:
    gb = ctx.prices.assumptions["nat_gb_per_month"]
    hourly = ctx.prices["nat_gateway_hour"] + ctx.prices["public_ipv4_hour"]
    return hourly * ctx.hours + gb * ctx.prices["nat_gateway_gb"], f"NAT gateway, {gb:g} GB/month"


def _flat(key: str, basis: str) -> Callable[[_Context, dict[str, Any]], tuple[float, str]]:
    def price(ctx: _Context, _props: dict[str, Any]) -> tuple[float, str]:
        return ctx.prices[key], basis

    return price


def _lambda(ctx: _Context, _props: dict[str, Any]) -> tuple[float, str]:
    runs = ctx.prices.assumptions["lambda_invocations"]
    return runs / 1e6 * ctx.prices["lambda_request_million"], f"{runs:g} invocations/month"


def _web_acl(ctx: _Context, props: dict[str, Any]) -> tuple[float, str]:
    rules = len(props.get("Rules", []))
    requests = ctx.prices.assumptions["waf_requests_million"]
    cost = (
        ctx.prices["waf_web_acl_month"]
        + rules * ctx.prices["waf_rule_month"]
        + requests * ctx.prices["waf_request_million"]
    )
    return cost, f"WAF web ACL, {rules} rules, {requests:g}M requests/month"


_PRICERS: dict[str, Callable[[_Context, dict[str, Any]], tuple[float, str]]] = {
    "AWS::RDS::DBInstance": _rds_instance,
    "AWS::ECS::Service": _ecs_service,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::EC2::NatGateway": _nat_gateway,
    "AWS::SecretsManager::Secret": _flat("secrets_manager_secret_month", "one secret"),
    "AWS::CloudWatch::Alarm": _flat("cloudwatch_alarm_month", "standard alarm"),
    "AWS::KMS::Key": _flat("kms_key_month", "customer managed key"),
    "AWS::Lambda::Function": _lambda,
    "AWS::WAFv2::WebACL": _web_acl,
}


def _dashboards(ctx: _Context) -> list[LineItem]:
    ids = [k for k, r in ctx.resources.items() if r.get("Type") == "AWS::CloudWatch::Dashboard"]
    free = int(ctx.prices.assumptions["free_dashboards"])
    price = ctx.prices["cloudwatch_dashboard_month"]
    return [
        LineItem(lid, "AWS::CloudWatch::Dashboard", 0.0 if i < free else price, "dashboard")
        for i, lid in enumerate(ids)
    ]


def _logs(ctx: _Context) -> list[LineItem]:
    if not any(r.get("Type") == "AWS::Logs::LogGroup" for r in ctx.resources.values()):
        return []
    gb = ctx.prices.assumptions["logs_gb_per_month"]
    cost = gb * ctx.prices["cloudwatch_logs_ingest_gb"]
    return [LineItem("(log groups)", "AWS::Logs::LogGroup", cost, f"{gb:g} GB ingested/month")]


def load_templates(template_dir: Path) -> dict[str, Resource]:
    """Every resource of every `*.template.json` in a directory (a cdk.out)."""
    files = sorted(template_dir.glob("*.template.json"))
    if not files:
        raise UsageError(
            f"no *.template.json in {template_dir}: run `dbtier infra synth --out {template_dir}`"
        )
    resources: dict[str, Resource] = {}
    for path in files:
        try:
            template = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}: not valid JSON (line {exc.lineno})") from None
        resources.update(template.get("Resources", {}))
    return resources


def estimate_resources(
    resources: dict[str, Resource], prices: PriceTable, *, today: dt.date | None = None
) -> Estimate:
    """Price each resource of a template (Extended Support as of `today`, default today)."""
    ctx = _Context(prices=prices, resources=resources, today=today or dt.date.today())
    estimate = Estimate(region=prices.region)
    for logical_id, resource in resources.items():
        pricer = _PRICERS.get(str(resource.get("Type")))
        if pricer is None:
            continue
        props = _props(resource)
        cost, basis = pricer(ctx, props)
        estimate.items.append(LineItem(logical_id, resource["Type"], round(cost, 2), basis))
        if resource["Type"] == "AWS::RDS::DBInstance":
            estimate.items.extend(_extended_support(ctx, logical_id, props))
            note = _engine_note(ctx, props)
            if note is not None:
                estimate.notes.append(note)
    estimate.items.extend(_dashboards(ctx))
    estimate.items.extend(_logs(ctx))
    estimate.items.sort(key=lambda item: item.monthly_usd, reverse=True)
    return estimate


def estimate_templates(
    template_dir: Path, prices: PriceTable | None = None, *, today: dt.date | None = None
) -> Estimate:
    """The monthly estimate of a synthesized app."""
    return estimate_resources(
        load_templates(template_dir), prices or load_price_table(), today=today
    )


__all__ = ["Estimate", "LineItem", "estimate_resources", "estimate_templates", "load_templates"]
