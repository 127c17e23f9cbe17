"""What a security reviewer signs: cdk-nag, cfn-lint, no secret values, the Dockerfile."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from infra_synthesis import Synthesis

from dbtier.infra.context import REPO_ROOT

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]

GENERIC_REASONS = re.compile(r"^(n/?a|ok|fine|ignore|todo|not needed|false positive)\.?$", re.I)
SECRET_KEYS = re.compile(r"password|secret|token|passwd|private.?key", re.I)
DYNAMIC_REFERENCE = "{{resolve:secretsmanager:"
# `password=...` or `"password": "..."` in any string (a dynamic reference has neither).
LITERAL_PASSWORD = re.compile(r'(?i)(password|passwd|pwd)\s*=\s*[^\s&;]{3,}|"password"\s*:\s*"[^"]')


def suppressions(s: Synthesis) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical, rule)
        for logical, resource in s.template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def test_no_unsuppressed_aws_solutions_errors(synthesis: Synthesis) -> None:
    nag = [(path, msg) for path, msg in synthesis.errors if msg.startswith("AwsSolutions-")]
    assert nag == []
    assert synthesis.errors == []
    (report,) = synthesis.outdir.glob(f"AwsSolutions-*{synthesis.artifact_id}-NagReport.csv")
    assert "Non-Compliant" not in report.read_text()


def test_every_suppression_names_the_finding_and_a_specific_reason(synthesis: Synthesis) -> None:
    found = suppressions(synthesis)
    assert found, "the reviewed suppressions are in the template metadata"
    for logical, rule in found:
        assert re.fullmatch(r"AwsSolutions-[A-Z]+\d+", rule["id"]), (logical, rule["id"])
        reason = rule["reason"]
        assert len(reason) >= 80 and not GENERIC_REASONS.match(reason), (logical, reason)
    assert len({rule["reason"] for _, rule in found}) >= 8


def test_public_alb_ingress_suppression_gives_its_reason(dev: Synthesis) -> None:
    reasons = [
        rule["reason"] for logical, rule in suppressions(dev) if rule["id"] == "AwsSolutions-EC23"
    ]
    assert len(set(reasons)) == 1
    assert "0.0.0.0/0" in reasons[0]
    assert "80/443" in reasons[0]


def test_dev_only_suppressions_are_absent_in_prod(prod_postgres: Synthesis) -> None:
    ids = {rule["id"] for _, rule in suppressions(prod_postgres)}
    assert "AwsSolutions-RDS3" not in ids
    assert "AwsSolutions-RDS10" not in ids


def documented_cfn_lint_warnings() -> set[str]:
    page = (REPO_ROOT / "docs" / "infrastructure.md").read_text(encoding="utf-8")
    section = page.split("<!-- section: infra -->")[1].split("<!-- /section: infra -->")[0]
    kept = section.split("cfn-lint warnings kept")[1]
    return set(re.findall(r"^\s*-\s+`?(W\d{4})", kept, flags=re.M))


def test_cfn_lint_finds_no_errors_and_only_documented_warnings(synthesis: Synthesis) -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(synthesis.template_file, config=ManualArgs(regions=["ap-northeast-1"]))
    errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    warnings = {m.rule.id for m in matches if m.rule.id.startswith("W")}
    assert warnings <= documented_cfn_lint_warnings(), warnings


def secret_leaks(template: dict[str, Any]) -> list[str]:
    """Literal values under secret-sounding keys, and password assignments in strings."""
    leaks: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "GenerateSecretString":
                    continue  # the recipe RDS's password is generated from, not a value
                if SECRET_KEYS.search(key) and isinstance(value, str | int):
                    leaks.append(f"{path}.{key}={value!r}")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")
        elif isinstance(node, str) and LITERAL_PASSWORD.search(node):
            leaks.append(f"{path}: {node[:60]}")

    walk(template, "")
    return leaks


def test_the_leak_check_catches_literal_secrets() -> None:
    assert secret_leaks({"R": {"Properties": {"MasterUserPassword": "hunter22"}}})
    assert secret_leaks({"R": {"Properties": {"Environment": [{"Value": "password=hunter22"}]}}})
    assert secret_leaks({"R": {"Properties": {"Variables": {"API_TOKEN": "abc"}}}})


def test_no_secret_value_in_the_template(synthesis: Synthesis) -> None:
    assert secret_leaks(synthesis.template) == []
    _, db = synthesis.one("AWS::RDS::DBInstance")
    password = db["Properties"]["MasterUserPassword"]["Fn::Join"][1]
    assert password[0] == DYNAMIC_REFERENCE
    assert not synthesis.template.get("Parameters", {}).keys() - {"BootstrapVersion"}


def test_rds_is_never_publicly_accessible(synthesis: Synthesis) -> None:
    for db in synthesis.resources("AWS::RDS::DBInstance").values():
        assert db["Properties"]["PubliclyAccessible"] is False


class TestDockerfile:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")

    def instructions(self) -> list[tuple[str, str]]:
        joined = re.sub(r"\\\n", " ", self.text)
        lines = [line.strip() for line in joined.splitlines()]
        return [
            (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines
            if line and not line.startswith("#")
        ]

    def test_multi_stage_with_uv_from_the_lock_file(self) -> None:
        froms = [arg for op, arg in self.instructions() if op == "FROM"]
        assert len(froms) >= 3
        assert any("astral-sh/uv" in f for f in froms)
        runs = " ".join(arg for op, arg in self.instructions() if op == "RUN")
        assert "uv sync --frozen --no-dev" in runs

    def test_final_stage_runs_as_a_non_root_user(self) -> None:
        ops = self.instructions()
        last_from = max(i for i, (op, _) in enumerate(ops) if op == "FROM")
        users = [arg for op, arg in ops[last_from:] if op == "USER"]
        assert users, "the runtime stage sets USER"
        assert users[-1].split(":")[0] not in ("root", "0")
        copies = [arg for op, arg in ops[last_from:] if op == "COPY"]
        assert all("--from=" in c for c in copies), "the runtime stage copies only build output"

    def test_no_secret_baked_in(self) -> None:
        for op, arg in self.instructions():
            if op in ("ENV", "ARG", "LABEL"):
                assert not SECRET_KEYS.search(arg), arg
                assert "AWS_ACCESS_KEY" not in arg.upper()

    def test_serves_the_app_on_the_service_port(self) -> None:
        cmd = [arg for op, arg in self.instructions() if op == "CMD"][-1]
        assert "nippo.app:create_app" in cmd and '"8000"' in cmd

    def test_build_context_is_only_what_the_build_reads(self) -> None:
        ignore = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        rules = [r for r in ignore if r and not r.startswith("#")]
        assert rules[0] == "*"
        assert {"!pyproject.toml", "!uv.lock", "!src/"} <= set(rules)
        assert not any(
            Path(r.lstrip("!")).name in (".env", ".venv", ".git")
            for r in rules
            if r.startswith("!")
        )


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_diagram_command_draws_the_synthesized_template(dev: Synthesis, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dbtier.cli import app

    out = tmp_path / "architecture.png"
    result = CliRunner().invoke(
        app, ["infra", "diagram", "--template-dir", str(dev.outdir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
