"""Application tier: the ECS cluster and the Fargate service behind the ALB.

The service runs the reference service's image in private subnets, answers
the ALB's health check on `/healthz`, scales on CPU and on requests per
target, and rolls back a deployment that never becomes healthy (circuit
breaker). Its container runs hardened (`dbtier.infra.container`) and checks
its own `/healthz`; its tasks carry the stack's tags. Its pool sizes
(`DBTIER_POOL_SIZE`, `DBTIER_MAX_OVERFLOW`), auto scaling range and deploy
maximum percent all come from the stage's connection budget (`dbtier.budget`),
the declaration the parameter design sized `max_connections` for. The pages'
session cookie is signed with one key that every task shares (`SessionKey`, a
generated secret injected as `DBTIER_SESSION_SECRET`), so a sign-in holds whichever
task the load balancer picks.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dbtier.budget import ConnectionBudget
from dbtier.config import Settings
from dbtier.infra import container

CONTAINER_NAME = "app"
# `Settings.session_secret` as the container's environment names it.
SESSION_SECRET_ENV = f"{Settings.model_config['env_prefix']}session_secret".upper()
SESSION_KEY_LENGTH = 64


@dataclass(frozen=True, kw_only=True)
class ServiceSizing:
    """Task size and scaling targets; the task counts come from the connection budget."""

    cpu: int = 512
    memory_mib: int = 1024
    cpu_target_percent: int = 60
    requests_per_target: int = 300


def pool_environment(budget: ConnectionBudget) -> dict[str, str]:
    """The service's SQLAlchemy pool, as `dbtier.config.Settings` reads it."""
    return {
        "DBTIER_POOL_SIZE": str(budget.pool_size),
        "DBTIER_MAX_OVERFLOW": str(budget.max_overflow),
    }


class Application(Construct):
    """Cluster, task definition, service, target group and auto scaling."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        image: ecs.ContainerImage,
        listener: elbv2.ApplicationListener,
        secret: secretsmanager.ISecret,
        region: str,
        sizing: ServiceSizing,
        budget: ConnectionBudget,
    ) -> None:
        super().__init__(scope, construct_id)
        # One signing key for every task's session cookies (nippo.web.session); without it
        # each task would sign with a random key of its own and sign-ins would not survive
        # the load balancer choosing another task.
        self.session_key = secretsmanager.Secret(
            self,
            "SessionKey",
            description="Signs the nippo pages' session cookies (DBTIER_SESSION_SECRET)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SESSION_KEY_LENGTH, exclude_punctuation=True
            ),
        )
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=sizing.cpu,
            memory_limit_mib=sizing.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.container = self.task_definition.add_container(
            CONTAINER_NAME,
            image=image,
            port_mappings=[ecs.PortMapping(container_port=container.SERVICE_PORT)],
            secrets={
                **container.database_secrets(secret),
                SESSION_SECRET_ENV: ecs.Secret.from_secrets_manager(self.session_key),
            },
            environment={
                **container.database_environment(secret, region),
                **pool_environment(budget),
                # Requests arrive from the ALB's nodes inside the VPC: the failed-token
                # throttle reads the client from X-Forwarded-For only behind them.
                "DBTIER_TRUSTED_PROXIES": vpc.vpc_cidr_block,
            },
            logging=container.log_driver(self, "Logs", prefix="service"),
            health_check=container.service_health_check(),
            **container.hardening(),
        )
        container.mount_scratch(self.task_definition, self.container)
        # The task role re-reads the secret after a rotation (DBTIER_DB_SECRET_ID).
        secret.grant_read(self.task_definition.task_role)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Fargate service tasks"
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=budget.tasks.min,
            min_healthy_percent=100,
            max_healthy_percent=budget.deploy_max_percent,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.security_group],
            assign_public_ip=False,
            health_check_grace_period=Duration.seconds(60),
            # The stack's tags (project, stage, cost-center...) reach every task, so
            # Fargate spend falls inside the budget's tag filter.
            propagate_tags=ecs.PropagatedTagSource.TASK_DEFINITION,
            enable_ecs_managed_tags=True,
        )
        self.target_group = listener.add_targets(
            "Service",
            port=container.SERVICE_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=container.HEALTH_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        scaling = self.service.auto_scale_task_count(
            min_capacity=budget.tasks.min, max_capacity=budget.tasks.max
        )
        scaling.scale_on_cpu_utilization(
            "Cpu", target_utilization_percent=sizing.cpu_target_percent
        )
        scaling.scale_on_request_count(
            "Requests",
            requests_per_target=sizing.requests_per_target,
            target_group=self.target_group,
        )


__all__ = ["CONTAINER_NAME", "Application", "ServiceSizing", "pool_environment"]
