"""`dbtier params diff`: what a design changes against a baseline, and why.

Baselines: `rds-default` (RDS's defaults evaluated for the profile's class),
`engine-default` (a freshly installed server) and `pgtune` (PGTune for the same
inputs, PostgreSQL only). Every parameter the design sets is listed with the
baseline's value; for PGTune, the parameters PGTune sets and the design leaves
alone are listed too, with the design's reason.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from typing import Literal

from rich.console import Console
from rich.table import Table

from dbtier.errors import UsageError
from dbtier.params.defaults import engine_default_values, rds_default_values
from dbtier.params.design import ParameterDesign
from dbtier.params.engines import engine_facts
from dbtier.params.pgtune import pgtune

AGAINST = ("rds-default", "engine-default", "pgtune")
ChangeKind = Literal["raise", "lower", "set", "same", "baseline only"]


@dataclass(frozen=True)
class Change:
    """One parameter: the baseline's value, the design's, and why the design differs."""

    name: str
    baseline: str | None
    design: str | None
    unit: str
    change: ChangeKind
    reason: str


def baseline_values(design: ParameterDesign, against: str) -> dict[str, str]:
    """The baseline's values in RDS units."""
    if against == "rds-default":
        return rds_default_values(
            design.engine,
            design.instance.name,
            allocated_storage_gib=design.profile.storage.size_gib,
        )
    if against == "engine-default":
        return engine_default_values(design.engine)
    if against == "pgtune":
        return pgtune(design.profile)
    raise UsageError(f"--against: {against!r} is not one of {', '.join(AGAINST)}")


def _kind(baseline: str | None, value: str) -> ChangeKind:
    if baseline is None:
        return "set"
    try:
        before, after = float(baseline), float(value)
    except ValueError:
        return "same" if baseline == value else "set"
    if after == before:
        return "same"
    return "raise" if after > before else "lower"


def diff(design: ParameterDesign, against: str) -> list[Change]:
    """The design's parameters against the baseline `against` (one of AGAINST)."""
    base = baseline_values(design, against)
    if against == "rds-default":  # what the instance runs with: RDS's value, else the engine's
        facts = engine_facts(design.engine)
        for p in design.parameters:
            engine_value = facts.spec(p.name).engine_default
            if p.name not in base and engine_value is not None:
                base[p.name] = engine_value
    changes = [
        Change(
            p.name, base.get(p.name), p.value, p.unit, _kind(base.get(p.name), p.value), p.rationale
        )
        for p in design.parameters
    ]
    if against == "pgtune":
        kept = {k.name: k.reason for k in design.left_at_default}
        set_names = set(design.values)
        for name, value in base.items():
            if name in set_names:
                continue
            changes.append(
                Change(
                    name,
                    value,
                    None,
                    _unit(design, name),
                    "baseline only",
                    kept.get(name, "dbtier leaves it at the RDS default."),
                )
            )
    return changes


def _unit(design: ParameterDesign, name: str) -> str:
    params = engine_facts(design.engine).params
    return params[name].unit if name in params else ""


def render_diff(design: ParameterDesign, against: str, changes: list[Change], fmt: str) -> str:
    """The diff as a table, Markdown or JSON."""
    title = f"{design.profile.name} ({design.family} on {design.instance.name}) vs {against}"
    if fmt == "json":
        return (
            json.dumps(
                {"against": against, "changes": [asdict(c) for c in changes]},
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if fmt == "markdown":
        lines = [
            f"# {title}",
            "",
            f"| parameter | {against} | dbtier | unit | change | why |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| `{c.name}` | {c.baseline or '(unset)'} | {c.design or '(default)'} | {c.unit} "
            f"| {c.change} | {c.reason} |"
            for c in changes
        ]
        return "\n".join(lines) + "\n"
    if fmt != "table":
        raise UsageError(f"--format: {fmt!r} is not one of table, markdown, json")
    table = Table(title=title)
    for column in ("parameter", against, "dbtier", "unit", "change", "why"):
        table.add_column(column, overflow="fold")
    for c in changes:
        table.add_row(
            c.name, c.baseline or "(unset)", c.design or "(default)", c.unit, c.change, c.reason
        )
    buffer = io.StringIO()
    Console(file=buffer, width=160, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()


__all__ = ["AGAINST", "Change", "baseline_values", "diff", "render_diff"]
