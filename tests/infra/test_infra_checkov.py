"""checkov (CloudFormation framework) on the dev and prod templates: every failure is documented.

The `checkov` executable is an isolated uv tool (`.ci/run` installs the pinned
version, so this runs in CI); without it, or with another version, the test
skips locally with the reason and fails under CI. The failed checks must equal,
per stage, the table under "checkov findings" in docs/infrastructure.md, each
row with a specific reason: a new failure, or a fixed one still listed, breaks
the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from infra_synthesis import Synthesis

from dbtier.infra.context import REPO_ROOT

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

DOC = REPO_ROOT / "docs" / "infrastructure.md"
CI_RUN = REPO_ROOT / ".ci" / "run"
BEGIN, END = "<!-- checkov-findings -->", "<!-- /checkov-findings -->"
ROW = re.compile(
    r"^\|\s*`(?P<check>CKV2?_AWS_\d+)`\s*\|\s*`(?P<resource>\w+)`\s*\|\s*(?P<stages>[a-z, ]+?)\s*"
    r"\|\s*(?P<reason>.+?)\s*\|$"
)
# CDK's logical ids end in an 8-hex-digit path hash; a generated secret adds 32 more.
HASH = re.compile(r"[0-9A-F]{8}(?:[0-9a-f]{32})?$")
STAGES = {"dev": "dev", "prod_postgres": "prod"}


@dataclass(frozen=True)
class Documented:
    check: str
    resource: str
    stages: frozenset[str]
    reason: str


def pinned_version() -> str:
    found = re.search(r"^CHECKOV_VERSION=(\S+)$", CI_RUN.read_text(encoding="utf-8"), re.M)
    assert found, ".ci/run pins CHECKOV_VERSION"
    return found.group(1)


def checkov_executable() -> str | None:
    """`checkov` on PATH, else in uv's tool bin directory (where `uv tool install` puts it)."""
    found = shutil.which("checkov")
    uv = shutil.which("uv")
    if found is None and uv is not None:
        tool_bin = subprocess.run(
            [uv, "tool", "dir", "--bin"], capture_output=True, text=True, check=False
        ).stdout.strip()
        found = shutil.which("checkov", path=tool_bin) if tool_bin else None
    return found


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run installs checkov {pinned_version()}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def checkov() -> str:
    executable = checkov_executable()
    if executable is None:
        unavailable("checkov is not installed (uv tool install checkov==" + pinned_version() + ")")
        raise AssertionError("unreachable")
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    if version != pinned_version():
        unavailable(f"checkov {version} found; the findings are documented for {pinned_version()}")
    return executable


def normalized(resource: str, stack_name: str) -> str:
    """`AWS::Type.LogicalId` → the logical id without the stack-name prefix and CDK's hash."""
    logical = resource.split(".", 1)[1]
    logical = logical.removeprefix(stack_name.replace("-", ""))
    return HASH.sub("", logical)


@pytest.fixture(scope="session")
def checkov_failures(checkov: str, synthesis: Synthesis) -> Iterator[set[tuple[str, str]]]:
    """(check id, normalized logical id) of every failed check, one checkov run per stage."""
    result = subprocess.run(
        [
            checkov,
            "-f",
            str(synthesis.template_file),
            "--framework",
            "cloudformation",
            "-o",
            "json",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports), result.stdout[:2000]
    yield {
        (failed["check_id"], normalized(failed["resource"], synthesis.artifact_id))
        for r in reports
        for failed in r["results"]["failed_checks"]
    }


def documented() -> list[Documented]:
    section = DOC.read_text(encoding="utf-8").split(BEGIN)[1].split(END)[0]
    rows = [ROW.match(line.strip()) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "every table row reads | `CHECK` | `Resource` | stages | reason |"
    return [
        Documented(
            m["check"],
            m["resource"],
            frozenset(s.strip() for s in m["stages"].split(",")),
            m["reason"],
        )
        for m in rows
        if m is not None
    ]


def test_the_documented_findings_table_is_well_formed() -> None:
    rows = documented()
    assert rows
    for row in rows:
        assert row.stages <= {"dev", "prod"} and row.stages, row
        assert len(row.reason) >= 60, f"{row.check} {row.resource}: give a specific reason"
    keys = [(r.check, r.resource) for r in rows]
    assert len(keys) == len(set(keys)), "one row per check and resource"


def test_every_failed_check_is_documented_and_nothing_else(
    request: pytest.FixtureRequest,
    synthesis: Synthesis,
    checkov_failures: set[tuple[str, str]],
) -> None:
    stage = STAGES[request.node.callspec.params["synthesis"]]
    expected = {(r.check, r.resource) for r in documented() if stage in r.stages}
    undocumented = sorted(checkov_failures - expected)
    stale = sorted(expected - checkov_failures)
    assert not undocumented, (
        f"checkov fails on the {stage} template where docs/infrastructure.md "
        f"('checkov findings') gives no reason: {undocumented}; fix them or add a row each"
    )
    assert not stale, f"documented for {stage} but checkov passes now, remove the rows: {stale}"


def test_no_failure_for_enhanced_monitoring_or_the_launcher_destination(
    checkov_failures: set[tuple[str, str]], synthesis: Synthesis
) -> None:
    failed = {check for check, _ in checkov_failures}
    assert "CKV_AWS_118" not in failed  # Enhanced Monitoring
    launcher = {check for check, resource in checkov_failures if resource == "MigrationLauncher"}
    # CKV_AWS_116 reads only the function's DeadLetterConfig; the launcher's failures go
    # to an on-failure destination instead (documented), which must therefore exist.
    if "CKV_AWS_116" in launcher:
        configs = synthesis.resources("AWS::Lambda::EventInvokeConfig")
        on_failure = [
            c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
            for c in configs.values()
            if "OnFailure" in c["Properties"].get("DestinationConfig", {})
        ]
        assert on_failure, "the launcher has no on-failure destination (issue 9, item 5)"


def test_checkov_pin_is_the_one_documented() -> None:
    assert f"checkov {pinned_version()}" in DOC.read_text(encoding="utf-8")
