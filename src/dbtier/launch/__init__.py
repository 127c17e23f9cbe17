"""The launcher: a scheduler firing in, one migration job started (or none, safely).

`lambda_function` is the Lambda handler (standard library and boto3 only, so it
deploys as a plain asset); `local` runs the same logic with a subprocess in place
of a Fargate task.
"""

from __future__ import annotations

from dbtier.launch.lambda_function import (
    CapacityUnavailable,
    LauncherConfig,
    LaunchError,
    LaunchRejected,
    client_token,
    handler,
    launch,
)
from dbtier.launch.local import LaunchOutcome, launch_locally

__all__ = [
    "CapacityUnavailable",
    "LaunchError",
    "LaunchOutcome",
    "LaunchRejected",
    "LauncherConfig",
    "client_token",
    "handler",
    "launch",
    "launch_locally",
]
