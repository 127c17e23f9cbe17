"""Renderers of a design: table, Markdown design note, JSON, aws CLI batches, CDK, conf.

table     a rich terminal table, then the connection budget of each stage
markdown  the design note a mentor reviews: profile, parameters with
          rationale, memory budget, connection budget, what was left at
          default and why
json      the design as data: parameters, memory, connection_budget,
          left_at_default, notes
aws       `aws rds modify-db-parameter-group --cli-input-json` documents,
          at most 20 parameters each (the API's limit)
cdk       the `parameters` mapping of the CDK `rds.ParameterGroup`
conf      a my.cnf / postgresql.conf fragment for a self-managed server
"""

from __future__ import annotations

import io
import json
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from dbtier.errors import UsageError
from dbtier.params.conf import to_conf
from dbtier.params.defaults import rds_default_values
from dbtier.params.design import ParameterDesign
from dbtier.params.memory import mib

FORMATS = ("table", "markdown", "json", "aws", "cdk", "conf")
AWS_BATCH = 20


def cdk_parameters(design: ParameterDesign) -> dict[str, str]:
    """The mapping CDK's `rds.ParameterGroup(parameters=...)` takes."""
    return dict(design.values)


def group_name(design: ParameterDesign) -> str:
    """The parameter group's name: the profile's name and the family."""
    return f"{design.profile.name}-{design.family.replace('.', '-')}"


def aws_batches(design: ParameterDesign) -> list[dict[str, Any]]:
    """`modify-db-parameter-group` inputs of at most 20 parameters each."""
    entries = [
        {
            "ParameterName": p.name,
            "ParameterValue": p.value,
            "ApplyMethod": p.apply_method,
        }
        for p in design.parameters
    ]
    return [
        {"DBParameterGroupName": group_name(design), "Parameters": entries[i : i + AWS_BATCH]}
        for i in range(0, len(entries), AWS_BATCH)
    ]


def as_data(design: ParameterDesign) -> dict[str, Any]:
    """The design as JSON-ready data."""
    return {
        "profile": design.profile.name,
        "engine": design.engine,
        "family": design.family,
        "instance_class": design.instance.name,
        "max_connections": design.max_connections,
        "parameters": [
            {
                "name": p.name,
                "value": p.value,
                "unit": p.unit,
                "apply_method": p.apply_method,
                "rule": p.rule,
                "rationale": p.rationale,
                **({"formula": p.formula} if p.formula else {}),
            }
            for p in design.parameters
        ],
        "memory": design.memory.as_dict(),
        "left_at_default": [
            {"name": kept.name, "default": kept.default, "reason": kept.reason}
            for kept in design.left_at_default
        ],
        "connection_budget": [
            {"stage": b.stage, **b.terms(), "fits": b.total <= design.max_connections}
            for b in design.profile.connections.budgets()
        ],
        "notes": list(design.notes),
    }


def budget_lines(design: ParameterDesign) -> list[str]:
    """The connection budget of each stage against the designed max_connections."""
    lines = []
    for budget in design.profile.connections.budgets():
        verdict = "fits" if budget.total <= design.max_connections else "DOES NOT FIT"
        lines.append(f"{budget.describe()} ≤ max_connections {design.max_connections}: {verdict}")
    return lines


def _table(design: ParameterDesign) -> str:
    table = Table(
        title=f"{design.profile.name}: {design.family} on {design.instance.name}",
        caption=_memory_line(design),
        show_lines=False,
    )
    for column in ("parameter", "value", "unit", "apply", "rule", "rationale"):
        table.add_column(column, overflow="fold")
    for p in design.parameters:
        table.add_row(p.name, p.value, p.unit, p.apply_method, p.rule, p.rationale)
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False, color_system=None)
    console.print(table)
    console.print("Connection budget (profile connections section, dbtier.budget):")
    for line in budget_lines(design):
        console.print(f"  {line}", highlight=False, markup=False)
    if design.notes:
        console.print("Notes:")
        for note in design.notes:
            console.print(f"  - {note}", highlight=False, markup=False)
    return buffer.getvalue()


def _memory_line(design: ParameterDesign) -> str:
    m = design.memory
    return (
        f"worst case {mib(m.worst_case_bytes)} = {m.fraction:.0%} of DBInstanceClassMemory "
        f"{mib(m.class_memory_bytes)} (limit {m.limit_fraction:.0%})"
    )


def _markdown(design: ParameterDesign) -> str:
    m, p = design.memory, design.profile
    profile_yaml = yaml.safe_dump(p.model_dump(mode="json"), sort_keys=False).rstrip()
    lines = [
        f"# Parameter design: {p.name} ({design.family} on {design.instance.name})",
        "",
        f"{p.description}".strip(),
        "",
        "## Profile",
        "",
        "```yaml",
        profile_yaml,
        "```",
        "",
        f"{design.instance.name}: {design.instance.vcpu} vCPU, {design.instance.memory_gib} GiB "
        f"nominal, DBInstanceClassMemory {mib(m.class_memory_bytes)} (modelled).",
        "",
        "## Parameters",
        "",
        "| parameter | value | unit | apply | rule | rationale |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{x.name}` | `{x.value}` | {x.unit} | {x.apply_method} | {x.rule} | {x.rationale} |"
        for x in design.parameters
    ]
    lines += ["", "## Memory budget", "", _memory_line(design) + ".", ""]
    lines += ["| item | bytes | counted |", "|---|---|---|"]
    lines += [f"| {name} | {mib(size)} | once |" for name, size in m.global_items.items()]
    lines += [
        f"| {name} | {mib(size)} | × max_connections {m.max_connections} |"
        for name, size in m.per_connection_items.items()
    ]
    lines += [
        f"| {name} | {mib(size)} | × autovacuum workers {m.autovacuum_workers} |"
        for name, size in m.per_worker_items.items()
    ]
    lines += ["", "## Connection budget", ""]
    lines += [f"- {line}" for line in budget_lines(design)]
    lines += ["", "## Left at default", ""]
    lines += [
        f"- `{kept.name}` = `{kept.default}`: {kept.reason}" for kept in design.left_at_default
    ]
    if design.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in design.notes]
    return "\n".join(line for line in lines) + "\n"


def render(design: ParameterDesign, fmt: str) -> str:
    """The design in one of FORMATS."""
    if fmt == "table":
        return _table(design)
    if fmt == "markdown":
        return _markdown(design)
    if fmt == "json":
        return json.dumps(as_data(design), indent=2, ensure_ascii=False) + "\n"
    if fmt == "aws":
        return json.dumps(aws_batches(design), indent=2) + "\n"
    if fmt == "cdk":
        return json.dumps(cdk_parameters(design), indent=2) + "\n"
    if fmt == "conf":
        # The parameter group inherits RDS's default `huge_pages` (on, above the medium
        # PostgreSQL classes); a self-managed server matches it only with huge pages
        # reserved, which the rendered line says how.
        inherited = rds_default_values(design.engine, design.instance.name).get("huge_pages")
        values = design.values
        if inherited == "on":
            values = {"huge_pages": inherited} | values
        return to_conf(design.engine, values)
    raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")


__all__ = [
    "AWS_BATCH",
    "FORMATS",
    "as_data",
    "aws_batches",
    "budget_lines",
    "cdk_parameters",
    "group_name",
    "render",
]
