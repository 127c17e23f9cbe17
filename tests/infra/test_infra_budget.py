"""The connection budget and the supported engines, in the synthesized templates.

The shared syntheses (dev/MySQL 8.4, prod/PostgreSQL 17) carry the budget's
pool sizes, auto scaling range and deploy maximum; a budget above
max_connections is refused before any construct exists (no synthesis); MySQL
8.0 is checked on the data construct alone, in a small stack of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk.assertions import Annotations, Match, Template
from infra_synthesis import Synthesis
from typer.testing import CliRunner

from dbtier import engine_lifecycle
from dbtier.budget import ConnectionBudgetError
from dbtier.cli import app
from dbtier.infra.context import REPO_ROOT
from dbtier.infra.parameter_group import spec_from_profile
from dbtier.infra.synth import build_app, cdk_annotations
from dbtier.params import load_profile

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]

NIPPO = REPO_ROOT / "examples/workloads/nippo.yaml"
NIPPO_POSTGRES = REPO_ROOT / "examples/workloads/nippo-postgres.yaml"


def service_container(s: Synthesis) -> dict[str, Any]:
    for task in s.resources("AWS::ECS::TaskDefinition").values():
        for definition in task["Properties"]["ContainerDefinitions"]:
            if definition["Name"] == "app":
                return definition  # type: ignore[no-any-return]
    raise AssertionError("no app container")


def variant(tmp_path: Path, source: Path, **changes: Any) -> Path:
    """A copy of a profile with top-level or `section__field` changes."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[key] = value
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class TestConnectionBudget:
    @pytest.mark.parametrize(
        ("which", "stage", "profile"),
        [("dev", "dev", NIPPO), ("prod_postgres", "prod", NIPPO_POSTGRES)],
    )
    def test_service_takes_pools_scaling_and_deploy_from_the_budget(
        self, request: pytest.FixtureRequest, which: str, stage: str, profile: Path
    ) -> None:
        s: Synthesis = request.getfixturevalue(which)
        budget = load_profile(profile).connections.budget(stage)
        env = {e["Name"]: e["Value"] for e in service_container(s)["Environment"]}
        assert env["DBTIER_POOL_SIZE"] == str(budget.pool_size) == "5"
        assert env["DBTIER_MAX_OVERFLOW"] == str(budget.max_overflow) == "5"
        _, target = s.one("AWS::ApplicationAutoScaling::ScalableTarget")
        scaling = target["Properties"]
        assert (scaling["MinCapacity"], scaling["MaxCapacity"]) == (
            budget.tasks.min,
            budget.tasks.max,
        )
        assert (budget.tasks.min, budget.tasks.max) == {"dev": (1, 2), "prod": (2, 6)}[stage]
        _, service = s.one("AWS::ECS::Service")
        props = service["Properties"]
        assert props["DesiredCount"] == budget.tasks.min
        assert props["DeploymentConfiguration"]["MaximumPercent"] == budget.deploy_max_percent

    @pytest.mark.parametrize(
        ("which", "stage", "profile"),
        [("dev", "dev", NIPPO), ("prod_postgres", "prod", NIPPO_POSTGRES)],
    )
    def test_designed_max_connections_holds_the_budget_at_the_maximum(
        self, request: pytest.FixtureRequest, which: str, stage: str, profile: Path
    ) -> None:
        s: Synthesis = request.getfixturevalue(which)
        _, group = s.one("AWS::RDS::DBParameterGroup")
        designed = int(group["Properties"]["Parameters"]["max_connections"])
        connections = load_profile(profile).connections
        assert connections.budget(stage).total <= designed
        # the design is sized for the largest stage: prod's 6 tasks × 200 % × (5 + 5) + 6
        assert connections.budget().total == 127 <= designed

    def test_a_budget_above_max_connections_refuses_synthesis(self, tmp_path: Path) -> None:
        pinned = variant(tmp_path, NIPPO, name="pinned", connections__max_connections=100)
        out = tmp_path / "out"
        with pytest.raises(ConnectionBudgetError) as caught:
            build_app({"stage": "prod", "workload_profile": str(pinned)}, out)
        message = str(caught.value)
        for term in (
            "pool 5",
            "overflow 5",
            "× 12 tasks",
            "auto scaling maximum 6",
            "deploy maximum 200 %",
            "= 120",
            "migration job 1",
            "rotation 3",
            "other clients 3",
            "= 127 > max_connections 100",
            "prod stage",
        ):
            assert term in message, term
        assert not (out / "manifest.json").exists()
        # the same profile fits the dev stage: 10 × 4 + 7 = 47 connections
        assert spec_from_profile(pinned, engine="mysql").check_budget("dev").total == 47

    def test_cli_exits_1_naming_the_budget(self, tmp_path: Path) -> None:
        pinned = variant(tmp_path, NIPPO, name="pinned", connections__max_connections=100)
        result = CliRunner().invoke(
            app,
            [
                "infra",
                "synth",
                "--out",
                str(tmp_path / "o"),
                "-c",
                "stage=prod",
                "-c",
                f"workload_profile={pinned}",
            ],
        )
        assert result.exit_code == 1
        flat = " ".join(result.output.split())
        assert "exceeds max_connections" in flat and "= 127 > max_connections 100" in flat


class TestEngines:
    def test_defaults_are_mysql84_and_postgres17_with_extended_support_disabled(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        for s, engine, version in ((dev, "mysql", "8.4.10"), (prod_postgres, "postgres", "17.9")):
            _, db = s.one("AWS::RDS::DBInstance")
            props = db["Properties"]
            assert (props["Engine"], props["EngineVersion"]) == (engine, version)
            assert props["EngineLifecycleSupport"] == engine_lifecycle.DISABLED
            warnings = cdk_annotations(s.outdir, s.artifact_id, "warning")
            assert not [m for _, m in warnings if "dbtier:engine-support" in m]
        _, group = dev.one("AWS::RDS::DBParameterGroup")
        assert group["Properties"]["Family"] == "mysql8.4"

    def test_cost_estimate_of_the_default_stack_names_the_engine(self, dev: Synthesis) -> None:
        result = CliRunner().invoke(
            app, ["cost", "estimate", "--template-dir", str(dev.outdir), "--json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        db = next(i for i in data["items"] if i["resource_type"] == "AWS::RDS::DBInstance")
        assert "mysql 8.4.10" in db["basis"]
        assert data["notes"] == ["engine MySQL 8.4.10: RDS standard support until 2029-07-31"]
        assert not any("Extended Support" in i["logical_id"] for i in data["items"])

    def test_mysql80_is_selectable_with_a_warning_extended_support_and_its_cost(
        self, tmp_path: Path
    ) -> None:
        """On the data construct alone: a whole-stack synthesis per engine would cost minutes."""
        from aws_cdk import App, Stack

        from dbtier.infra.data import Data, DataSettings
        from dbtier.infra.network import Network

        profile = variant(
            tmp_path, NIPPO, name="nippo80", engine="mysql8.0", engine_version="8.0.43"
        )
        stack = Stack(App(), "Mysql80")
        Data(
            stack,
            "Data",
            vpc=Network(stack, "Network", nat_gateways=1).vpc,
            spec=spec_from_profile(profile, engine="mysql"),
            settings=DataSettings(
                identifier="nippo80-db",
                multi_az=False,
                deletion_protection=False,
                backup_retention_days=7,
            ),
        )
        template = Template.from_stack(stack)
        template.has_resource_properties(
            "AWS::RDS::DBInstance",
            {
                "Engine": "mysql",
                "EngineVersion": "8.0.43",
                "EngineLifecycleSupport": "open-source-rds-extended-support",
            },
        )
        Annotations.from_stack(stack).has_warning(
            "*",
            Match.string_like_regexp(
                r"MySQL 8\.0 reached the end of RDS standard support on 2026-07-31.*"
                r"Extended Support.*upgrade to engine mysql8\.4"
            ),
        )
        out = tmp_path / "cdk.out"
        out.mkdir()
        (out / "Mysql80.template.json").write_text(json.dumps(template.to_json()))
        result = CliRunner().invoke(app, ["cost", "estimate", "--template-dir", str(out)])
        assert result.exit_code == 0, result.output
        flat = " ".join(result.output.split())
        assert "(Extended Support)" in flat
        data = json.loads(
            CliRunner()
            .invoke(app, ["cost", "estimate", "--template-dir", str(out), "--json"])
            .output
        )
        extended = next(i for i in data["items"] if i["logical_id"].endswith("(Extended Support)"))
        assert extended["basis"].startswith(
            "RDS Extended Support: MySQL 8.0 past standard support (2026-07-31), 2 vCPU × $0.12"
        )
        assert extended["monthly_usd"] == pytest.approx(2 * 0.12 * 730, abs=0.01)
        assert "mysql 8.0.43" in flat
        assert "Engine MySQL 8.0.43: RDS standard support ended 2026-07-31" in flat
