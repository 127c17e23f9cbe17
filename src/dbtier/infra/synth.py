"""Synthesis in-process: context in, a directory with the CloudFormation template out.

The same `build_app` backs `infra/app.py` (for `cdk deploy`), `dbtier infra
synth` and the tests. Context is checked first (`dbtier.infra.context`), so a
bad value fails before any construct exists; cdk-nag's AwsSolutions checks run
as an aspect, and an unsuppressed finding fails `synthesize`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dbtier.errors import SynthesisError

if TYPE_CHECKING:
    import aws_cdk as cdk

    from dbtier.infra.stack import DbtierStack


def build_app(
    context: Mapping[str, object], outdir: Path | None = None
) -> tuple[cdk.App, DbtierStack]:
    """The CDK app with the dbtier stack and the AwsSolutions checks, not yet synthesized."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from dbtier.infra.context import parse_context
    from dbtier.infra.parameter_group import spec_from_profile
    from dbtier.infra.stack import DbtierStack
    from dbtier.infra.suppressions import suppress_reviewed_findings

    checked = parse_context(context)
    spec = spec_from_profile(checked.workload_profile, engine=checked.engine)
    spec.check_budget(checked.stage)  # before any construct: max_connections holds the budget
    app = cdk.App(outdir=str(outdir) if outdir is not None else None)
    stack = DbtierStack(app, checked.name, context=checked, parameter_group=spec)
    suppress_reviewed_findings(stack, checked)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def synthesize(context: Mapping[str, object], outdir: Path) -> Path:
    """Synthesize into `outdir`; return it. Raises on any error annotation."""
    outdir.mkdir(parents=True, exist_ok=True)
    app, stack = build_app(context, outdir)
    app.synth()
    errors = error_messages(outdir, stack.artifact_id)
    if errors:
        listing = "\n  ".join(errors)
        raise SynthesisError(f"synthesis of {stack.stack_name} reported errors:\n  {listing}")
    return outdir


def cdk_annotations(outdir: Path, artifact_id: str, level: str) -> list[tuple[str, str]]:
    """(construct path, message) of each `aws:cdk:<level>` entry in the cloud assembly."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    artifact = manifest["artifacts"][artifact_id]
    metadata = dict(artifact.get("metadata", {}))
    extra = artifact.get("additionalMetadataFile")
    if extra:  # newer CDK versions move the metadata to a file of its own
        metadata.update(json.loads((outdir / extra).read_text(encoding="utf-8")))
    return [
        (path, str(entry.get("data")))
        for path, entries in metadata.items()
        for entry in entries
        if entry.get("type") == f"aws:cdk:{level}"
    ]


def error_messages(outdir: Path, artifact_id: str) -> list[str]:
    """`path: message` of each error the synthesis reported (cdk-nag's included)."""
    return [f"{path}: {message}" for path, message in cdk_annotations(outdir, artifact_id, "error")]


def dbtier_warnings(outdir: Path, artifact_id: str) -> list[str]:
    """`path: message` of the warnings dbtier itself adds (ids `dbtier:...`), e.g. an
    engine past the end of RDS standard support."""
    return [
        f"{path}: {message}"
        for path, message in cdk_annotations(outdir, artifact_id, "warning")
        if "[ack: dbtier:" in message
    ]


def template_path(outdir: Path, artifact_id: str) -> Path:
    """The stack's CloudFormation template in `outdir`."""
    return outdir / f"{artifact_id}.template.json"


__all__ = [
    "SynthesisError",
    "build_app",
    "cdk_annotations",
    "dbtier_warnings",
    "error_messages",
    "synthesize",
    "template_path",
]
