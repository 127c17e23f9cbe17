"""What the service's and the migration task's containers share: the image and the credentials.

One image, built from the repository's Dockerfile, runs both the FastAPI
service and `dbtier migrate run`. The database password reaches a container
only through ECS `secrets` (`DBTIER_DB_SECRET_JSON`, resolved by the agent
with the task execution role); `environment` carries the secret's ARN, so the
app can re-read the secret after a rotation, and nothing secret.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dbtier.infra.context import REPO_ROOT
from dbtier.infra.data import DATABASE_NAME

SERVICE_PORT = 8000


def image_asset(scope: Construct) -> ecs.ContainerImage:
    """The repository's Dockerfile as an image asset; staging it needs no Docker daemon."""
    asset = ecr_assets.DockerImageAsset(
        scope,
        "Image",
        directory=str(REPO_ROOT),
        file="Dockerfile",
        platform=ecr_assets.Platform.LINUX_AMD64,
    )
    return ecs.ContainerImage.from_docker_image_asset(asset)


def database_secrets(secret: secretsmanager.ISecret) -> dict[str, ecs.Secret]:
    """The whole RDS-shaped secret JSON, injected by ECS; grants the execution role read."""
    return {"DBTIER_DB_SECRET_JSON": ecs.Secret.from_secrets_manager(secret)}


def database_environment(secret: secretsmanager.ISecret, region: str) -> dict[str, str]:
    """Plain settings only: the secret's ARN (not its value), the database name, the region."""
    return {
        "DBTIER_DB_SECRET_ID": secret.secret_arn,
        "DBTIER_DB_NAME": DATABASE_NAME,
        "DBTIER_AWS_REGION": region,
    }


def log_driver(scope: Construct, construct_id: str, *, prefix: str) -> ecs.LogDriver:
    """awslogs into a group of the stack's own, kept three months."""
    group = logs.LogGroup(
        scope,
        construct_id,
        retention=logs.RetentionDays.THREE_MONTHS,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return ecs.LogDrivers.aws_logs(stream_prefix=prefix, log_group=group)


__all__ = [
    "SERVICE_PORT",
    "database_environment",
    "database_secrets",
    "image_asset",
    "log_driver",
]
