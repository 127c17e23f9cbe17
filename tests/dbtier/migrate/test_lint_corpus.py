"""The lint corpus: every case gives exactly its expected findings, clean cases stay clean.

The PostgreSQL half is also read by squawk alone: dbtier's blocking verdict
must be squawk's, except in the cases that say why they differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dbtier.migrate.lint import RULES, lint_sql, target_for
from dbtier.migrate.lint.postgres import JOB_SETS, SQUAWK_RULES, run_squawk
from dbtier.migrate.lint.rules import BLOCKING

CORPUS = Path(__file__).resolve().parents[2] / "data" / "lint_corpus"
FAMILIES = {"postgresql": "postgresql", "mysql": "mysql"}


def _load(family: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CORPUS / f"{family}.yaml").read_text())
    return data


def _cases(family: str) -> list[Any]:
    data = _load(family)
    return [pytest.param(data, case, id=case["name"]) for case in data["cases"]]


def _expected(case: dict[str, Any]) -> set[str]:
    out = set()
    for item in case["expect"]:
        rule_id, _, severity = str(item).partition(":")
        assert rule_id in RULES, f"{case['name']}: unknown rule {rule_id}"
        out.add(f"{rule_id}:{severity or RULES[rule_id].severity}")
    return out


def _run(family: str, data: dict[str, Any], case: dict[str, Any]) -> set[str]:
    target = target_for(
        case.get("engine", FAMILIES[family]), case.get("version"), case.get("table_rows")
    )
    report = lint_sql(
        case["sql"],
        target,
        setup=case.get("setup", data["setup"]),
        job_timeouts=case.get("job_timeouts", True),
    )
    for finding in report.findings:  # every finding carries what a reader needs
        assert finding.why and finding.safe and finding.statement and finding.revision
    return {f"{f.rule_id}:{f.severity}" for f in report.findings}


@pytest.mark.parametrize(("data", "case"), _cases("postgresql"))
def test_postgresql_corpus(data: dict[str, Any], case: dict[str, Any]) -> None:
    assert _run("postgresql", data, case) == _expected(case)


@pytest.mark.parametrize(("data", "case"), _cases("mysql"))
def test_mysql_corpus(data: dict[str, Any], case: dict[str, Any]) -> None:
    assert _run("mysql", data, case) == _expected(case)


@pytest.mark.parametrize("family", ["postgresql", "mysql"])
def test_corpus_size(family: str) -> None:
    cases = _load(family)["cases"]
    clean = [c for c in cases if not c["expect"]]
    blocking = [c for c in cases if any(e.endswith(BLOCKING) for e in _expected(c))]
    assert len(cases) >= 30
    assert len(clean) >= 8
    assert len(blocking) >= 15
    assert len({c["name"] for c in cases}) == len(cases)


def _squawk_blocks(case: dict[str, Any]) -> bool:
    version = tuple(int(p) for p in str(case.get("version", "17")).split("."))
    exclude = tuple(name for name, mapped in SQUAWK_RULES.items() if mapped is None)
    if case.get("job_timeouts", True):
        exclude += JOB_SETS
    raw = run_squawk(case["sql"], version, exclude)
    mapped = [SQUAWK_RULES.get(str(r["rule_name"])) or "PG-SQUAWK" for r in raw]
    return any(RULES[rule_id].severity == BLOCKING for rule_id in mapped)


@pytest.mark.parametrize(("data", "case"), _cases("postgresql"))
def test_dbtier_and_squawk_agree(data: dict[str, Any], case: dict[str, Any]) -> None:
    dbtier_blocks = any(e.endswith(BLOCKING) for e in _run("postgresql", data, case))
    if case.get("squawk_differs"):
        assert dbtier_blocks != _squawk_blocks(case), case["squawk_differs"]
    else:
        assert dbtier_blocks == _squawk_blocks(case)
