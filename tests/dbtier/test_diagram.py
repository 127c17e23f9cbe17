"""The architecture diagram, drawn from a template with Graphviz."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dbtier.infra.diagram import draw

TEMPLATE = {
    "Resources": {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "Engine": "mysql",
                "EngineVersion": "8.0",
                "DBInstanceClass": "db.t4g.medium",
            },
        },
        "Schedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "ScheduleExpression": "cron(0 3 * * ? *)",
                "ScheduleExpressionTimezone": "Asia/Tokyo",
            },
        },
        "Budget": {"Type": "AWS::Budgets::Budget", "Properties": {}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
    }
}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_draws_a_png(tmp_path: Path) -> None:
    (tmp_path / "App.template.json").write_text(json.dumps(TEMPLATE))
    png = draw(tmp_path, tmp_path / "out" / "architecture.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width > 1000 and height > 400
