"""The Lambda handler against botocore's Stubber: the answers moto cannot give.

RunTask's `failures` (capacity and otherwise), a client error, and ECS's
idempotency (the same `clientToken` and request answer with the same task).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from dbtier.launch import facts, lambda_function
from dbtier.launch.lambda_function import (
    CapacityUnavailable,
    EcsRunner,
    LauncherConfig,
    LaunchRejected,
    client_token,
    launch,
)

CLUSTER = "arn:aws:ecs:ap-northeast-1:123456789012:cluster/dbtier"
TASK_DEF = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/dbtier-migrate:3"
TASK_ARN = "arn:aws:ecs:ap-northeast-1:123456789012:task/dbtier/0123456789abcdef"
ENV = {
    "CLUSTER_ARN": CLUSTER,
    "TASK_DEFINITION_ARN": TASK_DEF,
    "CONTAINER_NAME": "migrate",
    "SUBNETS": "subnet-a, subnet-b",
    "SECURITY_GROUPS": "sg-1",
    "SCHEDULE_NAME": "nightly",
    "STARTED_BY": "dbtier-migrate",
    "JOB_COMMAND": json.dumps(facts.JOB_COMMAND),
}
SCHEDULED = "2026-11-29T06:00:00Z"
CAPACITY = {
    "arn": "",
    "reason": "Capacity is unavailable at this time. Please try again later or in a "
    "different availability zone",
}


@dataclass
class FakeContext:
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class FakeClock:
    """A monotonic clock that moves only when the launcher sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CAPACITY_PROVIDER_STRATEGY", raising=False)
    monkeypatch.delenv("LAUNCH_TYPE", raising=False)
    client = boto3.client(
        "ecs",
        region_name="ap-northeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(lambda_function, "_ecs_client", lambda: client)
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def event(execution: str = "exec-1", attempt: str = "1") -> dict[str, str]:
    return {
        "scheduled_time": SCHEDULED,
        "execution_id": execution,
        "schedule_arn": "arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/nightly",
        "attempt": attempt,
    }


def no_running_tasks(stub: Stubber, started_by: str = "dbtier-migrate") -> None:
    stub.add_response(
        "list_tasks",
        {"taskArns": []},
        {"cluster": CLUSTER, "startedBy": started_by, "desiredStatus": "RUNNING"},
    )


def started(task_arn: str = TASK_ARN) -> dict[str, Any]:
    return {"tasks": [{"taskArn": task_arn, "lastStatus": "PROVISIONING"}], "failures": []}


def expected_request(retry: int = 0) -> dict[str, Any]:
    """The RunTask request, spelled out: no public IP, startedBy, tags, the job command."""
    return {
        "cluster": CLUSTER,
        "taskDefinition": TASK_DEF,
        "count": 1,
        "startedBy": "dbtier-migrate",
        "clientToken": client_token("nightly", SCHEDULED, retry),
        "tags": [
            {"key": "dbtier:schedule", "value": "nightly"},
            {"key": "dbtier:scheduled-time", "value": SCHEDULED},
        ],
        "propagateTags": "TASK_DEFINITION",
        "enableECSManagedTags": True,
        "overrides": {
            "containerOverrides": [
                {
                    "name": "migrate",
                    "command": [
                        "dbtier",
                        "migrate",
                        "run",
                        "--trigger-id",
                        f"nightly@{SCHEDULED}",
                        "--scheduled-time",
                        SCHEDULED,
                    ],
                }
            ]
        },
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "DISABLED",
            }
        },
        "launchType": "FARGATE",
    }


def test_request_has_no_public_ip_started_by_tags_and_a_client_token(
    ecs: tuple[Any, Stubber],
) -> None:
    _, stub = ecs
    no_running_tasks(stub)
    stub.add_response("run_task", started(), expected_request())

    result = lambda_function.handler(event(), FakeContext())

    assert result["status"] == "started"
    assert result["task_arn"] == TASK_ARN


def test_overlap_guard_skips_without_calling_run_task(ecs: tuple[Any, Stubber]) -> None:
    _, stub = ecs
    stub.add_response(
        "list_tasks",
        {"taskArns": [TASK_ARN]},
        {"cluster": CLUSTER, "startedBy": "dbtier-migrate", "desiredStatus": "RUNNING"},
    )

    result = lambda_function.handler(event(), FakeContext())

    assert result == {
        "status": "skipped",
        "running": [TASK_ARN],
        "execution_id": "exec-1",
        "trigger_id": f"nightly@{SCHEDULED}",
        "scheduled_time": SCHEDULED,
    }


def test_the_same_event_delivered_three_times_sends_one_identical_request(
    ecs: tuple[Any, Stubber],
) -> None:
    """Each delivery has a new execution id and attempt number; the request must not.

    RunTask answers a repeated clientToken with the same request by returning the
    task it started, and a changed request with ConflictException; so the three
    requests must be byte-for-byte the same (the Stubber checks every parameter).
    """
    _, stub = ecs
    for _ in range(3):
        # Worst case for the overlap guard: the task is not listed yet each time.
        no_running_tasks(stub)
        stub.add_response("run_task", started(), expected_request())

    results = [
        lambda_function.handler(event(execution=f"exec-{n}", attempt=str(n + 1)), FakeContext())
        for n in range(3)
    ]

    assert {r["task_arn"] for r in results} == {TASK_ARN}
    assert len({r["client_token"] for r in results}) == 1


def test_a_capacity_failure_is_retried_with_backoff_then_succeeds(
    ecs: tuple[Any, Stubber],
) -> None:
    client, stub = ecs
    no_running_tasks(stub)
    stub.add_response("run_task", {"tasks": [], "failures": [CAPACITY]}, expected_request(0))
    stub.add_response(
        "run_task",
        {"tasks": [], "failures": [{"arn": "", "reason": "RESOURCE:ENI"}]},
        expected_request(1),
    )
    stub.add_response("run_task", started(), expected_request(2))
    clock = FakeClock()

    result = launch(
        event(),
        LauncherConfig.from_env(ENV),
        EcsRunner(client, CLUSTER),
        sleep=clock.sleep,
        clock=clock,
        deadline=clock.now + 60,
    )

    assert result["task_arn"] == TASK_ARN
    assert len(clock.sleeps) == 2
    assert clock.sleeps[1] > clock.sleeps[0] / 2  # the backoff does not shrink
    # A fresh token per retry: a token spent on a failed request would replay the failure.
    assert result["client_token"] == client_token("nightly", SCHEDULED, 2)


def test_capacity_failures_past_the_time_budget_raise(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    no_running_tasks(stub)
    for retry in range(3):
        stub.add_response(
            "run_task", {"tasks": [], "failures": [CAPACITY]}, expected_request(retry)
        )
    clock = FakeClock()

    with pytest.raises(CapacityUnavailable, match="no capacity after 3 attempts"):
        launch(
            event(),
            LauncherConfig.from_env(ENV),
            EcsRunner(client, CLUSTER),
            sleep=clock.sleep,
            clock=clock,
            # Backoffs are 0.5-1, 1-2, 2-4 s with jitter and 5 s are kept in reserve:
            # two always fit in 8.25 s (at most 3 + 5), a third never does (at least 8.5).
            deadline=clock.now + 8.25,
        )


@pytest.mark.parametrize(
    "failure",
    [
        {"arn": TASK_DEF, "reason": "MISSING"},
        {"arn": "", "reason": "ATTRIBUTE", "detail": "ecs.capability.secrets.asm"},
        {"arn": "", "reason": "LOCATION"},
    ],
)
def test_a_non_capacity_failure_raises_at_once(
    ecs: tuple[Any, Stubber], failure: dict[str, str]
) -> None:
    _, stub = ecs
    no_running_tasks(stub)
    stub.add_response("run_task", {"tasks": [], "failures": [failure]}, expected_request())

    with pytest.raises(LaunchRejected, match=failure["reason"]):
        lambda_function.handler(event(), FakeContext())


def test_a_client_error_propagates_to_lambdas_async_retries(ecs: tuple[Any, Stubber]) -> None:
    """The handler raises; on AWS, Lambda retries the async event, then sends it to the
    function's on-failure destination (the schedule's DLQ sees only failed hand-offs)."""
    _, stub = ecs
    no_running_tasks(stub)
    stub.add_client_error(
        "run_task",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: iam:PassRole",
        expected_params=expected_request(),
    )

    with pytest.raises(ClientError, match="AccessDenied"):
        lambda_function.handler(event(), FakeContext())


def test_capacity_provider_strategy_replaces_the_launch_type(
    ecs: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stub = ecs
    strategy = [
        {"capacityProvider": "FARGATE_SPOT", "weight": 3},
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
    ]
    monkeypatch.setenv(
        "CAPACITY_PROVIDER_STRATEGY",
        '[{"capacityProvider": "FARGATE_SPOT", "weight": 3},'
        ' {"capacityProvider": "FARGATE", "weight": 1, "base": 1}]',
    )
    monkeypatch.setenv("STARTED_BY", "nightly-migrate")
    request = expected_request()
    del request["launchType"]
    request["capacityProviderStrategy"] = strategy
    request["startedBy"] = "nightly-migrate"
    no_running_tasks(stub, started_by="nightly-migrate")
    stub.add_response("run_task", started(), request)

    assert lambda_function.handler(event(), FakeContext())["status"] == "started"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STARTED_BY", ""),
        ("JOB_COMMAND", ""),
        ("JOB_COMMAND", "dbtier migrate"),
        ("JOB_COMMAND", "[]"),
        ("JOB_COMMAND", '["dbtier", 3]'),
    ],
)
def test_the_facts_shared_with_the_stack_are_required_and_checked(
    variable: str, value: str
) -> None:
    with pytest.raises(lambda_function.LauncherConfigError, match=variable):
        LauncherConfig.from_env({**ENV, variable: value})


def test_a_malformed_capacity_provider_strategy_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**ENV, "CAPACITY_PROVIDER_STRATEGY": '{"capacityProvider": "FARGATE"}'}
    with pytest.raises(lambda_function.LauncherConfigError, match="CAPACITY_PROVIDER_STRATEGY"):
        LauncherConfig.from_env(env)


def test_the_token_is_short_ascii_and_differs_per_firing() -> None:
    token = client_token("nightly", SCHEDULED)
    assert len(token) <= 64
    assert all(33 <= ord(c) <= 126 for c in token)
    assert token != client_token("nightly", "2026-11-29T06:05:00Z")
    assert token != client_token("weekly", SCHEDULED)


def test_scheduled_times_with_offsets_name_the_same_firing() -> None:
    same = lambda_function.normalize_time("2026-11-29T15:00:00+09:00")
    assert same == SCHEDULED
    with pytest.raises(lambda_function.LauncherConfigError, match="ISO 8601"):
        lambda_function.normalize_time("yesterday")


def test_overlap_guard_stops_a_task_past_its_deadline_and_launches(
    ecs: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task older than MAX_TASK_AGE_SECONDS is stopped and does not block the firing;
    a younger one still makes the firing skip."""
    import datetime as dt

    _client, stub = ecs
    monkeypatch.setenv("MAX_TASK_AGE_SECONDS", "330")
    now = dt.datetime.now(dt.UTC)
    old, young = TASK_ARN + "-old", TASK_ARN + "-young"
    running = {"cluster": CLUSTER, "startedBy": "dbtier-migrate", "desiredStatus": "RUNNING"}
    stub.add_response("list_tasks", {"taskArns": [old]}, running)
    stub.add_response(
        "describe_tasks",
        {"tasks": [{"taskArn": old, "createdAt": now - dt.timedelta(seconds=400)}]},
        {"cluster": CLUSTER, "tasks": [old]},
    )
    stub.add_response(
        "stop_task",
        {"task": {"taskArn": old}},
        {"cluster": CLUSTER, "task": old, "reason": "dbtier: migration task overdue (400s > 330s)"},
    )
    stub.add_response("run_task", started(), expected_request())
    result = lambda_function.handler(event(), FakeContext())
    assert result["status"] == "started"

    stub.add_response("list_tasks", {"taskArns": [young]}, running)
    stub.add_response(
        "describe_tasks",
        {"tasks": [{"taskArn": young, "createdAt": now - dt.timedelta(seconds=60)}]},
        {"cluster": CLUSTER, "tasks": [young]},
    )
    assert lambda_function.handler(event(), FakeContext())["status"] == "skipped"


def test_max_task_age_must_be_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from dbtier.launch.lambda_function import LauncherConfigError

    with pytest.raises(LauncherConfigError, match="MAX_TASK_AGE_SECONDS"):
        LauncherConfig.from_env({**ENV, "MAX_TASK_AGE_SECONDS": "soon"})
    assert LauncherConfig.from_env(ENV).max_task_age is None
