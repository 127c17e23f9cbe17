"""Reviewed allowances: `# dbtier: allow RULE-ID because <reason>` in a revision file.

A reviewer who accepts a blocking finding writes the line next to the
migration, so the decision and its reason are in the history of the code.
Comments are found with Python's own tokenizer (a `#` inside a string is not a
comment); the comment's text is then read with one pattern. Several rule ids
may share a line (`allow DROP-COLUMN, DROP-TABLE because ...`).

An allowance without a reason, or naming no known rule, is itself a blocking
finding (`ALLOW-INVALID`) that no allowance can waive; an allowance no finding
uses is a warning (`ALLOW-UNUSED`).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, replace
from pathlib import Path

from dbtier.migrate.lint.findings import Finding
from dbtier.migrate.lint.rules import NOT_ALLOWABLE, RULES

_PREFIX = re.compile(r"#\s*dbtier:\s*allow\b", re.IGNORECASE)
_LINE = re.compile(
    r"#\s*dbtier:\s*allow\s+(?P<rules>[A-Z0-9-]+(?:\s*,\s*[A-Z0-9-]+)*)"
    r"(?:\s+because\b\s*(?P<reason>.*?))?\s*$"
)


@dataclass(frozen=True)
class Allowance:
    """One rule waived for one revision, with the reviewer's reason."""

    rule_id: str
    reason: str
    line: int


def _comments(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT]


def read(path: Path | None, revision: str) -> tuple[list[Allowance], list[Finding]]:
    """The allowances in a revision file, and an ALLOW-INVALID finding per bad line."""
    if path is None or not path.is_file():
        return [], []
    allowances: list[Allowance] = []
    errors: list[Finding] = []
    for line, comment in _comments(path):
        if not _PREFIX.match(comment):
            continue
        match = _LINE.match(comment)
        problem = None
        if match is None:
            problem = "cannot read it; write `# dbtier: allow RULE-ID because <reason>`"
        elif not match["reason"]:
            problem = "has no reason: a review writes down why"
        else:
            ids = [r.strip() for r in match["rules"].split(",")]
            unknown = [r for r in ids if r not in RULES or r in NOT_ALLOWABLE]
            if unknown:
                problem = f"names no rule dbtier knows ({', '.join(unknown)})"
            else:
                allowances += [Allowance(r, match["reason"].strip(), line) for r in ids]
        if problem:
            message = f"{path.name}:{line}: the allowance {problem}"
            errors.append(Finding("ALLOW-INVALID", revision, comment, message, line=line))
    return allowances, errors


def apply(findings: list[Finding], allowances: list[Allowance], revision: str) -> list[Finding]:
    """Mark findings the revision's allowances cover; warn about unused allowances."""
    by_rule = {a.rule_id: a for a in allowances}
    used: set[str] = set()
    out = []
    for finding in findings:
        allowance = by_rule.get(finding.rule_id)
        if allowance is not None and finding.rule_id not in NOT_ALLOWABLE:
            used.add(finding.rule_id)
            finding = replace(finding, allowed_because=allowance.reason)
        out.append(finding)
    for allowance in allowances:
        if allowance.rule_id not in used:
            message = f"line {allowance.line}: `allow {allowance.rule_id}` matches no finding"
            out.append(Finding("ALLOW-UNUSED", revision, "", message, line=allowance.line))
    return out


__all__ = ["Allowance", "apply", "read"]
