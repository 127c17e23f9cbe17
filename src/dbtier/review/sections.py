"""The seed's database-design lifecycle, one function per section, each judging its evidence.

    requirements   the workload profile: what the database is for
    logical        the ER diagram of the live schema
    physical       `dbtier schema review`: keys, indexes, types, capacity
    parameters     the parameter design, and `params check` on a live server
    operations     alarms, log exports, insights, and the top slow queries
    backups        retention, point-in-time window, snapshots, the last restore drill
    security       network placement, encryption, TLS, secrets, the connected user

A section without its evidence (no template, no database URL) says what to
give it instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from dbtier.review.model import Section, Status
from dbtier.review.template import (
    Template,
    alarm_metrics,
    db_instance,
    isolated_subnets,
    parameter_values,
    refs,
)

GIB = 1024**3
DRILL_MAX_AGE_DAYS = 30
WANTED_ALARMS = {
    "CPUUtilization": "CPU",
    "FreeableMemory": "freeable memory",
    "FreeStorageSpace": "free storage",
    "DatabaseConnections": "connections",
}


@dataclass
class Evidence:
    """What the review was given; any part may be missing."""

    profile_path: Path | None = None
    profile: Any = None  # dbtier.params.WorkloadProfile
    design: Any = None  # dbtier.params.ParameterDesign
    engine: Engine | None = None
    schema: Any = None  # dbtier.schema.SchemaReport
    check: Any = None  # dbtier.observe.check.CheckReport
    template: Template | None = None
    slow_classes: list[Any] = field(default_factory=list)  # dbtier.observe.digest.QueryClass
    slow_logs: list[str] = field(default_factory=list)
    last_drill: dict[str, Any] | None = None
    backup_dir: Path | None = None
    session: dict[str, Any] = field(default_factory=dict)  # the connected user, TLS
    users: dict[str, set[str]] = field(default_factory=dict)  # grantee -> privileges here


def requirements(ev: Evidence) -> Section:
    s = Section("requirements", "1. Requirements", "要件定義: what the data is, how it is used")
    p = ev.profile
    if p is None:
        s.skipped = "no workload profile (--profile): requirements are not written down"
        s.add("workload profile", "warn", "no profile given", "profile")
        return s
    w, c, t = p.workload, p.connections, p.targets
    s.add("workload profile", "pass", f"{ev.profile_path}: {p.description.strip()}", "profile")
    s.add(
        "usage",
        "info",
        f"{w.kind}, {w.read_ratio:.0%} reads, data {w.data_size_gib:g} GiB, working set "
        f"{w.working_set_gib:g} GiB; p95 target {t.p95_latency_ms} ms at {t.throughput_qps} qps",
        "profile",
    )
    s.add(
        "connections",
        "info",
        f"connection budget {c.budget().describe()}; peak {c.peak_concurrent} active",
        "profile",
    )
    share = w.data_size_gib / p.storage.size_gib
    s.add(
        "data vs storage",
        "pass" if share <= 0.5 else "warn",
        f"data {w.data_size_gib:g} GiB is {share:.0%} of the {p.storage.size_gib} GiB "
        f"{p.storage.type} allocated",
        "profile",
    )
    s.add(
        "durability, time zone, character set",
        "pass" if p.durability == "strict" else "warn",
        f"{p.durability}, {p.time_zone}, {p.character_set}",
        "profile",
    )
    return s


def logical(ev: Evidence) -> Section:
    s = Section("logical", "2. Logical design", "論理設計: entities, relationships, normalization")
    if ev.schema is None:
        s.skipped = "no database (--database-url): the ER diagram is drawn from a live schema"
        return s
    from dbtier.schema.facts import TOOL_TABLES

    tables = [t for t in ev.schema.facts.tables if t.name not in TOOL_TABLES]
    fks = sum(len(t.foreign_keys) for t in tables)
    s.add("entities", "info", f"{len(tables)} tables, {fks} foreign keys", "live database")
    referenced = {fk.referred_table for t in tables for fk in t.foreign_keys}
    lonely = [t.name for t in tables if not t.foreign_keys and t.name not in referenced]
    s.add(
        "relationships declared",
        "pass" if not lonely or len(tables) == 1 else "warn",
        "every table takes part in a foreign key"
        if not lonely
        else f"no foreign key to or from: {', '.join(lonely)}",
        "live database",
    )
    repeating = [
        f"{t.name}.{c.name}"
        for t in tables
        for c in t.columns
        if c.name[-1:].isdigit() and c.name[:-1] + "1" in {x.name for x in t.columns}
    ]
    s.add(
        "first normal form",
        "warn" if repeating else "pass",
        f"numbered columns look like a repeating group: {', '.join(repeating)}"
        if repeating
        else "no numbered column groups (x1, x2, ...)",
        "live database",
    )
    s.body = "```mermaid\n" + ev.schema.mermaid.rstrip("\n") + "\n```\n"
    return s


def physical(ev: Evidence) -> Section:
    s = Section(
        "physical",
        "3. Physical design",
        "物理設計: types, NULL, indexes, UNIQUE, capacity, scalability",
    )
    if ev.schema is None:
        s.skipped = "no database (--database-url)"
        return s
    from dbtier.schema import growth_markdown

    mapping: dict[str, Status] = {"error": "fail", "warning": "warn", "info": "info"}
    for finding in ev.schema.findings:
        s.add(finding.rule, mapping[finding.level], finding.message, "schema review")
    if not ev.schema.errors:
        s.add("schema review", "pass", "no error-level finding", "schema review")
    s.body = "Tables and growth:\n\n" + growth_markdown(ev.schema) + "\n"
    return s


def parameters(ev: Evidence) -> Section:
    s = Section("parameters", "4. Parameters", "パラメータ設計: from the usage profile")
    if ev.design is None:
        s.skipped = "no workload profile (--profile): nothing to design from"
        return s
    d = ev.design
    budget = d.memory
    s.add(
        "memory worst case",
        "pass" if budget.ok else "fail",
        f"{budget.fraction:.0%} of DBInstanceClassMemory on {d.instance.name} "
        f"(limit {budget.limit_fraction:.0%}), max_connections {budget.max_connections}",
        "parameter design",
    )
    rows = ["| parameter | value | apply | rule | why |", "|---|---|---|---|---|"]
    for p in d.parameters:
        value = f"{p.value} {p.unit}".strip()
        why = p.rationale.replace("|", "/").replace("\n", " ")
        rows.append(f"| `{p.name}` | {value} | {p.apply_method} | {p.rule} | {why} |")
    s.body = f"Design for {d.engine} on {d.instance.name}:\n\n" + "\n".join(rows) + "\n"
    if ev.check is None:
        s.add(
            "running server",
            "info",
            "not checked: give --database-url of a MySQL/MariaDB/PostgreSQL server",
            "params check",
        )
        return s
    for drift in ev.check.drift:
        s.add(f"drift: {drift.name}", "fail", drift.describe(), "params check")
    if not ev.check.drift and ev.check.profile:
        s.add("drift", "pass", "every designed value is the running value", "params check")
    status_map: dict[str, Status] = {"ok": "pass", "warn": "warn", "info": "info", "fail": "fail"}
    for advice in ev.check.advice:
        s.add(
            f"counters: {advice.check}",
            status_map.get(advice.status, "info"),
            f"{advice.finding} (rule: {advice.rule})",
            "params check",
        )
    return s


def operations(ev: Evidence) -> Section:
    s = Section(
        "operations",
        "5. Operations and observability",
        "運用・監視: CloudWatch, general / slow query logs",
    )
    if ev.template is None:
        s.skipped = "no template (--template): alarms and log exports are read from it"
    else:
        _operations_from_template(s, ev.template)
    if ev.slow_classes:
        rows = ["| # | count | total s | p95 s | query class |", "|---:|---:|---:|---:|---|"]
        for rank, q in enumerate(ev.slow_classes, 1):
            shape = bytes(q.fingerprint).decode(errors="replace").replace("|", "/")[:120]
            p95, _estimated = q.p95()
            rows.append(f"| {rank} | {q.count:,} | {q.total_s:.3f} | {p95:.4f} | `{shape}` |")
        s.body += (
            f"Top query classes by total time in {', '.join(ev.slow_logs)}:\n\n"
            + "\n".join(rows)
            + "\n"
        )
        s.add(
            "slow query digest",
            "info",
            f"{len(ev.slow_classes)} classes shown",
            "dbtier logs digest",
        )
    else:
        s.add(
            "slow query digest", "info", "no slow log given (--slow-log FILE)", "dbtier logs digest"
        )
    return s


def _operations_from_template(s: Section, template: Template) -> None:
    metrics = alarm_metrics(template)
    names = {m.rsplit("/", 1)[1] for m in metrics}
    missing = [label for metric, label in WANTED_ALARMS.items() if metric not in names]
    s.add(
        "database alarms",
        "warn" if missing else "pass",
        f"{len(metrics)} alarm metrics"
        + (f"; none on {', '.join(missing)}" if missing else f" incl. {', '.join(WANTED_ALARMS)}"),
        "template",
    )
    found = db_instance(template)
    if found is None:
        s.add("database instance", "fail", "the template has no AWS::RDS::DBInstance", "template")
        return
    props = found[1].get("Properties", {})
    exports = props.get("EnableCloudwatchLogsExports") or []
    wanted = (
        {"slowquery", "error"}
        if props.get("Engine", "").startswith(("mysql", "mariadb"))
        else {"postgresql"}
    )
    s.add(
        "log exports to CloudWatch",
        "pass" if wanted <= set(exports) else "warn",
        f"exported: {', '.join(exports) or 'none'}",
        "template",
    )
    interval = int(props.get("MonitoringInterval") or 0)
    s.add(
        "Enhanced Monitoring",
        "pass" if interval else "warn",
        f"every {interval} s" if interval else "off (MonitoringInterval 0)",
        "template",
    )
    s.add(
        "Performance Insights",
        "pass" if props.get("EnablePerformanceInsights") else "warn",
        "on" if props.get("EnablePerformanceInsights") else "off",
        "template",
    )
    dashboards = template.of_type("AWS::CloudWatch::Dashboard")
    s.add(
        "dashboard", "pass" if dashboards else "warn", f"{len(dashboards)} dashboard(s)", "template"
    )


def backups(ev: Evidence) -> Section:
    s = Section("backups", "6. Backups", "バックアップ: snapshots and automated backups")
    if ev.template is not None and (found := db_instance(ev.template)) is not None:
        _, resource = found
        props = resource.get("Properties", {})
        days = int(props.get("BackupRetentionPeriod") or 0)
        s.add(
            "automated backups (PITR window)",
            "pass" if days >= 7 else ("warn" if days else "fail"),
            f"BackupRetentionPeriod {days} days: restore to any second in the last {days} days",
            "template",
        )
        policy = resource.get("DeletionPolicy", "Delete")
        s.add(
            "snapshot on delete",
            "pass" if policy == "Snapshot" else "warn",
            f"DeletionPolicy {policy}, "
            f"UpdateReplacePolicy {resource.get('UpdateReplacePolicy', '—')}",
            "template",
        )
        s.add(
            "deletion protection",
            "pass" if props.get("DeletionProtection") else "info",
            f"DeletionProtection {props.get('DeletionProtection')}",
            "template",
        )
    else:
        s.add("automated backups", "info", "no template (--template) to read", "template")
    drill = ev.last_drill
    if drill is None:
        s.add(
            "restore drill",
            "warn",
            f"no drill recorded in {ev.backup_dir or 'the backup directory'}: "
            "run `dbtier db restore-drill`",
            "drills.jsonl",
        )
        return s
    age = _age_days(str(drill.get("at", "")))
    fresh = age is not None and age <= DRILL_MAX_AGE_DAYS
    status: Status = "fail" if not drill.get("passed") else ("pass" if fresh else "warn")
    checks = "; ".join(
        f"{c['check']}: {'ok' if c['passed'] else 'FAILED'}" for c in drill.get("checks", [])
    )
    s.add(
        "restore drill",
        status,
        f"{'passed' if drill.get('passed') else 'FAILED'} at {drill.get('at')} "
        f"on {drill.get('backup')} "
        f"in {drill.get('seconds')} s ({checks})",
        "drills.jsonl",
    )
    return s


def security(ev: Evidence) -> Section:
    s = Section(
        "security",
        "7. Security",
        "セキュリティ: passwords, IAM, VPC placement, public access",
    )
    if ev.template is not None:
        _security_from_template(s, ev.template)
    else:
        s.add("network placement", "info", "no template (--template) to read", "template")
    if ev.session:
        superuser = bool(ev.session.get("superuser"))
        s.add(
            "connected user",
            "warn" if superuser else "pass",
            f"{ev.session.get('user')}: "
            + (
                "all privileges; the service should connect as its DML-only user"
                if superuser
                else "not a superuser"
            ),
            "live database",
        )
        _users(s, ev.users)
        tls = ev.session.get("tls")
        s.add(
            "TLS on this connection",
            "pass" if tls else "warn",
            f"cipher {tls}"
            if tls
            else "not encrypted (local servers run without TLS; RDS forces it)",
            "live database",
        )
    return s


def _users(s: Section, users: dict[str, set[str]]) -> None:
    from dbtier.review.session import DML

    dml_only = sorted(u for u, privileges in users.items() if privileges and privileges <= DML)
    for user in sorted(users):
        privileges = users[user]
        kind = "DML only" if privileges <= DML else "can change the schema"
        s.add(f"user {user}", "info", f"{kind}: {', '.join(sorted(privileges))}", "live database")
    s.add(
        "a DML-only application user",
        "pass" if dml_only else "warn",
        f"{', '.join(dml_only)} can read and write but not change the schema"
        if dml_only
        else "no user with DML only on this database: every writer can also run DDL "
        "(create one: see docs/security.md)",
        "live database",
    )


def _security_from_template(s: Section, template: Template) -> None:
    found = db_instance(template)
    if found is None:
        return
    props = found[1].get("Properties", {})
    s.add(
        "public access",
        "fail" if props.get("PubliclyAccessible") else "pass",
        f"PubliclyAccessible {props.get('PubliclyAccessible', False)}",
        "template",
    )
    s.add(
        "encryption at rest",
        "pass" if props.get("StorageEncrypted") else "fail",
        f"StorageEncrypted {props.get('StorageEncrypted', False)}",
        "template",
    )
    subnet_groups = template.props("AWS::RDS::DBSubnetGroup")
    isolated = isolated_subnets(template)
    used = (
        set().union(*(refs(g.get("SubnetIds")) for g in subnet_groups)) if subnet_groups else set()
    )
    s.add(
        "VPC placement",
        "pass" if used and used <= isolated else "warn",
        f"{len(used)} subnets, {len(used & isolated)} isolated (no route to the internet)",
        "template",
    )
    groups = {ref for g in props.get("VPCSecurityGroups", []) for ref in refs(g)}
    ingress = [
        r.get("Properties", {})
        for _, r in template.of_type("AWS::EC2::SecurityGroupIngress")
        if refs(r.get("Properties", {}).get("GroupId")) & groups
    ]
    open_rules = [p for p in ingress if p.get("CidrIp") or p.get("CidrIpv6")]
    sources = [p.get("Description", "?") for p in ingress]
    s.add(
        "database security group",
        "fail" if open_rules else "pass",
        f"ingress only from security groups: {'; '.join(sources)}"
        if not open_rules
        else f"{len(open_rules)} ingress rules by address range",
        "template",
    )
    params = parameter_values(template)
    forced = (
        params.get("require_secure_transport") in ("1", "ON", "on")
        or params.get("rds.force_ssl") == "1"
    )
    s.add(
        "TLS forced by the server", "pass" if forced else "fail", _tls_evidence(params), "template"
    )
    rotations = template.props("AWS::SecretsManager::RotationSchedule")
    s.add(
        "credentials in Secrets Manager, rotated",
        "pass" if rotations else "warn",
        f"{len(template.of_type('AWS::SecretsManager::Secret'))} secret(s), "
        f"{len(rotations)} rotation schedule(s): "
        + ", ".join(
            str((r.get("RotationRules") or {}).get("ScheduleExpression", "?")) for r in rotations
        ),
        "template",
    )
    wildcard = [
        logical
        for logical, r in template.of_type("AWS::IAM::Policy")
        for st in (r.get("Properties", {}).get("PolicyDocument", {}).get("Statement") or [])
        if st.get("Action") == "*" or st.get("Action") == ["*"]
    ]
    s.add(
        "IAM least privilege",
        "fail" if wildcard else "pass",
        "no policy allows every action" if not wildcard else f"Action * in {', '.join(wildcard)}",
        "template",
    )


def _tls_evidence(params: dict[str, str]) -> str:
    shown = {k: params[k] for k in ("require_secure_transport", "rds.force_ssl") if k in params}
    return (
        ", ".join(f"{k}={v}" for k, v in shown.items())
        or "neither require_secure_transport nor rds.force_ssl set"
    )


def _age_days(iso: str) -> float | None:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - moment).total_seconds() / 86400


SECTIONS = (requirements, logical, physical, parameters, operations, backups, security)

__all__ = ["SECTIONS", "Evidence"]
