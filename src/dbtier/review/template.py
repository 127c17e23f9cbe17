"""Facts about the deployed design, read from a synthesized CloudFormation template.

The review does not synthesize: it reads what `dbtier infra synth --out DIR`
wrote, so the same template that would deploy is the one reviewed. Each
function returns plain values; judging them is `dbtier.review.sections`' work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtier.errors import UsageError


@dataclass(frozen=True)
class Template:
    path: Path
    resources: dict[str, dict[str, Any]]

    def of_type(self, type_name: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, v) for k, v in self.resources.items() if v.get("Type") == type_name]

    def props(self, type_name: str) -> list[dict[str, Any]]:
        return [v.get("Properties", {}) for _, v in self.of_type(type_name)]


def load_template(path: Path) -> Template:
    """The template at `path`, or the first `*.template.json` in a synth directory."""
    if path.is_dir():
        found = sorted(path.glob("*.template.json"))
        if not found:
            raise UsageError(
                f"--template {path}: no *.template.json (run `dbtier infra synth --out {path}`)"
            )
        path = found[0]
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"--template {path}: {exc}") from None
    resources = body.get("Resources")
    if not isinstance(resources, dict):
        raise UsageError(f"--template {path}: no Resources; not a CloudFormation template")
    return Template(path, resources)


def db_instance(template: Template) -> tuple[str, dict[str, Any]] | None:
    """The RDS instance (its logical id and whole resource), if the template has one."""
    found = template.of_type("AWS::RDS::DBInstance")
    return found[0] if found else None


def parameter_values(template: Template) -> dict[str, str]:
    """The DB parameter group's parameters (names lower-cased)."""
    values: dict[str, str] = {}
    for props in template.props("AWS::RDS::DBParameterGroup"):
        for name, value in (props.get("Parameters") or {}).items():
            values[str(name).lower()] = str(value)
    return values


def alarm_metrics(template: Template) -> list[str]:
    """`Namespace/MetricName` of every alarm (metric-math alarms list their metrics)."""
    found: list[str] = []
    for props in template.props("AWS::CloudWatch::Alarm"):
        if props.get("MetricName"):
            found.append(f"{props.get('Namespace', '?')}/{props['MetricName']}")
        for query in props.get("Metrics") or []:
            stat = (query.get("MetricStat") or {}).get("Metric") or {}
            if stat.get("MetricName"):
                found.append(f"{stat.get('Namespace', '?')}/{stat['MetricName']}")
    return found


def isolated_subnets(template: Template) -> set[str]:
    """Logical ids of the subnets the CDK marks Isolated (no route to the internet)."""
    ids = set()
    for logical, resource in template.of_type("AWS::EC2::Subnet"):
        tags = {
            t.get("Key"): t.get("Value") for t in resource.get("Properties", {}).get("Tags", [])
        }
        if tags.get("aws-cdk:subnet-type") == "Isolated":
            ids.add(logical)
    return ids


def refs(value: Any) -> set[str]:
    """Every logical id a property value refers to (Ref, Fn::GetAtt)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value and isinstance(value["Fn::GetAtt"], list):
            found.add(str(value["Fn::GetAtt"][0]))
        for inner in value.values():
            found |= refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= refs(inner)
    return found


__all__ = [
    "Template",
    "alarm_metrics",
    "db_instance",
    "isolated_subnets",
    "load_template",
    "parameter_values",
    "refs",
]
