"""The seed's architecture as a CDK app: one construct module per seed component.

`synthesize(context, outdir)` (in `dbtier.infra.synth`) builds and synthesizes
the stack in-process; `infra/app.py` uses the same `build_app` for `cdk deploy`.
Importing this package does not import aws-cdk-lib (an optional extra).
"""

from __future__ import annotations

import os

# jsii prints a banner about the Node.js version at every start; not actionable here.
for _variable in (
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION",
):
    os.environ.setdefault(_variable, "18,20")
