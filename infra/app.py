"""The CDK app for `cdk deploy` / `cdk synth` (run from this directory; see cdk.json).

Context comes from the CDK CLI (`-c stage=prod`, `-c engine=postgres`, ...); the
stack, its checks and its suppressions are the same ones `dbtier infra synth`
and the tests build (`dbtier.infra.synth.build_app`).
"""

from __future__ import annotations

import os
import sys

from dbtier.errors import DbtierError
from dbtier.infra.synth import build_app


def main() -> None:
    """Build the app from the CDK CLI's context and synthesize it to CDK_OUTDIR."""
    import aws_cdk as cdk

    context = cdk.App().node.get_all_context()
    try:
        app, _stack = build_app(context)
    except DbtierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    app.synth()


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    main()
