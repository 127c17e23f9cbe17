"""The offline estimate, on a small template written here and on the price table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dbtier import engine_lifecycle
from dbtier.cli import app
from dbtier.cost import estimate_templates, load_price_table
from dbtier.cost.estimate import estimate_resources
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


def _rds(version: str, *, multi_az: bool = False, lifecycle: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "DBInstanceClass": "db.t4g.medium",
        "MultiAZ": multi_az,
        "AllocatedStorage": "20",
        "StorageType": "gp3",
        "Engine": "mysql",
        "EngineVersion": version,
    }
    if lifecycle is not None:
        props["EngineLifecycleSupport"] = lifecycle
    return {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": props}}}


NOW = dt.date(2026, 11, 30)


@pytest.mark.parametrize("multi_az", [False, True])
def test_mysql80_adds_the_extended_support_charge_per_vcpu_hour(multi_az: bool) -> None:
    prices = load_price_table()
    template = _rds("8.0.43", multi_az=multi_az, lifecycle=engine_lifecycle.EXTENDED)
    estimate = estimate_resources(template["Resources"], prices, today=NOW)
    db = next(i for i in estimate.items if i.logical_id == "Db")
    assert "mysql 8.0.43" in db.basis
    extended = next(i for i in estimate.items if i.logical_id == "Db (Extended Support)")
    # db.t4g.medium: 2 vCPU × the Tokyo rate × 730 h, the Multi-AZ standby charged too
    rate = prices["rds_extended_support_vcpu_hour"]
    assert rate == 0.120
    assert extended.monthly_usd == pytest.approx(2 * rate * 730 * (2 if multi_az else 1), abs=0.01)
    assert "MySQL 8.0 past standard support (2026-07-31)" in extended.basis
    assert estimate.notes == [
        "engine MySQL 8.0.43: RDS standard support ended 2026-07-31; "
        "open-source-rds-extended-support"
    ]
    source = prices.prices["rds_extended_support_vcpu_hour"]
    assert source.source and source.date and source.confidence


def test_no_extended_support_before_the_date_or_for_a_supported_engine() -> None:
    prices = load_price_table()
    before = estimate_resources(_rds("8.0.43")["Resources"], prices, today=dt.date(2026, 7, 31))
    assert [i.logical_id for i in before.items] == ["Db"]
    current = estimate_resources(_rds("8.4.10")["Resources"], prices, today=NOW)
    assert [i.logical_id for i in current.items] == ["Db"]
    assert current.notes == ["engine MySQL 8.4.10: RDS standard support until 2029-07-31"]


def test_cli_names_the_engine_and_the_extended_support_line(tmp_path: Path) -> None:
    (tmp_path / "App.template.json").write_text(
        json.dumps(_rds("8.0.43", lifecycle=engine_lifecycle.EXTENDED))
    )
    result = CliRunner().invoke(app, ["cost", "estimate", "--template-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Db (Extended Support)" in result.output
    assert "Engine MySQL 8.0.43: RDS standard support ended 2026-07-31" in result.output


def test_waf_web_acl_priced_per_acl_rule_and_request(tmp_path: Path) -> None:
    rules = [{"Name": f"r{i}", "Priority": i} for i in range(4)]
    template = {
        "Resources": {"Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": rules}}}
    }
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    prices = load_price_table()
    (acl,) = estimate_templates(tmp_path, prices).items
    requests = prices.assumptions["waf_requests_million"]
    assert acl.monthly_usd == pytest.approx(5.00 + 4 * 1.00 + requests * 0.60, abs=0.01)
    assert "4 rules" in acl.basis
