"""The RDS formula language against published RDS default values."""

from __future__ import annotations

import pytest

from dbtier.errors import UsageError
from dbtier.params import instance_class, rds_default_values
from dbtier.params.formula import (
    FormulaError,
    evaluate,
    instance_variables,
    is_formula,
    memory_fraction,
    parse,
)

MiB = 1024 * 1024


def env(memory: int, vcpu: int = 2) -> dict[str, int]:
    return instance_variables(
        class_memory_bytes=memory, vcpu=vcpu, allocated_storage_bytes=20 << 30, port=3306
    )


@pytest.mark.parametrize(
    "text",
    [
        "{DBInstanceClassMemory*3/4}",
        "{DBInstanceClassMemory/12582880}",
        "LEAST({DBInstanceClassMemory/9531392},5000)",
        "GREATEST({DBInstanceClassMemory*1024/63963136},65536)",
        "GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)",
        "SUM({DBInstanceClassMemory/12582880},-50)",
        "LEAST({DBInstanceVCPU*536870912},17179869184)",
        "{AllocatedStorage/100}",
        "{EndPointPort}",
    ],
)
def test_parse_then_emit_round_trips(text: str) -> None:
    assert parse(text).emit() == text


def test_dollar_brace_and_spaces_are_accepted() -> None:
    assert evaluate("GREATEST(${DBInstanceVCPU*2}, 8)", env(GiB_(1), vcpu=8)) == 16
    assert evaluate("GREATEST(${DBInstanceVCPU*2}, 8)", env(GiB_(1), vcpu=2)) == 8


def GiB_(n: int) -> int:
    return n << 30


# RDS for MySQL 8.0's default max_connections {DBInstanceClassMemory/12582880}, as observed
# on 1, 2, 4 and 8 GiB classes (research/params.md): 66, 150, 312, 648.
@pytest.mark.parametrize(
    ("klass", "expected"),
    [("db.t3.micro", 66), ("db.t3.small", 150), ("db.t3.medium", 312), ("db.t3.large", 648)],
)
def test_mysql_max_connections_default_matches_rds(klass: str, expected: int) -> None:
    assert rds_default_values("mysql8.0", klass)["max_connections"] == str(expected)


def test_mysql_formulas_on_a_known_class_memory() -> None:
    # DBInstanceClassMemory of a 16 GiB MySQL instance, read from a live parameter dump.
    memory = 15_892_177_440
    assert evaluate("{DBInstanceClassMemory/12582880}", env(memory)) == 1263
    assert evaluate("{DBInstanceClassMemory*3/4}", env(memory)) == 11_919_133_080


def test_postgres_defaults_are_near_published_values() -> None:
    # db.t3.micro PG16: max_connections 81, shared_buffers 186 MB as SHOW prints it (MiB).
    micro = rds_default_values("postgres16", "db.t3.micro")
    assert abs(int(micro["max_connections"]) - 81) / 81 < 0.10
    assert abs(int(micro["shared_buffers"]) * 8192 / MiB - 186) / 186 < 0.10
    # db.t4g.xlarge PG16: max_connections 1727, shared_buffers 3927 MB.
    xlarge = rds_default_values("postgres16", "db.t4g.xlarge")
    assert abs(int(xlarge["max_connections"]) - 1727) / 1727 < 0.02
    assert abs(int(xlarge["shared_buffers"]) * 8192 / MiB - 3927) / 3927 < 0.02


def test_least_caps_postgres_max_connections_at_5000() -> None:
    assert rds_default_values("postgres16", "db.r7g.16xlarge")["max_connections"] == "5000"


def test_mariadb_max_connections_formula() -> None:
    memory = instance_class("db.t4g.medium").class_memory_bytes
    expected = min(memory // 25165760, 12000)
    assert rds_default_values("mariadb10.11", "db.t4g.medium")["max_connections"] == str(expected)


def test_log_is_base_two_and_floors_below_one() -> None:
    formula = "GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)"
    assert evaluate(formula, env(GiB_(4))) == 200  # log of 0 counts as 0
    assert evaluate(formula, env(4 * 21474836480)) == 1200  # log2(4) × 600
    assert evaluate(formula, env(3 * 21474836480)) == 950  # trunc(log2(3) × 600)


def test_arithmetic_truncates_at_each_step() -> None:
    assert evaluate("{DBInstanceClassMemory/3*3}", env(10)) == 9
    assert evaluate("{DBInstanceClassMemory*3/4}", env(10)) == 7


def test_sum_adds_terms() -> None:
    assert evaluate("SUM({DBInstanceVCPU*2},-1)", env(1, vcpu=4)) == 7


def test_memory_fraction_emits_rds_syntax() -> None:
    assert memory_fraction(3, 4) == "{DBInstanceClassMemory*3/4}"
    assert memory_fraction(1, 32768) == "{DBInstanceClassMemory/32768}"
    assert evaluate(memory_fraction(3, 4), env(400)) == 300


def test_is_formula() -> None:
    assert is_formula("{DBInstanceClassMemory*3/4}")
    assert is_formula("LEAST({DBInstanceClassMemory/9531392},5000)")
    assert not is_formula("134217728")
    assert not is_formula("FILE")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{DBInstanceMemory*3/4}", "unknown name 'DBInstanceMemory'"),
        ("{DBInstanceClassMemory*3/4", "expected '}'"),
        ("MAX(1,2)", "unexpected 'MAX'"),
        ("{DBInstanceClassMemory+1}", "unexpected character at position 22"),
        ("LEAST(1,2) 3", "unexpected text"),
        ("{DBInstanceClassMemory/0}", "division by zero"),
    ],
)
def test_invalid_formulas_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        evaluate(text, env(GiB_(1)))


def test_formula_errors_are_usage_errors() -> None:
    assert issubclass(FormulaError, UsageError)


def test_missing_variable_is_named() -> None:
    with pytest.raises(FormulaError, match="DBInstanceVCPU"):
        evaluate("{DBInstanceVCPU*2}", {"DBInstanceClassMemory": 1})


def test_micro_class_memory_is_below_nominal() -> None:
    micro = instance_class("db.t3.micro")
    assert micro.class_memory_bytes < micro.memory_bytes
    assert 700 * MiB < micro.class_memory_bytes < 850 * MiB
