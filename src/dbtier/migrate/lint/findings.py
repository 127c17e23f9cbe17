"""What lint reports: findings, and the report of one lint run (text, JSON, exit code)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dbtier.migrate.lint.rules import BLOCKING, WARNING, rule

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dbtier.migrate.lint.schema import Change


@dataclass(frozen=True)
class Target:
    """The engine and server version the SQL is rendered and judged for.

    `table_rows`: the live database's row estimates per table, when the job
    knows them (the gate does; offline lint does not).
    """

    engine: str  # postgresql | mysql | mariadb | sqlite
    version: tuple[int, ...]
    table_rows: Mapping[str, int] | None = field(default=None, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.engine} {'.'.join(map(str, self.version))}"


@dataclass(frozen=True)
class Finding:
    """One rule broken by one statement of one revision."""

    rule_id: str
    revision: str
    statement: str
    message: str
    severity: str = ""
    line: int = 0
    allowed_because: str | None = None
    # The schema change behind a portable finding (the deployed-code check reads it).
    change: Change | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", rule(self.rule_id).severity)

    @property
    def why(self) -> str:
        return rule(self.rule_id).why

    @property
    def safe(self) -> str:
        return rule(self.rule_id).safe

    @property
    def blocks(self) -> bool:
        """Does this finding refuse the migration (blocking and not allowed)?"""
        return self.severity == BLOCKING and self.allowed_because is None

    def downgraded(self, note: str) -> Finding:
        """The same finding as a warning, with a note saying why it no longer blocks."""
        return replace(self, severity=WARNING, message=f"{self.message}; {note}")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "revision": self.revision,
            "line": self.line,
            "statement": self.statement,
            "message": self.message,
            "why": self.why,
            "safe_alternative": self.safe,
            "allowed_because": self.allowed_because,
        }


@dataclass(frozen=True)
class LintReport:
    """The findings for the pending revisions of one project on one target."""

    target: Target
    revisions: tuple[str, ...]
    findings: tuple[Finding, ...] = field(default=())
    deployed: str | None = None  # how the deployed code was known, if it was

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks)

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "target": {"engine": self.target.engine, "version": self.target.label.split()[1]},
            "revisions": list(self.revisions),
            "deployed": self.deployed,
            "blocking": len(self.blocking),
            "findings": [f.to_json() for f in self.findings],
        }

    def summary(self) -> str:
        """One line per blocking finding: what the gate's history row records."""
        return "; ".join(
            f"{f.revision}: {f.rule_id} ({f.message}) — {f.statement[:120]}" for f in self.blocking
        )


__all__ = ["Finding", "LintReport", "Target"]
