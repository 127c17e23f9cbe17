"""The launcher: EventBridge Scheduler's event in, one ECS RunTask call out.

This file deploys on its own as the Lambda function's code
(`lambda_function.handler`), so it imports the standard library and boto3 only.
The local profile reuses `launch()` with a runner that starts a subprocess
instead of a Fargate task (`dbtier.launch.local`).

What makes it safe under at-least-once delivery, overlap and failure:

1. Overlap guard: a task started by the launcher (`startedBy`) still running
   means this firing is skipped; the migration job's database lock backs it up.
   A task older than `MAX_TASK_AGE_SECONDS` (the job's `--max-runtime` plus the
   container's stopTimeout and a margin, set by the construct from
   `dbtier.migrate.deadline`) has outlived its own deadline: the launcher stops
   it (StopTask) and does not let it block this firing, so a hung task can never
   block later firings forever.
2. Idempotency: `clientToken` is derived from the schedule name and its scheduled
   time (and the capacity retry's number), never from the execution id, which
   EventBridge Scheduler renews on every attempt. A repeated delivery therefore
   sends the identical request, and ECS answers with the task it already started.
   For the same reason the request carries nothing that changes per attempt.
3. Capacity failures in the response's `failures` are retried with exponential
   backoff while the Lambda's time budget lasts; a new token per retry, since a
   token already used for a failed request would only replay that failure.
4. Anything else raises. EventBridge Scheduler invokes the function
   asynchronously, so a raise reaches Lambda's asynchronous retries (the
   function's event invoke config: retry attempts, maximum event age) and then
   the function's on-failure destination, an encrypted SQS queue with an alarm.
   The schedule's own retry policy and dead-letter queue see only failed
   hand-offs to Lambda (throttling, a missing function), never a raise here.
   A task that started and then failed is never retried here.

What must agree with the stack (`startedBy`, the container name, the job's
command) comes from the environment the stack sets from `dbtier.launch.facts`;
this file repeats none of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_LAUNCH_TYPE = "FARGATE"
TAG_PREFIX = "dbtier:"

# Seconds kept back from the Lambda's budget for the last RunTask call and the return.
SAFETY_MARGIN = 5.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0


# `failures[].reason` values that mean "no room right now, try again": Fargate's
# capacity message, and on EC2 capacity providers a container instance short of a
# resource (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:ENI, RESOURCE:GPU, RESOURCE:PORTS)
# or with a disconnected agent (AGENT). See "Amazon ECS API failure reasons".
def _is_capacity_reason(reason: str) -> bool:
    upper = reason.strip().upper()
    return "CAPACITY IS UNAVAILABLE" in upper or upper.startswith("RESOURCE:") or upper == "AGENT"


class LaunchError(Exception):
    """The launcher could not start the migration task; Lambda's async retries take over."""


class LauncherConfigError(LaunchError):
    """The function's environment or the event lacks something it needs."""


class CapacityUnavailable(LaunchError):
    """Capacity failures outlasted the time budget; no task was started."""


class LaunchRejected(LaunchError):
    """RunTask answered with a failure that waiting will not fix."""


class TaskRunner(Protocol):
    """What the launcher needs from ECS (or from its local stand-in)."""

    def running_tasks(self, started_by: str) -> list[str]:
        """ARNs (or ids) of tasks started by `started_by` that have not stopped."""
        ...

    def run_task(self, **request: Any) -> dict[str, Any]:
        """Start a task; a RunTask-shaped response with `tasks` and `failures`."""
        ...


Log = Callable[..., None]


def json_log(event: str, **fields: Any) -> None:
    """One JSON line on stdout, the shape `dbtier.logs` writes (CloudWatch reads it)."""
    line = {
        "component": "launcher.handler",
        "event": event,
        "level": fields.pop("level", "info"),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        **fields,
    }
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class LauncherConfig:
    """Where and what to launch; on AWS read from the function's environment."""

    cluster: str
    task_definition: str
    container_name: str
    schedule_name: str
    started_by: str
    job_command: tuple[str, ...]
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    capacity_provider_strategy: tuple[dict[str, Any], ...] = ()
    launch_type: str = DEFAULT_LAUNCH_TYPE
    job_args: tuple[str, ...] = field(default=())
    # Seconds after which a running migration task is overdue (None: never).
    max_task_age: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LauncherConfig:
        """Read the variables the CDK stack sets; a missing one is named."""

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise LauncherConfigError(
                    f"environment variable {name} is not set; the stack must set it "
                    "on the launcher function"
                )
            return value

        strategy: tuple[dict[str, Any], ...] = ()
        raw = env.get("CAPACITY_PROVIDER_STRATEGY", "").strip()
        if raw:
            strategy = _parse_strategy(raw)
        return cls(
            cluster=required("CLUSTER_ARN"),
            task_definition=required("TASK_DEFINITION_ARN"),
            container_name=required("CONTAINER_NAME"),
            schedule_name=required("SCHEDULE_NAME"),
            started_by=required("STARTED_BY"),
            job_command=_parse_command(required("JOB_COMMAND")),
            subnets=_split(required("SUBNETS")),
            security_groups=_split(env.get("SECURITY_GROUPS", "")),
            capacity_provider_strategy=strategy,
            launch_type=env.get("LAUNCH_TYPE", "").strip() or DEFAULT_LAUNCH_TYPE,
            max_task_age=_positive(env, "MAX_TASK_AGE_SECONDS"),
        )


def _positive(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise LauncherConfigError(f"environment variable {name}={raw!r} must be seconds > 0")
    return value


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _parse_command(raw: str) -> tuple[str, ...]:
    where = "environment variable JOB_COMMAND"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LauncherConfigError(
            f"{where} is not JSON (line {exc.lineno}, column {exc.colno}); "
            "expected a JSON list of strings, the job's command line"
        ) from None
    if not isinstance(data, list) or not data or not all(isinstance(i, str) for i in data):
        raise LauncherConfigError(f"{where} must be a non-empty JSON list of strings")
    return tuple(data)


def _parse_strategy(raw: str) -> tuple[dict[str, Any], ...]:
    where = "environment variable CAPACITY_PROVIDER_STRATEGY"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LauncherConfigError(
            f"{where} is not JSON (line {exc.lineno}, column {exc.colno}); "
            'expected e.g. [{"capacityProvider": "FARGATE", "weight": 1}]'
        ) from None
    items = data if isinstance(data, list) else None
    if not items or not all(isinstance(i, dict) and i.get("capacityProvider") for i in items):
        raise LauncherConfigError(
            f"{where} must be a non-empty JSON list of objects with capacityProvider"
        )
    return tuple(items)


@dataclass(frozen=True)
class Firing:
    """One scheduler firing: the scheduled time is what identifies it."""

    scheduled_time: str  # UTC, second precision, e.g. 2026-11-29T15:05:00Z
    execution_id: str
    attempt: str = "1"
    schedule_arn: str = ""

    @classmethod
    def from_event(cls, event: Any) -> Firing:
        """Validate the Input the schedule's target sends (context attributes)."""
        if not isinstance(event, Mapping):
            raise LauncherConfigError(
                "the event must be a JSON object with scheduled_time and execution_id; "
                "check the schedule target's Input"
            )
        raw_time = str(event.get("scheduled_time") or "").strip()
        if not raw_time:
            raise LauncherConfigError(
                "the event lacks scheduled_time; the schedule target's Input must carry "
                '"<aws.scheduler.scheduled-time>"'
            )
        return cls(
            scheduled_time=normalize_time(raw_time),
            execution_id=str(event.get("execution_id") or "").strip() or "unknown",
            attempt=str(event.get("attempt") or "1"),
            schedule_arn=str(event.get("schedule_arn") or ""),
        )


def normalize_time(value: str | dt.datetime) -> str:
    """A scheduled time as UTC `YYYY-MM-DDTHH:MM:SSZ`: the same firing, the same text."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise LauncherConfigError(
                f"scheduled_time {value!r} in the event is not an ISO 8601 time"
            ) from None
    else:
        moment = value
    if moment.tzinfo is None:
        raise LauncherConfigError(f"scheduled_time {value!s} has no UTC offset")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_token(schedule_name: str, scheduled_time: str, retry: int = 0) -> str:
    """RunTask's idempotency token: ≤ 64 ASCII characters, stable per firing and retry."""
    digest = hashlib.sha256(f"{schedule_name}|{scheduled_time}|{retry}".encode()).hexdigest()
    return digest[:48]


def trigger_id(schedule_name: str, scheduled_time: str) -> str:
    """What the job records as its trigger: the schedule and the time it fired for."""
    return f"{schedule_name}@{scheduled_time}"


def job_command(config: LauncherConfig, firing: Firing) -> list[str]:
    """The migration job's command line inside the container."""
    return [
        *config.job_command,
        "--trigger-id",
        trigger_id(config.schedule_name, firing.scheduled_time),
        "--scheduled-time",
        firing.scheduled_time,
        *config.job_args,
    ]


def run_task_request(config: LauncherConfig, firing: Firing, retry: int = 0) -> dict[str, Any]:
    """The RunTask request; identical for every delivery of the same firing."""
    request: dict[str, Any] = {
        "cluster": config.cluster,
        "taskDefinition": config.task_definition,
        "count": 1,
        "startedBy": config.started_by,
        "clientToken": client_token(config.schedule_name, firing.scheduled_time, retry),
        "tags": [
            {"key": f"{TAG_PREFIX}schedule", "value": config.schedule_name},
            {"key": f"{TAG_PREFIX}scheduled-time", "value": firing.scheduled_time},
        ],
        # The task carries the task definition's tags (the stack's cost-allocation tags).
        "propagateTags": "TASK_DEFINITION",
        "enableECSManagedTags": True,
        "overrides": {
            "containerOverrides": [
                {"name": config.container_name, "command": job_command(config, firing)}
            ]
        },
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(config.subnets),
                "securityGroups": list(config.security_groups),
                "assignPublicIp": "DISABLED",
            }
        },
    }
    if config.capacity_provider_strategy:
        request["capacityProviderStrategy"] = [dict(i) for i in config.capacity_provider_strategy]
    else:
        request["launchType"] = config.launch_type
    return request


def is_capacity_failure(failure: Mapping[str, Any]) -> bool:
    """True for a RunTask failure that waiting for capacity can fix."""
    return _is_capacity_reason(str(failure.get("reason") or ""))


def backoff(retry: int, *, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: about 1, 2, 4 … seconds, capped."""
    ceiling: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**retry)
    return ceiling / 2 + rng() * ceiling / 2


def launch(
    event: Any,
    config: LauncherConfig,
    runner: TaskRunner,
    *,
    sleep: Callable[[float], None] | None = None,
    deadline: float = float("inf"),
    clock: Callable[[], float] | None = None,
    log: Log = json_log,
) -> dict[str, Any]:
    """Start the migration task for one firing, unless one is running already.

    Returns `{"status": "started", "task_arn": ...}` or `{"status": "skipped", ...}`;
    raises `LaunchError` (or the ECS client's error) when a later attempt may succeed:
    on AWS, Lambda's asynchronous retries, then the on-failure destination.
    `deadline` is a `clock()` value (default `time.monotonic`) by which it must return.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    firing = Firing.from_event(event)
    ids = {
        "execution_id": firing.execution_id,
        "trigger_id": trigger_id(config.schedule_name, firing.scheduled_time),
        "scheduled_time": firing.scheduled_time,
    }
    log("launcher.received", attempt=firing.attempt, schedule=config.schedule_name, **ids)

    running = runner.running_tasks(config.started_by)
    if running:
        log("launcher.skipped", reason="a migration task is running", running=running, **ids)
        return {"status": "skipped", "running": running, **ids}

    retry = 0
    while True:
        request = run_task_request(config, firing, retry)
        response = runner.run_task(**request)
        tasks = response.get("tasks") or []
        if tasks:
            task_arn = str(tasks[0].get("taskArn", ""))
            log("launcher.started", task_arn=task_arn, client_token=request["clientToken"], **ids)
            return {
                "status": "started",
                "task_arn": task_arn,
                "client_token": request["clientToken"],
                **ids,
            }
        failures = list(response.get("failures") or [])
        if not failures or not all(is_capacity_failure(f) for f in failures):
            log("launcher.rejected", level="error", failures=failures, **ids)
            raise LaunchRejected(
                f"RunTask on {config.cluster} started no task: {_describe(failures)}"
            )
        delay = backoff(retry)
        if clock() + delay + SAFETY_MARGIN > deadline:
            log("launcher.capacity_exhausted", level="error", failures=failures, **ids)
            raise CapacityUnavailable(
                f"RunTask on {config.cluster}: no capacity after {retry + 1} attempts "
                f"({_describe(failures)})"
            )
        log("launcher.capacity_retry", level="warning", retry=retry + 1, delay=delay, **ids)
        sleep(delay)
        retry += 1


def _describe(failures: Sequence[Mapping[str, Any]]) -> str:
    if not failures:
        return "no tasks and no failures in the response"
    return "; ".join(
        f"{f.get('reason', '?')}" + (f" ({f['detail']})" if f.get("detail") else "")
        for f in failures
    )


class EcsRunner:
    """The real thing: ListTasks and RunTask on one cluster (DescribeTasks and StopTask
    for tasks past `max_task_age`)."""

    def __init__(
        self,
        client: Any,
        cluster: str,
        *,
        max_task_age: float | None = None,
        log: Log = json_log,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.max_task_age = max_task_age
        self.log = log
        self.now = now

    def running_tasks(self, started_by: str) -> list[str]:
        # desiredStatus RUNNING covers PENDING tasks too: ECS never sets a desired PENDING.
        arns: list[str] = []
        paginator = self.client.get_paginator("list_tasks")
        for page in paginator.paginate(
            cluster=self.cluster, startedBy=started_by, desiredStatus="RUNNING"
        ):
            arns.extend(page.get("taskArns", []))
        if not arns or self.max_task_age is None:
            return arns
        overdue = self._overdue(arns)
        for arn, age in overdue.items():
            self.log(
                "launcher.stopping_overdue",
                level="warning",
                task_arn=arn,
                age_s=round(age),
                max_task_age_s=self.max_task_age,
            )
            self.client.stop_task(
                cluster=self.cluster,
                task=arn,
                reason=f"dbtier: migration task overdue ({age:.0f}s > {self.max_task_age:g}s)",
            )
        return [arn for arn in arns if arn not in overdue]

    def _overdue(self, arns: list[str]) -> dict[str, float]:
        """Tasks older than `max_task_age` (seconds since created), by ARN."""
        limit = self.max_task_age or float("inf")
        ages: dict[str, float] = {}
        for start in range(0, len(arns), 100):  # DescribeTasks takes at most 100
            described = self.client.describe_tasks(
                cluster=self.cluster, tasks=arns[start : start + 100]
            )
            for task in described.get("tasks", []):
                created = task.get("createdAt") or task.get("startedAt")
                if isinstance(created, dt.datetime):
                    age = (self.now() - created).total_seconds()
                    if age > limit:
                        ages[str(task["taskArn"])] = age
        return ages

    def run_task(self, **request: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.client.run_task(**request)
        return response


def _ecs_client() -> Any:
    import boto3
    from botocore.config import Config

    # Throttling and 5xx are retried by botocore itself; capacity is retried by launch().
    return boto3.client("ecs", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: read the environment, launch within the remaining time."""
    config = LauncherConfig.from_env(os.environ)
    remaining = context.get_remaining_time_in_millis() / 1000.0 if context else 60.0
    return launch(
        event,
        config,
        EcsRunner(_ecs_client(), config.cluster, max_task_age=config.max_task_age),
        deadline=time.monotonic() + remaining,
    )


__all__ = [
    "CapacityUnavailable",
    "EcsRunner",
    "Firing",
    "LaunchError",
    "LaunchRejected",
    "LauncherConfig",
    "LauncherConfigError",
    "TaskRunner",
    "client_token",
    "handler",
    "is_capacity_failure",
    "job_command",
    "launch",
    "normalize_time",
    "run_task_request",
    "trigger_id",
]
