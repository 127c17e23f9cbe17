"""What the service's and the migration task's containers share: the image and the credentials.

One image, built from the repository's Dockerfile, runs both the FastAPI
service and `dbtier migrate run`. The database password reaches a container
only through ECS `secrets` (`DBTIER_DB_SECRET_JSON`, resolved by the agent
with the task execution role); `environment` carries the secret's ARN, so the
app can re-read the secret after a rotation, and nothing secret.

Both containers run hardened the same way (`hardening`, `mount_scratch`): as the image's
unprivileged user `RUNTIME_UID` (the Dockerfile creates it with that uid and
gid), on a read-only root filesystem, with one task-scoped ephemeral volume
mounted at `/tmp` for everything that must be written (the image points
`DBTIER_DATA_DIR` there). The service's container also checks itself
(`service_health_check`) with the image's own Python, since the slim image
has no curl.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dbtier.infra.context import REPO_ROOT
from dbtier.infra.data import DATABASE_NAME

SERVICE_PORT = 8000
HEALTH_PATH = "/healthz"
"""Liveness endpoint: answered by the ALB's target group and the container health check."""
RUNTIME_UID = 10001
"""The unprivileged uid (and gid) the Dockerfile creates and the task definitions run as."""
SCRATCH_VOLUME = "tmp"
SCRATCH_PATH = "/tmp"  # noqa: S108 - a per-task ephemeral volume, not a shared host /tmp


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
    """Plain settings only: the secret's ARN (not its value), the database name, the region.

    TLS to RDS is verified: the CA bundle ships in the package (`dbtier.tls`).
    """
    return {
        "DBTIER_DB_SECRET_ID": secret.secret_arn,
        "DBTIER_DB_NAME": DATABASE_NAME,
        "DBTIER_AWS_REGION": region,
        "DBTIER_DB_TLS": "verify-full",
    }


def hardening() -> dict[str, Any]:
    """`add_container` options: the image's unprivileged user, a read-only root filesystem."""
    return {"user": str(RUNTIME_UID), "readonly_root_filesystem": True}


def mount_scratch(task_definition: ecs.TaskDefinition, definition: ecs.ContainerDefinition) -> None:
    """Give the task an ephemeral volume (no host: Fargate task storage) writable at `/tmp`."""
    task_definition.add_volume(name=SCRATCH_VOLUME)
    definition.add_mount_points(
        ecs.MountPoint(source_volume=SCRATCH_VOLUME, container_path=SCRATCH_PATH, read_only=False)
    )


def service_health_check() -> ecs.HealthCheck:
    """GET /healthz from inside the container with the image's Python (no curl in the image)."""
    probe = (
        "import sys, urllib.request; "
        f"r = urllib.request.urlopen('http://127.0.0.1:{SERVICE_PORT}{HEALTH_PATH}', timeout=4); "
        "sys.exit(0 if r.status == 200 else 1)"
    )
    return ecs.HealthCheck(
        command=["CMD", "python", "-c", probe],
        interval=Duration.seconds(30),
        timeout=Duration.seconds(5),
        retries=3,
        start_period=Duration.seconds(60),
    )


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
    "HEALTH_PATH",
    "RUNTIME_UID",
    "SCRATCH_PATH",
    "SCRATCH_VOLUME",
    "SERVICE_PORT",
    "database_environment",
    "database_secrets",
    "hardening",
    "image_asset",
    "log_driver",
    "mount_scratch",
    "service_health_check",
]
