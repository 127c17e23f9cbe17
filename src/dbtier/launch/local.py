"""The local launcher: the Lambda handler's logic, with a subprocess for a Fargate task.

`launch_locally` builds the event EventBridge Scheduler would send, passes it to
the same `launch()` the Lambda function runs, with `LocalRunner` in place of ECS,
and waits for the job to exit. Its log lines share the firing's trigger id and
execution id, so one firing reads as scheduler → launcher.handler →
launcher.local → the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from dbtier.config import Settings
from dbtier.errors import ConfigError, LaunchFailed
from dbtier.launch import facts
from dbtier.launch.lambda_function import (
    LauncherConfig,
    LauncherConfigError,
    LaunchError,
    launch,
    normalize_time,
)
from dbtier.launch.local_runner import LocalRunner
from dbtier.logs import get_logger

LOCAL_CLUSTER = "local"
LOCAL_TASK_DEFINITION = "dbtier-migrate-job"

Status = Literal["started", "skipped", "duplicate"]


@dataclass(frozen=True)
class LaunchOutcome:
    """What one firing came to: a job that ran (and its exit code), or none."""

    status: Status
    task_id: str | None
    exit_code: int | None
    trigger_id: str = ""
    execution_id: str = ""

    @property
    def succeeded(self) -> bool:
        """True when no job failed: it exited 0, or another job covers this firing."""
        return self.exit_code in (0, None)


def _handler_log(event: str, **fields: Any) -> None:
    level = str(fields.pop("level", "info"))
    log = get_logger("launcher.handler")
    getattr(log, level if level in ("info", "warning", "error") else "info")(event, **fields)


def launch_locally(
    *,
    schedule_name: str,
    scheduled_time: datetime,
    execution_id: str,
    settings: Settings,
    job_args: Sequence[str] = (),
    python: str | None = None,
) -> LaunchOutcome:
    """Run one firing through the handler's logic and the local runner; blocks until done.

    `python` is the interpreter that runs `-m dbtier` for the job (default: this one).
    """
    config = LauncherConfig(
        cluster=LOCAL_CLUSTER,
        task_definition=LOCAL_TASK_DEFINITION,
        container_name=facts.CONTAINER_NAME,
        schedule_name=schedule_name,
        started_by=facts.STARTED_BY,
        job_command=facts.JOB_COMMAND,
        job_args=tuple(job_args),
    )
    try:
        event = {
            "scheduled_time": normalize_time(scheduled_time),
            "execution_id": execution_id,
            "schedule_arn": f"local:{schedule_name}",
            "attempt": "1",
        }
        runner = LocalRunner(settings, python=python)
        result = launch(event, config, runner, log=_handler_log)
    except LauncherConfigError as exc:
        raise ConfigError(f"local launcher: {exc}") from None
    except LaunchError as exc:
        raise LaunchFailed(f"local launcher: {exc}") from None
    ids = {"trigger_id": str(result["trigger_id"]), "execution_id": execution_id}
    log = get_logger("launcher.local").bind(**ids)

    if result["status"] == "skipped":
        running = [str(t) for t in result.get("running", [])]
        return LaunchOutcome("skipped", running[0] if running else None, None, **ids)
    if runner.replayed is not None:
        log.info("launcher.duplicate", task_id=runner.replayed.task_id)
        return LaunchOutcome("duplicate", runner.replayed.task_id, runner.replayed.exit_code, **ids)
    task_id = str(result["task_arn"])
    log.info("job.started", task_id=task_id, pid=runner.pid)
    exit_code = runner.wait()
    (log.info if exit_code == 0 else log.error)("job.exited", task_id=task_id, exit_code=exit_code)
    return LaunchOutcome("started", task_id, exit_code, **ids)


__all__ = ["LaunchOutcome", "launch_locally"]
