"""The synthesized stacks the infra tests share: what a synthesis yields, and how to make one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtier.infra.synth import build_app, cdk_annotations, template_path

CERTIFICATE = (
    "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)
PROD_POSTGRES = {
    "engine": "postgres",
    "stage": "prod",
    "certificate_arn": CERTIFICATE,
    "backup_retention_days": "14",
    "alarm_email": "ops@example.com",
    "waf": "true",
}


@dataclass
class Synthesis:
    """One synthesized stack: where it is, its template, its error annotations."""

    outdir: Path
    artifact_id: str
    region: str
    template: dict[str, Any]
    errors: list[tuple[str, str]]

    @property
    def template_file(self) -> Path:
        return template_path(self.outdir, self.artifact_id)

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        """Logical id → resource, for every resource of `type_`."""
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == type_}

    def container(self, name: str) -> dict[str, Any]:
        """The container definition called `name`, in whichever task definition holds it."""
        for task in self.resources("AWS::ECS::TaskDefinition").values():
            for definition in task["Properties"]["ContainerDefinitions"]:
                if definition["Name"] == name:
                    return definition  # type: ignore[no-any-return]
        raise AssertionError(f"no container {name}")

    def one(self, type_: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(type_)
        assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
        return next(iter(found.items()))


def synthesize_for_tests(out: Path, context: dict[str, str]) -> Synthesis:
    app, stack = build_app(context, out)
    app.synth()
    artifact_id = stack.artifact_id
    template = json.loads(template_path(out, artifact_id).read_text(encoding="utf-8"))
    return Synthesis(
        outdir=out,
        artifact_id=artifact_id,
        region=stack.region,
        template=template,
        errors=cdk_annotations(out, artifact_id, "error"),
    )
