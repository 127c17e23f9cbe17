"""One seed component per test class: the resource is there with the properties that matter."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template
from infra_synthesis import CERTIFICATE, Synthesis

from dbtier import params
from dbtier.config import DEFAULT_MAX_RUNTIME_S
from dbtier.infra.application import SESSION_SECRET_ENV
from dbtier.infra.context import REPO_ROOT
from dbtier.infra.migration import (
    LAUNCHER_MAX_EVENT_AGE,
    LAUNCHER_RETRY_ATTEMPTS,
    SCHEDULE_INPUT,
)
from dbtier.infra.parameter_group import merged
from dbtier.launch import facts
from dbtier.migrate.deadline import STOP_TIMEOUT_S, overdue_after

MONITOR_ARN = "arn:aws:ce::123456789012:anomalymonitor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]


def template(s: Synthesis) -> Template:
    return Template.from_json(s.template)


def logical_id(s: Synthesis, type_: str, path_part: str) -> str:
    ids = [k for k in s.resources(type_) if path_part in k]
    assert len(ids) == 1, f"{type_} with {path_part}: {ids}"
    return str(ids[0])


class TestNetwork:
    def test_vpc_over_two_azs_with_three_subnet_tiers(self, dev: Synthesis) -> None:
        t = template(dev)
        t.resource_count_is("AWS::EC2::VPC", 1)
        subnets = dev.resources("AWS::EC2::Subnet")
        tiers = {
            next(
                tag["Value"]
                for tag in r["Properties"]["Tags"]
                if tag["Key"] == "aws-cdk:subnet-name"
            )
            for r in subnets.values()
        }
        assert len(subnets) == 6
        assert tiers == {"public", "application", "data"}

    def test_flow_log_captures_all_traffic(self, dev: Synthesis) -> None:
        template(dev).has_resource_properties(
            "AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL"}
        )

    def test_prod_has_a_nat_gateway_per_az(self, dev: Synthesis, prod_postgres: Synthesis) -> None:
        template(dev).resource_count_is("AWS::EC2::NatGateway", 1)
        template(prod_postgres).resource_count_is("AWS::EC2::NatGateway", 2)


class TestPresentation:
    def test_internet_facing_alb_with_access_logs(self, dev: Synthesis) -> None:
        _, alb = dev.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
        props = alb["Properties"]
        assert props["Scheme"] == "internet-facing"
        attributes = {a["Key"]: a["Value"] for a in props["LoadBalancerAttributes"]}
        bucket_id, _ = dev.one("AWS::S3::Bucket")
        assert attributes["access_logs.s3.enabled"] == "true"
        assert attributes["access_logs.s3.bucket"] == {"Ref": bucket_id}
        assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"

    def test_access_log_bucket_refuses_plain_http_and_public_access(self, dev: Synthesis) -> None:
        t = template(dev)
        t.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "RestrictPublicBuckets": True,
                }
            },
        )
        t.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                }
            },
        )

    def test_http_only_without_certificate(self, dev: Synthesis) -> None:
        t = template(dev)
        t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1)
        t.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"}
        )

    def test_https_and_redirect_with_certificate(self, prod_postgres: Synthesis) -> None:
        t = template(prod_postgres)
        t.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::Listener",
            {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": CERTIFICATE}]},
        )
        t.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::Listener",
            {
                "Port": 80,
                "DefaultActions": [
                    Match.object_like(
                        {"Type": "redirect", "RedirectConfig": Match.object_like({"Port": "443"})}
                    )
                ],
            },
        )


class TestApplication:
    def test_cluster_has_container_insights(self, dev: Synthesis) -> None:
        template(dev).has_resource_properties(
            "AWS::ECS::Cluster",
            {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
        )

    def test_fargate_service_in_private_subnets_behind_alb(self, dev: Synthesis) -> None:
        _, service = dev.one("AWS::ECS::Service")
        props = service["Properties"]
        assert props["LaunchType"] == "FARGATE"
        network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert all("applicationSubnet" in s["Ref"] for s in network["Subnets"])
        assert props["LoadBalancers"][0]["ContainerPort"] == 8000

    def test_health_check_on_healthz(self, dev: Synthesis) -> None:
        template(dev).has_resource_properties(
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            {"HealthCheckPath": "/healthz", "Matcher": {"HttpCode": "200"}, "TargetType": "ip"},
        )

    def test_scales_on_cpu_and_requests_per_target(self, dev: Synthesis) -> None:
        kinds = {
            r["Properties"]["TargetTrackingScalingPolicyConfiguration"][
                "PredefinedMetricSpecification"
            ]["PredefinedMetricType"]
            for r in dev.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        }
        assert kinds == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}

    def test_credentials_come_through_secrets_not_environment(self, dev: Synthesis) -> None:
        # The attachment is the secret with the instance's host and port filled in; the
        # service logs in as the DML-only application user, never as the master.
        secret_id = logical_id(dev, "AWS::SecretsManager::SecretTargetAttachment", "UsersAppSecret")
        session_key = logical_id(dev, "AWS::SecretsManager::Secret", "ApplicationSessionKey")
        app = dev.container("app")
        assert app["Secrets"] == [
            {"Name": "DBTIER_DB_SECRET_JSON", "ValueFrom": {"Ref": secret_id}},
            # One cookie-signing key for every task (nippo.web.session).
            {"Name": SESSION_SECRET_ENV, "ValueFrom": {"Ref": session_key}},
        ]
        environment = {e["Name"]: e["Value"] for e in app["Environment"]}
        assert environment["DBTIER_DB_SECRET_ID"] == {"Ref": secret_id}
        assert environment["DBTIER_DB_NAME"] == "nippo"
        assert not [
            n
            for n in environment
            if "PASSWORD" in n or n in {"DBTIER_DB_SECRET_JSON", SESSION_SECRET_ENV}
        ]


class TestData:
    def test_instance_is_private_encrypted_and_backed_up(self, dev: Synthesis) -> None:
        _logical, db = dev.one("AWS::RDS::DBInstance")
        props = db["Properties"]
        assert props["Engine"] == "mysql"
        assert props["EngineVersion"].startswith("8.4.")
        assert props["PubliclyAccessible"] is False
        assert props["StorageEncrypted"] is True
        assert props["BackupRetentionPeriod"] == 7
        assert props["EnableCloudwatchLogsExports"] == ["error", "general", "slowquery"]
        assert props["MultiAZ"] is False
        assert db["DeletionPolicy"] == "Snapshot"
        assert db["UpdateReplacePolicy"] == "Snapshot"
        subnet_group = dev.template["Resources"][props["DBSubnetGroupName"]["Ref"]]
        assert all("dataSubnet" in s["Ref"] for s in subnet_group["Properties"]["SubnetIds"])

    def test_parameter_group_is_the_design_plus_tls(self, dev: Synthesis) -> None:
        design = params.design(params.load_profile(REPO_ROOT / "examples/workloads/nippo.yaml"))
        _, group = dev.one("AWS::RDS::DBParameterGroup")
        props = group["Properties"]
        assert props["Family"] == design.family == "mysql8.4"
        assert props["Parameters"] == merged("mysql", params.cdk_parameters(design))
        assert props["Parameters"]["require_secure_transport"] == "1"

    def test_prod_postgres(self, prod_postgres: Synthesis) -> None:
        design = params.design(
            params.load_profile(REPO_ROOT / "examples/workloads/nippo-postgres.yaml")
        )
        _, db = prod_postgres.one("AWS::RDS::DBInstance")
        props = db["Properties"]
        assert props["Engine"] == "postgres"
        assert props["MultiAZ"] is True
        assert props["DeletionProtection"] is True
        assert props["BackupRetentionPeriod"] == 14
        assert props["EnableCloudwatchLogsExports"] == ["postgresql"]
        assert props["PubliclyAccessible"] is False
        _, group = prod_postgres.one("AWS::RDS::DBParameterGroup")
        assert group["Properties"]["Family"] == design.family
        assert group["Properties"]["Parameters"]["rds.force_ssl"] == "1"

    def test_database_admits_only_service_and_migration(self, dev: Synthesis) -> None:
        db_sg = logical_id(dev, "AWS::EC2::SecurityGroup", "DataSecurityGroup")
        sources = {
            r["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
            for r in dev.resources("AWS::EC2::SecurityGroupIngress").values()
            if r["Properties"]["GroupId"] == {"Fn::GetAtt": [db_sg, "GroupId"]}
        }
        assert {s.split("SecurityGroup")[0] for s in sources} == {
            "Application",
            "Migration",
            "DataInstanceRotationSingleUser",  # the master's rotation
            "UsersMigratorRotation",
            "DataInstanceAppRotation",  # multi-user: the instance's own rotation construct
        }


SECRETS = {  # attachment logical-id part → the user the secret holds
    "DataInstanceSecret": "dbtier_admin",
    "UsersMigratorSecret": "nippo_migrator",
    "UsersAppSecret": "nippo_app",
}


def secret_readers(s: Synthesis) -> dict[str, set[str]]:
    """Attachment logical id → the roles whose policies may GetSecretValue on it."""
    readers: dict[str, set[str]] = {}
    for policy in s.resources("AWS::IAM::Policy").values():
        roles = {r["Ref"] for r in policy["Properties"]["Roles"]}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if "secretsmanager:GetSecretValue" not in actions:
                continue
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                readers.setdefault(resource["Ref"], set()).update(roles)
    return readers


class TestSecrets:
    def test_three_generated_secrets_each_rotated(self, dev: Synthesis) -> None:
        secrets = dev.resources("AWS::SecretsManager::Secret")
        assert len(secrets) == len(SECRETS) + 1  # the database users' and the session key
        for part, username in SECRETS.items():
            secret_id = logical_id(dev, "AWS::SecretsManager::Secret", part)
            template_json = json.dumps(
                secrets[secret_id]["Properties"]["GenerateSecretString"]["SecretStringTemplate"]
            )
            assert username in template_json
            attachment = logical_id(dev, "AWS::SecretsManager::SecretTargetAttachment", part)
            template(dev).has_resource_properties(
                "AWS::SecretsManager::RotationSchedule",
                {
                    "SecretId": {"Ref": attachment},
                    "RotationRules": {"ScheduleExpression": "rate(30 days)"},
                },
            )

    def test_session_key_generated_for_the_service_only(self, dev: Synthesis) -> None:
        session_key = logical_id(dev, "AWS::SecretsManager::Secret", "ApplicationSessionKey")
        generated = dev.resources("AWS::SecretsManager::Secret")[session_key]["Properties"]
        assert generated["GenerateSecretString"]["PasswordLength"] >= 64
        # Not rotated (a new key ends every session; cdk-nag SMG4 reviewed), and only the
        # service's execution role reads it, to hand it to the container.
        assert secret_readers(dev)[session_key] == {
            logical_id(dev, "AWS::IAM::Role", "ApplicationTaskDefinitionExecutionRole")
        }

    def test_only_the_task_roles_can_read_it(self, dev: Synthesis) -> None:

        def role(part: str) -> str:
            return logical_id(dev, "AWS::IAM::Role", part)

        def attachment(part: str) -> str:
            return logical_id(dev, "AWS::SecretsManager::SecretTargetAttachment", part)

        readers = secret_readers(dev)
        readers.pop(logical_id(dev, "AWS::SecretsManager::Secret", "ApplicationSessionKey"))
        assert readers == {
            # The app user's secret: the service's task and execution roles only.
            attachment("UsersAppSecret"): {
                role("ApplicationTaskDefinitionExecutionRole"),
                role("ApplicationTaskDefinitionTaskRole"),
            },
            # The migrator's: the migration task, and the bootstrap that creates the user.
            attachment("UsersMigratorSecret"): {
                role("MigrationTaskDefinitionExecutionRole"),
                role("MigrationTaskDefinitionTaskRole"),
                role("UsersBootstrapTaskDefinitionTaskRole"),
            },
            # The master's: the bootstrap task only (rotation functions live in their apps).
            attachment("DataInstanceSecret"): {
                role("UsersBootstrapTaskDefinitionExecutionRole"),
                role("UsersBootstrapTaskDefinitionTaskRole"),
            },
        }

    def test_secret_and_cluster_in_the_same_region(self, synthesis: Synthesis) -> None:
        manifest = json.loads((synthesis.outdir / "manifest.json").read_text())
        environment = manifest["artifacts"][synthesis.artifact_id]["environment"]
        assert environment == "aws://unknown-account/ap-northeast-1"
        assert synthesis.region == "ap-northeast-1"
        # One stack, one region: the secrets and the cluster are resources of the same template.
        assert len(synthesis.resources("AWS::SecretsManager::Secret")) == len(SECRETS) + 1
        synthesis.one("AWS::ECS::Cluster")


class TestMigration:
    def test_task_runs_dbtier_migrate_from_the_service_image(self, dev: Synthesis) -> None:
        job = dev.container(facts.CONTAINER_NAME)
        assert job["Command"] == list(facts.JOB_COMMAND)
        assert job["Image"] == dev.container("app")["Image"]
        assert [s["Name"] for s in job["Secrets"]] == ["DBTIER_DB_SECRET_JSON"]

    def test_launcher_is_the_single_file_asset(self, dev: Synthesis) -> None:
        _, fn = next(
            (k, r) for k, r in dev.resources("AWS::Lambda::Function").items() if "Launcher" in k
        )
        props = fn["Properties"]
        assert props["Handler"] == "lambda_function.handler"
        assert props["Runtime"] == "python3.14"
        asset = dev.outdir / f"asset.{props['Code']['S3Key'].split('.')[0]}"
        assert sorted(p.name for p in asset.iterdir()) == ["lambda_function.py"]
        env = props["Environment"]["Variables"]
        assert set(env) == {
            "CLUSTER_ARN",
            "TASK_DEFINITION_ARN",
            "CONTAINER_NAME",
            "SUBNETS",
            "SECURITY_GROUPS",
            "LAUNCH_TYPE",
            "STARTED_BY",
            "JOB_COMMAND",
            "SCHEDULE_NAME",
            "MAX_TASK_AGE_SECONDS",
        }
        assert env["LAUNCH_TYPE"] == "FARGATE"

    def test_launcher_and_task_definition_agree_on_the_declared_facts(self, dev: Synthesis) -> None:
        """startedBy, container and command: one declaration (dbtier.launch.facts), read by
        the handler from the environment the stack sets, and the task definition's own."""
        from dbtier.launch.lambda_function import LauncherConfig

        _, fn = next(
            (k, r) for k, r in dev.resources("AWS::Lambda::Function").items() if "Launcher" in k
        )
        env = {k: str(v) for k, v in fn["Properties"]["Environment"]["Variables"].items()}
        config = LauncherConfig.from_env(env)
        assert config.started_by == facts.STARTED_BY
        assert config.container_name == facts.CONTAINER_NAME
        assert config.job_command == facts.JOB_COMMAND
        assert dev.container(config.container_name)["Command"] == list(config.job_command)
        handler_source = (REPO_ROOT / "src/dbtier/launch/lambda_function.py").read_text()
        assert facts.STARTED_BY not in handler_source
        assert '"migrate", "run"' not in handler_source

    def test_launcher_failures_go_to_an_encrypted_queue_with_an_alarm(self, dev: Synthesis) -> None:
        launcher = logical_id(dev, "AWS::Lambda::Function", "MigrationLauncher")
        queue = logical_id(dev, "AWS::SQS::Queue", "LauncherFailureQueue")
        _, config = dev.one("AWS::Lambda::EventInvokeConfig")
        props = config["Properties"]
        assert props["FunctionName"] == {"Ref": launcher}
        assert props["MaximumRetryAttempts"] == LAUNCHER_RETRY_ATTEMPTS == 2
        assert props["MaximumEventAgeInSeconds"] == LAUNCHER_MAX_EVENT_AGE.to_seconds() == 3600
        assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": [queue, "Arn"]
        }
        assert dev.resources("AWS::SQS::Queue")[queue]["Properties"]["SqsManagedSseEnabled"]
        alarm = dev.resources("AWS::CloudWatch::Alarm")[
            logical_id(dev, "AWS::CloudWatch::Alarm", "LauncherFailures")
        ]["Properties"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
        # The schedule's DLQ is another queue: it keeps only failed hand-offs to Lambda.
        _, schedule = dev.one("AWS::Scheduler::Schedule")
        dlq = schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]
        assert dlq["Fn::GetAtt"][0] != queue

    def test_job_deadline_stop_timeout_and_overlap_guard_agree(self, dev: Synthesis) -> None:
        job = dev.container("migrate")
        environment = {e["Name"]: e["Value"] for e in job["Environment"]}
        max_runtime = float(environment["DBTIER_MAX_RUNTIME"])
        assert max_runtime == DEFAULT_MAX_RUNTIME_S
        assert job["StopTimeout"] == STOP_TIMEOUT_S
        _, fn = next(
            (k, r) for k, r in dev.resources("AWS::Lambda::Function").items() if "Launcher" in k
        )
        age = int(fn["Properties"]["Environment"]["Variables"]["MAX_TASK_AGE_SECONDS"])
        # The launcher waits out the run, its SIGTERM grace and a margin; no longer.
        assert age == overdue_after(max_runtime) > max_runtime + STOP_TIMEOUT_S

    def test_launcher_has_least_privilege(self, dev: Synthesis) -> None:
        task_def = logical_id(dev, "AWS::ECS::TaskDefinition", "Migration")
        policy = dev.resources("AWS::IAM::Policy")[
            logical_id(dev, "AWS::IAM::Policy", "LauncherRoleDefaultPolicy")
        ]
        statements = {
            s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
        }
        assert set(statements) == {
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            "ecs:RunTask",
            "ecs:TagResource",
            "ecs:ListTasks",
            ("ecs:DescribeTasks", "ecs:StopTask"),
            "iam:PassRole",
            ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
        }
        send = statements[("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")]
        failures = logical_id(dev, "AWS::SQS::Queue", "LauncherFailureQueue")
        assert send["Resource"] == {"Fn::GetAtt": [failures, "Arn"]}  # its on-failure queue
        assert statements["ecs:RunTask"]["Resource"] == {"Ref": task_def}
        guard = statements[("ecs:DescribeTasks", "ecs:StopTask")]
        assert "ecs:cluster" in guard["Condition"]["ArnEquals"]
        assert "ecs:cluster" in statements["ecs:ListTasks"]["Condition"]["ArnEquals"]
        passed = {r["Fn::GetAtt"][0] for r in statements["iam:PassRole"]["Resource"]}
        assert passed == {
            logical_id(dev, "AWS::IAM::Role", "MigrationTaskDefinitionTaskRole"),
            logical_id(dev, "AWS::IAM::Role", "MigrationTaskDefinitionExecutionRole"),
        }

    def test_schedule_validated_defaults_retry_and_dead_letter(self, dev: Synthesis) -> None:
        _, schedule = dev.one("AWS::Scheduler::Schedule")
        props = schedule["Properties"]
        assert props["ScheduleExpression"] == "cron(0 3 * * ? *)"
        assert props["ScheduleExpressionTimezone"] == "Asia/Tokyo"
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = props["Target"]
        assert target["RetryPolicy"] == {
            "MaximumEventAgeInSeconds": 3600,
            "MaximumRetryAttempts": 3,
        }
        queue_id = logical_id(dev, "AWS::SQS::Queue", "DeadLetterQueue")
        queue = dev.resources("AWS::SQS::Queue")[queue_id]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert target["Input"] == SCHEDULE_INPUT
        assert json.loads(target["Input"]) == {
            "scheduled_time": "<aws.scheduler.scheduled-time>",
            "execution_id": "<aws.scheduler.execution-id>",
            "schedule_arn": "<aws.scheduler.schedule-arn>",
            "attempt": "<aws.scheduler.attempt-number>",
        }

    def test_failed_migration_task_notifies_the_topic(self, dev: Synthesis) -> None:
        topic_id, _ = dev.one("AWS::SNS::Topic")
        _, rule = dev.one("AWS::Events::Rule")
        pattern = rule["Properties"]["EventPattern"]
        assert pattern["detail-type"] == ["ECS Task State Change"]
        exits = pattern["detail"]["$or"][0]
        assert exits["containers"] == {"exitCode": [{"anything-but": 0}]}
        assert exits["lastStatus"] == ["STOPPED"]
        assert exits["taskDefinitionArn"] == [
            {"Ref": logical_id(dev, "AWS::ECS::TaskDefinition", "Migration")}
        ]
        assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": topic_id}

    def test_topic_and_queue_encrypted_and_ssl_only(self, dev: Synthesis) -> None:
        _, topic = dev.one("AWS::SNS::Topic")
        assert "KmsMasterKeyId" in topic["Properties"]
        policies = [
            *dev.resources("AWS::SNS::TopicPolicy").values(),
            *dev.resources("AWS::SQS::QueuePolicy").values(),
        ]
        assert len(policies) == 3  # the topic, the schedule's DLQ, the launcher's failures
        for policy in policies:
            assert any(
                s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
            )


class TestObservability:
    def test_alarms_cover_every_tier_and_notify_the_topic(self, dev: Synthesis) -> None:
        topic_id, _ = dev.one("AWS::SNS::Topic")
        alarms = dev.resources("AWS::CloudWatch::Alarm")
        names = {k.removeprefix("Observability").rstrip("0123456789ABCDEF") for k in alarms}
        assert names == {
            "DbCpu",
            "DbFreeableMemory",
            "DbConnections",
            "DbFreeStorage",
            "Alb5xx",
            "AlbTargetResponseTime",
            "LauncherErrors",
            "LauncherFailures",
            "ScheduleDeadLetters",
            "MigrationFailed",
            "RunningTasksBelowDesired",
            "UnhealthyTargets",
            "DbCpuCreditBalance",
        }
        for alarm in alarms.values():
            assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]

    def test_connections_alarm_from_the_designed_max_connections(self, dev: Synthesis) -> None:
        design = params.design(params.load_profile(REPO_ROOT / "examples/workloads/nippo.yaml"))
        alarm = dev.resources("AWS::CloudWatch::Alarm")[
            logical_id(dev, "AWS::CloudWatch::Alarm", "DbConnections")
        ]
        assert alarm["Properties"]["MetricName"] == "DatabaseConnections"
        assert alarm["Properties"]["Threshold"] == int(design.max_connections * 0.8)

    def test_migration_failure_alarm_sums_the_rule_and_the_job_metrics(
        self, dev: Synthesis
    ) -> None:
        alarm = dev.resources("AWS::CloudWatch::Alarm")[
            logical_id(dev, "AWS::CloudWatch::Alarm", "MigrationFailed")
        ]
        metrics = {
            (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
            for m in alarm["Properties"]["Metrics"]
            if "MetricStat" in m
        }
        assert metrics == {
            ("AWS/Events", "TriggeredRules"),
            ("dbtier", "Failed"),
            ("dbtier", "Unreachable"),
            ("dbtier", "Refused"),  # the lint gate or a dirty database refused the run
        }
        assert alarm["Properties"]["Threshold"] == 1

    def test_one_dashboard(self, dev: Synthesis) -> None:
        template(dev).resource_count_is("AWS::CloudWatch::Dashboard", 1)


class TestCost:
    def test_every_tagged_resource_carries_the_allocation_tags(self, dev: Synthesis) -> None:
        untagged = []
        for logical, resource in dev.template["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if isinstance(tags, list):
                keys = {t["Key"] for t in tags}
            elif isinstance(tags, dict):
                keys = set(tags)
            else:
                continue
            if not {"project", "stage", "owner", "component", "cost-center"} <= keys:
                untagged.append(logical)
        assert untagged == []
        for type_ in (
            "AWS::RDS::DBInstance",
            "AWS::ECS::Service",
            "AWS::EC2::VPC",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "AWS::Lambda::Function",
        ):
            for resource in dev.resources(type_).values():
                assert "Tags" in resource["Properties"], type_

    def test_budget_with_actual_and_forecast_notifications(self, prod_postgres: Synthesis) -> None:
        topic_id, _ = prod_postgres.one("AWS::SNS::Topic")
        _, budget = prod_postgres.one("AWS::Budgets::Budget")
        props = budget["Properties"]
        assert props["Budget"]["TimeUnit"] == "MONTHLY"
        assert props["Budget"]["BudgetLimit"] == {"Amount": 200, "Unit": "USD"}
        kinds = {
            n["Notification"]["NotificationType"] for n in props["NotificationsWithSubscribers"]
        }
        assert kinds == {"ACTUAL", "FORECASTED"}
        subscribers = props["NotificationsWithSubscribers"][0]["Subscribers"]
        assert {"SubscriptionType": "SNS", "Address": {"Ref": topic_id}} in subscribers
        assert {"SubscriptionType": "EMAIL", "Address": "ops@example.com"} in subscribers

    def test_anomaly_monitor_is_custom_on_the_stacks_cost_center_tag(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        """Not DIMENSIONAL/SERVICE: AWS allows one per account, so a second rolls back."""
        for synthesis, name in ((dev, "dbtier-dev"), (prod_postgres, "dbtier-prod")):
            monitor_id, monitor = synthesis.one("AWS::CE::AnomalyMonitor")
            props = monitor["Properties"]
            assert props["MonitorType"] == "CUSTOM"
            assert "MonitorDimension" not in props
            assert json.loads(props["MonitorSpecification"]) == {
                "Tags": {"Key": "cost-center", "Values": [name], "MatchOptions": ["EQUALS"]}
            }
            _, subscription = synthesis.one("AWS::CE::AnomalySubscription")
            sub = subscription["Properties"]
            assert sub["MonitorArnList"] == [{"Fn::GetAtt": [monitor_id, "MonitorArn"]}]
            threshold = json.loads(sub["ThresholdExpression"])
            assert threshold["Dimensions"]["Key"] == "ANOMALY_TOTAL_IMPACT_ABSOLUTE"
            assert threshold["Dimensions"]["Values"] == ["20"]
        tagged = {
            t["Key"]: t["Value"]
            for t in dev.resources("AWS::EC2::VPC").popitem()[1]["Properties"]["Tags"]
        }
        assert tagged["cost-center"] == "dbtier-dev"  # the tag the monitor watches is set

    @pytest.mark.parametrize("choice", [MONITOR_ARN, "none"])
    def test_an_existing_monitor_or_none(self, choice: str) -> None:
        """The two other choices, on the cost construct alone (no whole-stack synthesis)."""
        from aws_cdk import App, Stack
        from aws_cdk import aws_sns as sns

        from dbtier.infra.context import parse_context
        from dbtier.infra.cost import CostControls

        checked = parse_context({"anomaly_monitor": choice})
        stack = Stack(App(), "CostOnly")
        CostControls(
            stack,
            "Cost",
            name=checked.name,
            topic=sns.Topic(stack, "Topic"),
            monthly_budget_usd=checked.monthly_budget_usd,
            anomaly_threshold_usd=checked.anomaly_threshold_usd,
            anomaly_monitor=checked.anomaly_monitor,
            email=None,
        )
        t = Template.from_stack(stack)
        t.resource_count_is("AWS::CE::AnomalyMonitor", 0)
        t.resource_count_is("AWS::Budgets::Budget", 1)
        if choice == "none":
            t.resource_count_is("AWS::CE::AnomalySubscription", 0)
        else:
            t.has_resource_properties(
                "AWS::CE::AnomalySubscription", {"MonitorArnList": [MONITOR_ARN]}
            )


class TestFinalWiring:
    def test_the_service_trusts_forwarded_for_only_from_inside_the_vpc(
        self, dev: Synthesis
    ) -> None:
        environment = {e["Name"]: e["Value"] for e in dev.container("app")["Environment"]}
        vpc = logical_id(dev, "AWS::EC2::VPC", "Vpc")
        assert environment["DBTIER_TRUSTED_PROXIES"] == {"Fn::GetAtt": [vpc, "CidrBlock"]}

    def test_prod_snapshots_before_migrating_and_may_only_snapshot_its_instance(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        job = {e["Name"]: e["Value"] for e in prod_postgres.container("migrate")["Environment"]}
        assert job["DBTIER_SNAPSHOT_BEFORE"] == "1"
        assert job["DBTIER_RDS_INSTANCE_ID"] == {
            "Ref": logical_id(prod_postgres, "AWS::RDS::DBInstance", "Data")
        }
        statements = [
            s
            for policy in prod_postgres.resources("AWS::IAM::Policy").values()
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if "rds:CreateDBSnapshot" in str(s["Action"])
        ]
        assert len(statements) == 1
        assert "-pre-*" in str(statements[0]["Resource"])
        dev_job = {e["Name"] for e in dev.container("migrate")["Environment"]}
        assert "DBTIER_SNAPSHOT_BEFORE" not in dev_job
