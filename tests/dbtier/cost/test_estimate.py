"""The offline estimate, on a small template written here and on the price table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.cost import estimate_templates, load_price_table
from dbtier.errors import UsageError

TEMPLATE = {
    "Resources": {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceClass": "db.t4g.medium",
                "MultiAZ": True,
                "AllocatedStorage": "100",
                "StorageType": "gp3",
            },
        },
        "TaskDef": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Cpu": "512", "Memory": "1024"},
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {"TaskDefinition": {"Ref": "TaskDef"}, "DesiredCount": 2},
        },
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    }
}


def _write(tmp_path: Path) -> Path:
    (tmp_path / "App.template.json").write_text(json.dumps(TEMPLATE))
    return tmp_path


def test_prices_each_carry_a_source_and_date() -> None:
    table = load_price_table()
    assert table.region == "ap-northeast-1"
    for price in [*table.prices.values(), table.rds_price]:
        assert price.source and price.date and price.unit


def test_rds_multi_az_doubles_instance_and_storage(tmp_path: Path) -> None:
    prices = load_price_table()
    estimate = estimate_templates(_write(tmp_path), prices)
    db = next(item for item in estimate.items if item.logical_id == "Db")
    expected = 2 * (prices.rds_hourly("db.t4g.medium") * 730 + prices["rds_gp3_gb_month"] * 100)
    assert db.monthly_usd == pytest.approx(expected, abs=0.01)
    assert "Multi-AZ" in db.basis


def test_fargate_service_priced_from_its_task_definition(tmp_path: Path) -> None:
    prices = load_price_table()
    estimate = estimate_templates(_write(tmp_path), prices)
    service = next(item for item in estimate.items if item.logical_id == "Service")
    hourly = 0.5 * prices["fargate_vcpu_hour_x86"] + 1 * prices["fargate_gb_hour_x86"]
    assert service.monthly_usd == pytest.approx(2 * hourly * 730, abs=0.01)
    assert estimate.total == pytest.approx(sum(i.monthly_usd for i in estimate.items), abs=0.01)
    assert {i.logical_id for i in estimate.items} == {"Db", "Service", "Secret", "Alarm"}


def test_missing_templates_name_the_command(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="dbtier infra synth"):
        estimate_templates(tmp_path)


def test_cli_prints_table_and_total(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cost", "estimate", "--template-dir", str(_write(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "Db" in result.output
    result = CliRunner().invoke(app, ["cost", "estimate", "--template-dir", str(tmp_path / "no")])
    assert result.exit_code == 2
