"""Containers and ECS (issue 9, item 7): hardened task definitions, tags, rollback, WAF, outputs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from infra_synthesis import Synthesis

from dbtier.errors import UsageError
from dbtier.infra import container as facts
from dbtier.infra.context import DEFAULT_WAF_RATE_LIMIT, REPO_ROOT, parse_context
from dbtier.infra.waf import COUNT_ONLY, MANAGED_RULE_GROUPS
from dbtier.launch import facts as launch_facts
from dbtier.launch.lambda_function import Firing, LauncherConfig, run_task_request

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]


def task_definitions(s: Synthesis) -> dict[str, dict[str, Any]]:
    """Container name → (task definition properties, container definition)."""
    found = {}
    for task in s.resources("AWS::ECS::TaskDefinition").values():
        (definition,) = task["Properties"]["ContainerDefinitions"]
        found[definition["Name"]] = {"task": task["Properties"], "container": definition}
    return found


class TestHardenedContainers:
    def test_both_task_definitions_run_as_the_image_user_on_a_read_only_root(
        self, synthesis: Synthesis
    ) -> None:
        found = task_definitions(synthesis)
        assert set(found) == {"app", "migrate", "bootstrap"}  # bootstrap: docs/security.md
        for name, parts in found.items():
            definition = parts["container"]
            assert definition["User"] == "10001" == str(facts.RUNTIME_UID), name
            assert definition["ReadonlyRootFilesystem"] is True, name

    def test_a_writable_ephemeral_tmp_for_what_must_be_written(self, synthesis: Synthesis) -> None:
        for name, parts in task_definitions(synthesis).items():
            # A volume with no host and no EFS/Docker configuration is Fargate task storage.
            assert parts["task"]["Volumes"] == [{"Name": "tmp"}], name
            assert parts["container"]["MountPoints"] == [
                {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
            ], name

    def test_service_container_checks_its_own_healthz_without_curl(self, dev: Synthesis) -> None:
        check = task_definitions(dev)["app"]["container"]["HealthCheck"]
        command = check["Command"]
        assert command[:3] == ["CMD", "python", "-c"]
        assert "urllib.request" in command[3]
        assert "http://127.0.0.1:8000/healthz" in command[3]
        assert "curl" not in " ".join(command)
        assert (check["Interval"], check["Timeout"], check["Retries"]) == (30, 5, 3)
        assert check["StartPeriod"] == 60
        assert "HealthCheck" not in task_definitions(dev)["migrate"]["container"]

    def test_the_health_probe_passes_on_200_and_fails_otherwise(self) -> None:
        # The probe is plain Python (no curl in the image): run it against a real server.
        import subprocess
        import sys
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        status = {"code": 200}

        class Healthz(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status["code"] if self.path == facts.HEALTH_PATH else 404)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        def probe_exit(port: int) -> int:
            code = facts.service_health_check().command[3]
            code = code.replace(f":{facts.SERVICE_PORT}/", f":{port}/")
            run = [sys.executable, "-c", code]
            return subprocess.run(run, capture_output=True, timeout=30, check=False).returncode

        server = ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            port = server.server_address[1]
            assert probe_exit(port) == 0
            status["code"] = 503
            assert probe_exit(port) != 0
        finally:
            server.shutdown()
            server.server_close()
        assert probe_exit(port) != 0  # nothing listening any more

    def test_target_group_and_container_check_the_same_path(self, dev: Synthesis) -> None:
        _, group = dev.one("AWS::ElasticLoadBalancingV2::TargetGroup")
        assert group["Properties"]["HealthCheckPath"] == facts.HEALTH_PATH == "/healthz"


class TestDockerfileAgrees:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")

    def runtime_stage(self) -> str:
        return self.text.rsplit("\nFROM ", 1)[1]

    def test_the_image_creates_the_task_definitions_uid_and_runs_as_it(self) -> None:
        stage = self.runtime_stage()
        uid = str(facts.RUNTIME_UID)
        assert re.search(rf"groupadd\b[^\n]*--gid {uid}\b", stage)
        assert re.search(rf"useradd\b[^\n]*--uid {uid}\b", stage)
        assert re.search(rf"^USER {uid}:{uid}$", stage, re.M)

    def test_the_image_writes_only_under_the_scratch_volume(self) -> None:
        data_dir = re.search(r"DBTIER_DATA_DIR=(\S+)", self.runtime_stage())
        assert data_dir is not None
        assert data_dir.group(1).startswith(facts.SCRATCH_PATH + "/")
        assert "PYTHONDONTWRITEBYTECODE=1" in self.runtime_stage()


class TestServiceDeployment:
    def test_circuit_breaker_rolls_back(self, synthesis: Synthesis) -> None:
        _, service = synthesis.one("AWS::ECS::Service")
        config = service["Properties"]["DeploymentConfiguration"]
        assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}

    def test_service_tasks_carry_the_stack_tags(self, synthesis: Synthesis) -> None:
        _, service = synthesis.one("AWS::ECS::Service")
        assert service["Properties"]["PropagateTags"] == "TASK_DEFINITION"
        assert service["Properties"]["EnableECSManagedTags"] is True
        for parts in task_definitions(synthesis).values():
            keys = {t["Key"] for t in parts["task"]["Tags"]}
            assert {"project", "stage", "owner", "cost-center", "component"} <= keys

    def test_launched_migration_tasks_carry_the_task_definition_tags(self) -> None:
        config = LauncherConfig(
            cluster="c",
            task_definition="td",
            container_name=launch_facts.CONTAINER_NAME,
            schedule_name="s",
            started_by=launch_facts.STARTED_BY,
            job_command=launch_facts.JOB_COMMAND,
        )
        request = run_task_request(config, Firing("2026-11-30T03:00:00Z", "e"))
        assert request["propagateTags"] == "TASK_DEFINITION"
        assert request["enableECSManagedTags"] is True

    def test_alb_deletion_protection_in_prod_only(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        def protection(s: Synthesis) -> str:
            _, alb = s.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
            attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
            return str(attributes.get("deletion_protection.enabled", "false"))

        assert protection(prod_postgres) == "true"
        assert protection(dev) == "false"


class TestWaf:
    def test_absent_unless_asked_for(self, dev: Synthesis) -> None:
        assert dev.resources("AWS::WAFv2::WebACL") == {}
        assert dev.resources("AWS::WAFv2::WebACLAssociation") == {}

    def test_managed_rule_groups_and_a_rate_rule_on_the_alb(self, prod_postgres: Synthesis) -> None:
        acl_id, acl = prod_postgres.one("AWS::WAFv2::WebACL")
        props = acl["Properties"]
        assert props["Scope"] == "REGIONAL"
        assert props["DefaultAction"] == {"Allow": {}}
        rules = sorted(props["Rules"], key=lambda r: r["Priority"])
        managed = [r["Statement"]["ManagedRuleGroupStatement"] for r in rules[:-1]]
        assert [(m["VendorName"], m["Name"]) for m in managed] == [
            ("AWS", g) for g in MANAGED_RULE_GROUPS
        ]
        assert {
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet",
        } <= set(MANAGED_RULE_GROUPS)
        assert all(r["OverrideAction"] == {"None": {}} for r in rules[:-1])
        rate = rules[-1]
        assert rate["Action"] == {"Block": {}}
        assert rate["Statement"]["RateBasedStatement"] == {
            "AggregateKeyType": "IP",
            "EvaluationWindowSec": 300,
            "Limit": DEFAULT_WAF_RATE_LIMIT,
        }
        assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules)
        alb_id, _ = prod_postgres.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
        _, association = prod_postgres.one("AWS::WAFv2::WebACLAssociation")
        assert association["Properties"] == {
            "ResourceArn": {"Ref": alb_id},
            "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
        }

    def test_body_size_rule_only_counts_so_markdown_imports_pass(
        self, prod_postgres: Synthesis
    ) -> None:
        _, acl = prod_postgres.one("AWS::WAFv2::WebACL")
        (common,) = [
            r for r in acl["Properties"]["Rules"] if r["Name"] == "AWSManagedRulesCommonRuleSet"
        ]
        overrides = common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
        assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
        assert COUNT_ONLY == {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}

    @pytest.mark.parametrize(
        ("context", "message"),
        [
            ({"waf": "yes"}, "context waf: 'yes' is not true or false"),
            ({"waf_rate_limit": "5"}, "context waf_rate_limit: 5 is outside 10..2000000000"),
        ],
    )
    def test_bad_waf_context_is_named(self, context: dict[str, str], message: str) -> None:
        with pytest.raises(UsageError, match=re.escape(message)):
            parse_context(context)

    def test_rate_limit_from_context(self) -> None:
        assert parse_context({"waf": "TRUE", "waf_rate_limit": "500"}).waf_rate_limit == 500
        assert parse_context({}).waf is False


class TestOutputs:
    def test_url_cluster_secret_and_schedule(
        self, dev: Synthesis, prod_postgres: Synthesis
    ) -> None:
        outputs = dev.template["Outputs"]
        assert {
            "ServiceUrl",
            "ClusterName",
            "ServiceName",
            "DatabaseEndpoint",
            "DatabaseSecretArn",
            "MigratorSecretArn",
            "AppSecretArn",
            "BootstrapTaskDefinition",
            "MigrationScheduleName",
            "DashboardName",
        } <= set(outputs)
        alb_id, _ = dev.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
        assert outputs["ServiceUrl"]["Value"] == {
            "Fn::Join": ["", ["http://", {"Fn::GetAtt": [alb_id, "DNSName"]}]]
        }
        cluster_id, _ = dev.one("AWS::ECS::Cluster")
        assert outputs["ClusterName"]["Value"] == {"Ref": cluster_id}
        attachments = dev.resources("AWS::SecretsManager::SecretTargetAttachment")
        for output, part in (
            ("DatabaseSecretArn", "DataInstanceSecret"),
            ("MigratorSecretArn", "UsersMigratorSecret"),
            ("AppSecretArn", "UsersAppSecret"),
        ):
            (attachment_id,) = [k for k in attachments if part in k]
            assert outputs[output]["Value"] == {"Ref": attachment_id}
        schedule_id, schedule = dev.one("AWS::Scheduler::Schedule")
        assert outputs["MigrationScheduleName"]["Value"] == {"Ref": schedule_id}
        assert schedule["Properties"]["Name"] == "dbtier-dev-migration"
        https = prod_postgres.template["Outputs"]["ServiceUrl"]["Value"]["Fn::Join"][1][0]
        assert https == "https://"
