"""The Lambda handler against moto's ECS: a real cluster, task definition and RunTask."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dbtier.launch import facts, lambda_function

REGION = "ap-northeast-1"
STARTED_BY = "dbtier-migrate"


@dataclass
class FakeContext:
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto names a task's ENI only in a VPC with DNS hostnames, as private subnets have.
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
            for n in (1, 2)
        ]
        group = ec2.create_security_group(GroupName="migrate", Description="job", VpcId=vpc)
        client = boto3.client("ecs", region_name=REGION)
        cluster = client.create_cluster(clusterName="dbtier")["cluster"]["clusterArn"]
        task_definition = client.register_task_definition(
            family="dbtier-migrate",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "migrate", "image": "dbtier:test", "memory": 512, "essential": True}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        env = {
            "CLUSTER_ARN": cluster,
            "TASK_DEFINITION_ARN": task_definition,
            "CONTAINER_NAME": "migrate",
            "SUBNETS": ",".join(subnets),
            "SECURITY_GROUPS": group["GroupId"],
            "SCHEDULE_NAME": "dbtier-migrate",
            "STARTED_BY": STARTED_BY,
            "JOB_COMMAND": json.dumps(facts.JOB_COMMAND),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield client


def event(scheduled: str = "2026-11-29T06:00:00Z", execution: str = "exec-1") -> dict[str, str]:
    return {
        "scheduled_time": scheduled,
        "execution_id": execution,
        "schedule_arn": "arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/x",
        "attempt": "1",
    }


def our_tasks(client: Any) -> list[dict[str, Any]]:
    arns = client.list_tasks(cluster="dbtier", startedBy=STARTED_BY)["taskArns"]
    if not arns:
        return []
    tasks: list[dict[str, Any]] = client.describe_tasks(
        cluster="dbtier", tasks=arns, include=["TAGS"]
    )["tasks"]
    return tasks


def test_starts_one_task_with_started_by_tags_and_the_job_command(ecs: Any) -> None:
    result = lambda_function.handler(event(), FakeContext())

    assert result["status"] == "started"
    [task] = our_tasks(ecs)
    assert task["taskArn"] == result["task_arn"]
    assert task["startedBy"] == STARTED_BY
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert tags["dbtier:scheduled-time"] == "2026-11-29T06:00:00Z"
    assert tags["dbtier:schedule"] == "dbtier-migrate"
    [override] = task["overrides"]["containerOverrides"]
    assert override["name"] == "migrate"
    assert override["command"] == [
        "dbtier",
        "migrate",
        "run",
        "--trigger-id",
        "dbtier-migrate@2026-11-29T06:00:00Z",
        "--scheduled-time",
        "2026-11-29T06:00:00Z",
    ]


def test_overlap_guard_skips_while_a_migration_task_runs(ecs: Any) -> None:
    first = lambda_function.handler(event("2026-11-29T06:00:00Z", "a"), FakeContext())
    second = lambda_function.handler(event("2026-11-29T06:05:00Z", "b"), FakeContext())

    assert first["status"] == "started"
    assert second["status"] == "skipped"
    assert second["running"] == [first["task_arn"]]
    assert len(our_tasks(ecs)) == 1


def test_the_same_event_delivered_three_times_starts_one_task(ecs: Any) -> None:
    results = [
        lambda_function.handler(event(execution=f"exec-{n}"), FakeContext()) for n in range(3)
    ]

    assert [r["status"] for r in results] == ["started", "skipped", "skipped"]
    assert len(our_tasks(ecs)) == 1


def test_a_stopped_task_does_not_block_the_next_firing(ecs: Any) -> None:
    first = lambda_function.handler(event("2026-11-29T06:00:00Z"), FakeContext())
    ecs.stop_task(cluster="dbtier", task=first["task_arn"], reason="exited 0")

    second = lambda_function.handler(event("2026-11-29T06:05:00Z"), FakeContext())

    assert second["status"] == "started"
    assert second["task_arn"] != first["task_arn"]


def test_tasks_started_by_someone_else_do_not_block(
    ecs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    ecs.run_task(
        cluster="dbtier",
        taskDefinition=os.environ["TASK_DEFINITION_ARN"],
        launchType="FARGATE",
        startedBy="ci",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": os.environ["SUBNETS"].split(",")[:1],
                "securityGroups": [os.environ["SECURITY_GROUPS"]],
            }
        },
    )

    assert lambda_function.handler(event(), FakeContext())["status"] == "started"


def test_a_missing_environment_variable_is_named(ecs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_DEFINITION_ARN")

    with pytest.raises(lambda_function.LauncherConfigError, match="TASK_DEFINITION_ARN"):
        lambda_function.handler(event(), FakeContext())
    assert our_tasks(ecs) == []


def test_an_event_without_scheduled_time_raises(ecs: Any) -> None:
    with pytest.raises(lambda_function.LauncherConfigError, match="scheduled_time"):
        lambda_function.handler({"execution_id": "x"}, FakeContext())
    assert our_tasks(ecs) == []
