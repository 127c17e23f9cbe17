"""The stack: the seed's architecture, composed from one construct per component.

Order follows the dependencies: network, alerts, data (with the secret),
presentation (with the optional WAF), database users, application, scheduled
migration, observability, cost. The service and the migration task run the
same image; the service logs in as the DML-only app user, the migration task
as the migrator, each from its own secret; only their security groups may
reach the database. Every log group is encrypted with the stack's logs key
(`dbtier.infra.log_encryption`). The stack's outputs name what an operator
looks for after a deploy.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from dbtier.infra import cost
from dbtier.infra.alerts import Alerts
from dbtier.infra.application import Application, ServiceSizing
from dbtier.infra.container import image_asset
from dbtier.infra.context import InfraContext
from dbtier.infra.data import Data, DataSettings
from dbtier.infra.database_users import DatabaseUsers
from dbtier.infra.log_encryption import LogsKey, encrypt_log_groups
from dbtier.infra.migration import Migration
from dbtier.infra.network import Network
from dbtier.infra.observability import Observability, Thresholds
from dbtier.infra.parameter_group import ParameterGroupSpec
from dbtier.infra.presentation import Presentation
from dbtier.infra.waf import Waf


class DbtierStack(Stack):
    """Everything `cdk deploy` creates for one stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        context: InfraContext,
        parameter_group: ParameterGroupSpec,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(region=context.region),
            description=f"dbtier {context.stage}: ALB, ECS Fargate, RDS {context.engine}, "
            "scheduled migrations, alarms and cost controls",
        )
        prod = context.is_prod
        self.network = Network(self, "Network", nat_gateways=2 if prod else 1)
        vpc = self.network.vpc
        self.alerts = Alerts(self, "Alerts", email=context.alarm_email)
        self.data = Data(
            self,
            "Data",
            vpc=vpc,
            spec=parameter_group,
            settings=DataSettings(
                identifier=f"{context.name}-db",
                multi_az=prod,
                deletion_protection=prod,
                backup_retention_days=context.backup_retention_days,
            ),
        )
        self.presentation = Presentation(
            self,
            "Presentation",
            vpc=vpc,
            certificate_arn=context.certificate_arn,
            retain_logs=prod,
            deletion_protection=prod,
        )
        self.waf: Waf | None = None
        if context.waf:
            self.waf = Waf(
                self,
                "Waf",
                name=context.name,
                alb=self.presentation.alb,
                rate_limit=context.waf_rate_limit,
            )
        image = image_asset(self)
        self.users = DatabaseUsers(
            self,
            "Users",
            instance=self.data.instance,
            master_secret=self.data.secret,
            vpc=vpc,
            identifier=f"{context.name}-db",
            image=image,
            region=self.region,
        )
        self.application = Application(
            self,
            "Application",
            vpc=vpc,
            image=image,
            listener=self.presentation.listener,
            secret=self.users.app_secret,
            region=self.region,
            sizing=ServiceSizing(),
            budget=parameter_group.check_budget(context.stage),
        )
        self.migration = Migration(
            self,
            "Migration",
            vpc=vpc,
            cluster=self.application.cluster,
            image=image,
            secret=self.users.migrator_secret,
            topic=self.alerts.topic,
            schedule_name=f"{context.name}-migration",
            expression=context.migration_schedule,
            timezone=context.migration_timezone,
        )
        if context.snapshot_before_migration:
            self.migration.snapshot_before_migrating(self.data.instance)
        # The job keeps the app user: its name, where a new password goes, the master's ARN.
        self.users.grant_migration(self.migration.task_definition)
        job = self.migration.task_definition.default_container
        for name, value in self.users.migration_environment().items():
            if job is not None:
                job.add_environment(name, value)
        for client, what in (
            (self.application.security_group, "the Fargate service"),
            (self.migration.security_group, "the migration task"),
        ):
            self.data.instance.connections.allow_default_port_from(
                ec2.Connections(security_groups=[client]), f"Database from {what}"
            )
        self.observability = Observability(
            self,
            "Observability",
            topic=self.alerts.topic,
            data=self.data,
            alb=self.presentation.alb,
            migration=self.migration,
            application=self.application,
            thresholds=Thresholds(
                freeable_memory_bytes=parameter_group.memory_bytes // 10,
            ),
            dashboard_name=context.name,
        )
        self.cost = cost.CostControls(
            self,
            "Cost",
            name=context.name,
            topic=self.alerts.topic,
            monthly_budget_usd=context.monthly_budget_usd,
            anomaly_threshold_usd=context.anomaly_threshold_usd,
            anomaly_monitor=context.anomaly_monitor,
            email=context.alarm_email,
        )
        # Last, so every log group the constructs above made is encrypted with it.
        self.logs_key = LogsKey(self, "LogsKey", retain=prod)
        encrypt_log_groups(self, self.logs_key.key)
        self._tag(context)
        self._outputs(context)

    def _outputs(self, context: InfraContext) -> None:
        """What an operator needs after `cdk deploy`: where the service is and what runs it."""
        scheme = "http" if context.certificate_arn is None else "https"
        for name, value, description in (
            (
                "ServiceUrl",
                f"{scheme}://{self.presentation.alb.load_balancer_dns_name}",
                "The service behind the ALB",
            ),
            ("ClusterName", self.application.cluster.cluster_name, "ECS cluster"),
            ("ServiceName", self.application.service.service_name, "ECS service"),
            ("DatabaseEndpoint", self.data.instance.db_instance_endpoint_address, "RDS host"),
            (
                "DatabaseSecretArn",
                self.data.secret.secret_arn,
                "Secrets Manager secret of the RDS master credentials (bootstrap only)",
            ),
            (
                "MigratorSecretArn",
                self.users.migrator_secret.secret_arn,
                "Secrets Manager secret of the owner/migrator (the migration task)",
            ),
            (
                "AppSecretArn",
                self.users.app_secret.secret_arn,
                "Secrets Manager secret of the DML-only app user (the service)",
            ),
            (
                "BootstrapTaskDefinition",
                self.users.bootstrap_task_definition.task_definition_arn,
                "Run once after the first deploy: creates the migrator (docs/security.md)",
            ),
            (
                "MigrationScheduleName",
                self.migration.schedule.ref,
                "EventBridge Scheduler schedule that runs the migration task",
            ),
            (
                "DashboardName",
                self.observability.dashboard.dashboard_name,
                "CloudWatch dashboard with every alarm",
            ),
        ):
            CfnOutput(self, name, value=value, description=description)

    def _tag(self, context: InfraContext) -> None:
        tags = cost.tag_everything(
            self, project=context.project, stage=context.stage, owner=context.owner
        )
        # CDK's provider for the VPC's default-security-group restriction has no tag manager.
        cost.tag_untaggable(self, tags, component="network")
        for component, construct in (
            ("network", self.network),
            ("alerts", self.alerts),
            ("data", self.data),
            ("data", self.users),
            ("presentation", self.presentation),
            ("application", self.application),
            ("migration", self.migration),
            ("observability", self.observability),
            ("cost", self.cost),
            ("observability", self.logs_key),
            *([("presentation", self.waf)] if self.waf is not None else []),
        ):
            cost.tag_component(construct, component)


__all__ = ["DbtierStack"]
