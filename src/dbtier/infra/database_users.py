"""The database's three users on AWS, each with its own secret (see docs/security.md).

- **master** (RDS's generated secret, `Data.secret`): bootstrap only. Read by
  the bootstrap task (`dbtier db-users bootstrap`, run once after the first
  deploy) and by the rotation functions; single-user rotation.
- **migrator** (`<id>/migrator`): owns the schema; the scheduled migration
  task logs in with it. Single-user rotation: an alternating pair would leave
  tables owned by two roles on PostgreSQL.
- **app** (`<id>/app`): DML only; the service logs in with it. Multi-user
  (alternating users) rotation with the master secret, so a rotation never
  changes the password of the user the service's open connections use. Read
  only by the service's task and execution roles (and its rotation function).
  The migration task may *put* the first value of this secret when it creates
  the user (`secretsmanager:PutSecretValue`), never read it.

Each secret is attached to the instance (host, port, engine and dbname filled
in). The app secret's first rotation waits for its schedule: the user exists
only after the first migration run.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dbtier.dbusers.facts import APP_USERNAME, MIGRATOR_USERNAME
from dbtier.infra import container

ROTATION_DAYS = 30
BOOTSTRAP_CONTAINER = "bootstrap"
BOOTSTRAP_COMMAND = ["dbtier", "db-users", "bootstrap"]


class DatabaseUsers(Construct):
    """Migrator and app secrets, their rotations, and the master's bootstrap task."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance: rds.DatabaseInstance,
        master_secret: secretsmanager.ISecret,
        vpc: ec2.IVpc,
        identifier: str,
        image: ecs.ContainerImage,
        region: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.master_secret = master_secret
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.migrator_secret = self._secret(
            "MigratorSecret", instance, MIGRATOR_USERNAME, f"{identifier}/migrator"
        )
        if instance.engine is None:  # pragma: no cover - Data always names its engine
            raise RuntimeError("the instance has no engine to choose a rotation function for")
        self.migrator_rotation = secretsmanager.SecretRotation(
            self,
            "MigratorRotation",
            application=instance.engine.single_user_rotation_application,
            secret=self.migrator_secret,
            target=instance,
            vpc=vpc,
            vpc_subnets=subnets,
            automatically_after=Duration.days(ROTATION_DAYS),
        )
        self.app_secret = self._secret("AppSecret", instance, APP_USERNAME, f"{identifier}/app")
        self.app_rotation = instance.add_rotation_multi_user(
            "AppRotation",
            secret=self.app_secret,
            automatically_after=Duration.days(ROTATION_DAYS),
            vpc_subnets=subnets,
            # The user exists after the first migration run, not at deploy time.
            rotate_immediately_on_update=False,
        )
        self.bootstrap_task_definition = self._bootstrap(image, region)

    def _secret(
        self, construct_id: str, instance: rds.DatabaseInstance, username: str, name: str
    ) -> secretsmanager.ISecret:
        secret = rds.DatabaseSecret(
            self,
            construct_id,
            username=username,
            secret_name=name,
            master_secret=self.master_secret,  # `masterarn`, for the rotation functions
        )
        return secret.attach(instance)

    def _bootstrap(self, image: ecs.ContainerImage, region: str) -> ecs.FargateTaskDefinition:
        """`dbtier db-users bootstrap` as the master: creates the migrator, once."""
        task_definition = ecs.FargateTaskDefinition(
            self, "BootstrapTaskDefinition", cpu=256, memory_limit_mib=512
        )
        definition = task_definition.add_container(
            BOOTSTRAP_CONTAINER,
            image=image,
            command=BOOTSTRAP_COMMAND,
            secrets=container.database_secrets(self.master_secret),
            environment={
                **container.database_environment(self.master_secret, region),
                "DBTIER_MIGRATOR_SECRET_ID": self.migrator_secret.secret_arn,
            },
            logging=container.log_driver(self, "BootstrapLogs", prefix="bootstrap"),
            **container.hardening(),
        )
        container.mount_scratch(task_definition, definition)
        self.master_secret.grant_read(task_definition.task_role)
        self.migrator_secret.grant_read(task_definition.task_role)
        return task_definition

    def grant_migration(self, task_definition: ecs.TaskDefinition) -> None:
        """The migration task may put a new app user's first password (it reads only its own)."""
        task_definition.task_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:PutSecretValue"],
                resources=[self.app_secret.secret_arn],
            )
        )

    def migration_environment(self) -> dict[str, str]:
        """What the job needs to keep the app user: its name, where to publish, the master ARN."""
        return {
            "DBTIER_APP_USERNAME": APP_USERNAME,
            "DBTIER_APP_SECRET_ID": self.app_secret.secret_arn,
            "DBTIER_MASTER_SECRET_ARN": self.master_secret.secret_arn,
        }


__all__ = ["BOOTSTRAP_COMMAND", "BOOTSTRAP_CONTAINER", "DatabaseUsers"]
