"""RDS log files (DownloadDBLogFilePortion, Stubber) and CloudWatch Logs (FilterLogEvents, moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.errors import UsageError
from dbtier.observe.run import digest_sources
from dbtier.observe.sources import cloudwatch_source, rds_sources

if TYPE_CHECKING:
    from tests.dbtier.observe.conftest import ClassesOf, DigestOf

REGION = "ap-northeast-1"
INSTANCE = "nippo-db"


@pytest.fixture
def rds() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "rds", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _pages(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_rds_log_file_is_read_page_by_page(
    rds: tuple[Any, Stubber], samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    client, stubber = rds
    text = (samples / "mysql8-slow.log").read_text()
    pages = _pages(text, 400)
    stubber.add_response(
        "describe_db_log_files",
        {
            "DescribeDBLogFiles": [
                {"LogFileName": "slowquery/mysql-slowquery.log.2026-11-30.02", "LastWritten": 2}
            ],
            "Marker": "m1",
        },
        {"DBInstanceIdentifier": INSTANCE, "FilenameContains": "slowquery"},
    )
    stubber.add_response(
        "describe_db_log_files",
        {
            "DescribeDBLogFiles": [
                {"LogFileName": "slowquery/mysql-slowquery.log", "LastWritten": 9}
            ]
        },
        {"DBInstanceIdentifier": INSTANCE, "FilenameContains": "slowquery", "Marker": "m1"},
    )
    marker = "0"
    for index, page in enumerate(pages):
        last = index == len(pages) - 1
        stubber.add_response(
            "download_db_log_file_portion",
            {"LogFileData": page, "Marker": f"0:{index + 1}", "AdditionalDataPending": not last},
            {
                "DBInstanceIdentifier": INSTANCE,
                "LogFileName": "slowquery/mysql-slowquery.log.2026-11-30.02",
                "Marker": marker,
            },
        )
        marker = f"0:{index + 1}"
    stubber.add_response(
        "download_db_log_file_portion",
        {"LogFileData": "", "AdditionalDataPending": False},
        {
            "DBInstanceIdentifier": INSTANCE,
            "LogFileName": "slowquery/mysql-slowquery.log",
            "Marker": "0",
        },
    )
    sources = rds_sources(client, INSTANCE, [], "slowquery", None)
    assert [source.name for source in sources] == [
        f"rds:{INSTANCE}/slowquery/mysql-slowquery.log.2026-11-30.02",
        f"rds:{INSTANCE}/slowquery/mysql-slowquery.log",
    ]
    digest = digest_sources(sources)
    assert classes_of(digest) == classes_of(digest_of(samples / "mysql8-slow.log"))
    assert digest.sources[1].endswith("(empty)")


def test_rds_instance_without_matching_files_is_a_usage_error(rds: tuple[Any, Stubber]) -> None:
    client, stubber = rds
    stubber.add_response(
        "describe_db_log_files",
        {"DescribeDBLogFiles": []},
        {
            "DBInstanceIdentifier": INSTANCE,
            "FilenameContains": "postgresql.log",
            "FileLastWritten": 5,
        },
    )
    with pytest.raises(UsageError, match=r"no log file containing 'postgresql\.log'"):
        rds_sources(client, INSTANCE, [], "postgresql.log", 5)


def test_rds_named_postgres_file(
    rds: tuple[Any, Stubber], samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    client, stubber = rds
    name = "error/postgresql.log.2026-11-30-03"
    stubber.add_response(
        "download_db_log_file_portion",
        {"LogFileData": (samples / "postgres-rds.log").read_text(), "AdditionalDataPending": False},
        {"DBInstanceIdentifier": INSTANCE, "LogFileName": name, "Marker": "0"},
    )
    digest = digest_sources(rds_sources(client, INSTANCE, [name], "postgresql.log", None))
    assert classes_of(digest) == classes_of(digest_of(samples / "postgres-rds.log"))


def _slow_entries(samples: Path) -> list[str]:
    """The sample split the way RDS exports it: one CloudWatch event per slow-log entry."""
    text = (samples / "mysql8-slow.log").read_text()
    body = text[text.index("# Time:") :]
    entries = [entry.rstrip().rstrip(";") + ";" for entry in body.split(";\n# Time:")]
    return entries[:1] + ["# Time:" + entry for entry in entries[1:]]


@mock_aws
def test_cloudwatch_group_is_paged_and_limited_to_the_range(
    samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    client = boto3.client("logs", region_name=REGION)
    group = f"/aws/rds/instance/{INSTANCE}/slowquery"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=INSTANCE)
    entries = _slow_entries(samples)
    start = 1796004001000
    client.put_log_events(
        logGroupName=group,
        logStreamName=INSTANCE,
        logEvents=[
            {"timestamp": start + 1000 * index, "message": entry}
            for index, entry in enumerate(entries)
        ],
    )
    calls: list[dict[str, Any]] = []
    real = client.filter_log_events

    def small_pages(**request: Any) -> Any:
        calls.append(request)
        return real(limit=2, **request)

    client.filter_log_events = small_pages
    digest = digest_sources([cloudwatch_source(client, group, None, None)])
    assert classes_of(digest) == classes_of(digest_of(samples / "mysql8-slow.log"))
    assert len(calls) >= 3
    assert "nextToken" in calls[-1]

    ranged = digest_sources([cloudwatch_source(client, group, start + 1000, start + 3000)])
    assert ranged.events == 2


@mock_aws
def test_cli_reads_a_cloudwatch_group(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBTIER_AWS_REGION", REGION)
    client = boto3.client("logs", region_name=REGION)
    group = f"/aws/rds/instance/{INSTANCE}/slowquery"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=INSTANCE)
    client.put_log_events(
        logGroupName=group,
        logStreamName=INSTANCE,
        logEvents=[
            {"timestamp": 1796004001000 + index, "message": entry}
            for index, entry in enumerate(_slow_entries(samples))
        ],
    )
    result = CliRunner().invoke(
        app, ["logs", "digest", "--cloudwatch-log-group", group, "--format", "json", "--top", "1"]
    )
    assert result.exit_code == 0, result.output
    assert '"count": 1' in result.stdout
    assert "select l.name, sum(t.minutes)" in result.stdout
