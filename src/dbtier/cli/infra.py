"""`dbtier infra`: synthesize the CDK app (see `dbtier.infra`).

`dbtier infra synth [--out DIR] [-c key=value ...]` runs the synthesis
in-process (no CDK CLI, no AWS credentials, no Docker daemon) and prints the
template's path, after dbtier's own warnings (an engine past the end of RDS
standard support) on stderr. A bad context value exits 2 with the key named; an
unsuppressed cdk-nag finding, or a connection budget above max_connections,
exits 1 naming it.
`dbtier infra diagram [--out FILE] [--template-dir DIR]` draws the synthesized
template (`dbtier.infra.diagram`), synthesizing first when DIR holds none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dbtier.cli._common import command
from dbtier.errors import UsageError

app = typer.Typer(no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", help="Directory for the cloud assembly.")]
ContextOption = Annotated[
    list[str] | None,
    typer.Option("-c", "--context", help="Context as key=value; repeat for more."),
]


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """`key=value` strings into a mapping; anything else is a usage error naming it."""
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-c {pair!r}: expected key=value, e.g. -c stage=prod")
        context[key.strip()] = value.strip()
    return context


@app.command("synth")
@command
def synth(
    out: OutOption = Path("cdk.out"),
    context: ContextOption = None,
) -> None:
    """Synthesize the CloudFormation template, run cdk-nag AwsSolutions, print the path."""
    from rich.console import Console

    values = parse_pairs(context or [])
    console = Console(stderr=True)
    with console.status("synthesizing the CDK app (cdk-nag AwsSolutions included)"):
        from dbtier.infra.context import parse_context
        from dbtier.infra.synth import dbtier_warnings, synthesize, template_path

        name = parse_context(values).name
        outdir = synthesize(values, out)
    for warning in dbtier_warnings(outdir, name):
        console.print(f"warning: {warning}", highlight=False, markup=False)
    typer.echo(str(template_path(outdir, name)))


@app.command("diagram")
@command
def diagram(
    out: Annotated[Path, typer.Option("--out", help="PNG to write.")] = Path(
        "docs/architecture.png"
    ),
    template_dir: Annotated[
        Path,
        typer.Option(
            "--template-dir",
            help="A cloud assembly; synthesized into when empty or when -c is given.",
        ),
    ] = Path("cdk.out"),
    context: ContextOption = None,
) -> None:
    """Draw the architecture from the synthesized template (diagrams + Graphviz)."""
    values = parse_pairs(context or [])
    if values or not any(template_dir.glob("*.template.json")):
        from dbtier.infra.synth import synthesize

        synthesize(values, template_dir)
    from dbtier.infra.diagram import draw

    typer.echo(str(draw(template_dir, out)))
