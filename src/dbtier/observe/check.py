"""`params check`: a running server against its design, and advice from its counters.

The report has the server (engine, version, uptime), the drift between the
profile's parameter design and the running values (when a profile is given),
and the advice items, each with the counters and settings it read, the uptime
and the design rule it relates to. Rendered as text (rich) or JSON.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from dbtier.errors import UsageError
from dbtier.observe.advice import Advice, advise
from dbtier.observe.drift import Drift, find_drift
from dbtier.observe.server import ServerSnapshot, read_server


@dataclass
class CheckReport:
    """What `params check` found on one server."""

    server: str
    snapshot: ServerSnapshot
    profile: str | None
    design_engine: str | None
    drift: list[Drift]
    advice: list[Advice]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "server": self.server,
            "engine": self.snapshot.engine,
            "version": self.snapshot.version,
            "uptime_s": self.snapshot.uptime_s,
            "profile": self.profile,
            "design_engine": self.design_engine,
            "drift": [asdict(item) | {"describe": item.describe()} for item in self.drift],
            "advice": [item.as_dict() for item in self.advice],
            "notes": self.notes + self.snapshot.notes,
        }


def check_server(engine: Engine, server: str, profile_path: Path | None) -> CheckReport:
    """Read the server behind `engine`, compare with the design of `profile_path`, advise."""
    from dbtier.params import design, load_profile

    backend = engine.url.get_backend_name()
    if backend not in ("mysql", "mariadb", "postgresql"):
        raise UsageError(f"params check reads MySQL, MariaDB or PostgreSQL servers, not {backend}")
    profile = load_profile(profile_path) if profile_path is not None else None
    snapshot = read_server(engine)
    notes: list[str] = []
    drift: list[Drift] = []
    design_engine = None
    if profile is None:
        notes.append("no --profile: drift from a design not checked, advice only")
    else:
        designed = design(profile)
        design_engine = designed.engine
        design_dialect = "postgres" if designed.engine.startswith("postgres") else "mysql"
        if design_dialect != snapshot.dialect:
            raise UsageError(
                f"--profile {profile_path} designs {designed.engine}, but the server is "
                f"{snapshot.engine} {snapshot.version}; give a profile for this engine"
            )
        if not designed.engine.startswith(snapshot.engine):
            notes.append(
                f"the profile designs {designed.engine}; the server is {snapshot.engine} "
                f"{snapshot.version}: settings one engine lacks show as absent"
            )
        drift = find_drift(designed, snapshot)
    return CheckReport(
        server,
        snapshot,
        str(profile_path) if profile_path else None,
        design_engine,
        drift,
        advise(snapshot),
        notes,
    )


def _uptime(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h {rest // 60}m" if days else f"{hours}h {rest // 60}m {rest % 60}s"


def _numbers(values: dict[str, Any]) -> str:
    def shown(value: Any) -> str:
        return f"{value:.0f}" if isinstance(value, float) and value.is_integer() else str(value)

    return ", ".join(f"{name}={shown(value)}" for name, value in values.items())


def render_text(report: CheckReport) -> str:
    """Drift and advice as rich tables (plain text when not on a terminal)."""
    from rich.console import Console
    from rich.table import Table

    snapshot = report.snapshot
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False, color_system=None)
    console.print(
        f"{report.server}: {snapshot.engine} {snapshot.version}, up {_uptime(snapshot.uptime_s)}"
        + (f"; design of {report.profile} ({report.design_engine})" if report.profile else ""),
        highlight=False,
        markup=False,
    )
    if report.profile:
        drift = Table(title=f"Drift from the design ({len(report.drift)})", title_justify="left")
        for header in ("parameter", "kind", "running", "designed", "unit", "rule", "applies"):
            drift.add_column(header)
        for item in report.drift:
            running = item.running if item.pending is None else f"{item.running} → {item.pending}"
            drift.add_row(
                item.name,
                item.kind,
                running or "-",
                item.designed,
                item.unit,
                item.rule,
                item.apply_method,
            )
        console.print(drift)
    advice = Table(title="Advice from the counters", title_justify="left")
    for header in ("check", "status", "finding", "counters / settings", "rule"):
        advice.add_column(header, overflow="fold")
    for entry in report.advice:
        stands_on = _numbers(entry.counters)
        if entry.settings:
            stands_on += ("; " if stands_on else "") + _numbers(entry.settings)
        advice.add_row(entry.check, entry.status, entry.finding, stands_on, entry.rule)
    console.print(advice)
    console.print(
        f"counters are cumulative over the {_uptime(snapshot.uptime_s)} the server has been up",
        highlight=False,
        markup=False,
    )
    for note in report.notes + snapshot.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    return buffer.getvalue()


def render_json(report: CheckReport) -> str:
    """The report as JSON."""
    return json.dumps(report.as_dict(), indent=2, default=str) + "\n"


__all__ = ["CheckReport", "check_server", "render_json", "render_text"]
