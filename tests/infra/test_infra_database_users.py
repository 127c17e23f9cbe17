"""The three database users in the template: who logs in as whom, rotation, verified TLS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_synthesis import Synthesis

from dbtier.dbusers.facts import APP_USERNAME
from dbtier.infra.application import SESSION_SECRET_ENV
from dbtier.infra.database_users import BOOTSTRAP_COMMAND, BOOTSTRAP_CONTAINER

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]


def attachment(s: Synthesis, part: str) -> str:
    ids = [k for k in s.resources("AWS::SecretsManager::SecretTargetAttachment") if part in k]
    assert len(ids) == 1, ids
    return str(ids[0])


def environment(definition: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in definition["Environment"]}


def injected(definition: dict[str, Any]) -> dict[str, Any]:
    return {s["Name"]: s["ValueFrom"] for s in definition["Secrets"]}


def test_each_task_logs_in_as_its_own_user(synthesis: Synthesis) -> None:
    app, job, bootstrap = (synthesis.container(n) for n in ("app", "migrate", BOOTSTRAP_CONTAINER))
    # (The service's other injected secret is the pages' session key, not a login.)
    assert injected(app)["DBTIER_DB_SECRET_JSON"] == {"Ref": attachment(synthesis, "UsersApp")}
    assert set(injected(app)) == {"DBTIER_DB_SECRET_JSON", SESSION_SECRET_ENV}
    assert injected(job) == {
        "DBTIER_DB_SECRET_JSON": {"Ref": attachment(synthesis, "UsersMigrator")}
    }
    assert injected(bootstrap) == {
        "DBTIER_DB_SECRET_JSON": {"Ref": attachment(synthesis, "DataInstanceSecret")}
    }
    assert bootstrap["Command"] == BOOTSTRAP_COMMAND


def test_the_job_keeps_the_app_user_and_may_only_write_its_secret(synthesis: Synthesis) -> None:
    env = environment(synthesis.container("migrate"))
    app_secret = {"Ref": attachment(synthesis, "UsersApp")}
    assert env["DBTIER_APP_USERNAME"] == APP_USERNAME
    assert env["DBTIER_APP_SECRET_ID"] == app_secret
    assert env["DBTIER_MASTER_SECRET_ARN"] == {"Ref": attachment(synthesis, "DataInstanceSecret")}
    writes = [
        (policy, statement)
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Resource"] == app_secret
    ]
    by_role = {
        (p["Properties"]["Roles"][0]["Ref"].split("TaskDefinition")[0], json.dumps(s["Action"]))
        for p, s in writes
    }
    assert ("Migration", '"secretsmanager:PutSecretValue"') in by_role
    assert not any(role == "Migration" and "GetSecretValue" in action for role, action in by_role)


def test_the_app_secret_rotates_alternating_users_with_the_master(synthesis: Synthesis) -> None:
    apps = synthesis.resources("AWS::Serverless::Application")
    app_rotation = next(r for k, r in apps.items() if "AppRotation" in k)
    params = app_rotation["Properties"]["Parameters"]
    assert params["masterSecretArn"] == {"Ref": attachment(synthesis, "DataInstanceSecret")}
    mapping = app_rotation["Properties"]["Location"]["ApplicationId"]["Fn::FindInMap"][0]
    application_id = json.dumps(synthesis.template["Mappings"][mapping])
    assert "RotationMultiUser" in application_id
    migrator = next(r for k, r in apps.items() if "MigratorRotation" in k)
    mapping = migrator["Properties"]["Location"]["ApplicationId"]["Fn::FindInMap"][0]
    assert "RotationSingleUser" in json.dumps(synthesis.template["Mappings"][mapping])
    schedules = synthesis.resources("AWS::SecretsManager::RotationSchedule")
    app_schedule = next(
        r["Properties"]
        for r in schedules.values()
        if r["Properties"]["SecretId"] == {"Ref": attachment(synthesis, "UsersApp")}
    )
    # The user appears with the first migration run, after the deploy.
    assert app_schedule["RotateImmediatelyOnUpdate"] is False


def test_every_task_verifies_tls(synthesis: Synthesis) -> None:
    for name in ("app", "migrate", BOOTSTRAP_CONTAINER):
        assert environment(synthesis.container(name))["DBTIER_DB_TLS"] == "verify-full"
