"""Presentation tier: the internet-facing Application Load Balancer.

Access logs go to an S3 bucket that refuses plain HTTP and public access.
With a certificate ARN in context the ALB serves HTTPS (TLS 1.2+) and redirects
HTTP to it; without one it serves HTTP only, which suits a first dev deploy.
In prod the ALB has deletion protection (a `cdk destroy` must turn it off first).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct


class Presentation(Construct):
    """The ALB, its security group, its access-log bucket and its listener."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        certificate_arn: str | None,
        retain_logs: bool,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # ALB access logs support SSE-S3 only, not SSE-KMS.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Versioned, so a log overwritten or deleted stays recoverable for 30 days.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(90),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN if retain_logs else RemovalPolicy.DESTROY,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Internet-facing ALB: HTTP and HTTPS from anywhere",
            allow_all_outbound=False,
        )
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            deletion_protection=deletion_protection,
        )
        self.alb.log_access_logs(self.access_logs, prefix="alb")
        self.listener = self._listeners(certificate_arn)

    def _listeners(self, certificate_arn: str | None) -> elbv2.ApplicationListener:
        if certificate_arn is None:
            return self.alb.add_listener("Http", port=80, open=True)
        self.alb.add_redirect(source_port=80, target_port=443)
        return self.alb.add_listener(
            "Https",
            port=443,
            open=True,
            certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
        )


__all__ = ["Presentation"]
