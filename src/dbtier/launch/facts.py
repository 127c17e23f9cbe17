"""What the launcher and the stack that deploys it must agree on, declared once.

The migration task definition (`dbtier.infra.migration`) names its container
and command from here and passes all three facts to the launcher function as
environment variables (`CONTAINER_NAME`, `STARTED_BY`, `JOB_COMMAND`); the local
launcher (`dbtier.launch.local`) reads them from here too. The Lambda handler
(`lambda_function.py`, shipped alone as the function's asset) never repeats
them: it reads the environment. Standard library only, no imports at all.
"""

from __future__ import annotations

STARTED_BY = "dbtier-migrate"
"""RunTask's `startedBy`: the overlap guard lists running tasks by it."""

CONTAINER_NAME = "migrate"
"""The migration task definition's container, whose command the launcher overrides."""

JOB_COMMAND: tuple[str, ...] = ("dbtier", "migrate", "run")
"""The job's command; the launcher appends `--trigger-id` and `--scheduled-time`."""

__all__ = ["CONTAINER_NAME", "JOB_COMMAND", "STARTED_BY"]
