"""`dbtier migrate run --snapshot-before`: a restore point under the lock, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from dbtier.backup.before import snapshot_hook
from dbtier.cli import app
from dbtier.config import Settings
from dbtier.migrate import run_job


def test_a_local_backup_is_taken_only_when_something_is_pending(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["migrate", "run", "--data-dir", str(tmp_path), "--snapshot-before"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    manifests = sorted((tmp_path / "backups").glob("*.json"))
    assert len(manifests) == 1
    before = json.loads(manifests[0].read_text())
    assert before["revision"] is None  # taken before the first migration ran
    assert '"step": "snapshot"' in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert len(list((tmp_path / "backups").glob("*.json"))) == 1  # nothing pending: no backup


def test_a_failed_snapshot_migrates_nothing_and_is_recorded(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    def broken(pending: list[str]) -> str:
        raise RuntimeError("CreateDBSnapshot: SnapshotQuotaExceeded")

    result = run_job(settings, before_upgrade=broken)

    assert result.status == "failed"
    assert result.error is not None and "SnapshotQuotaExceeded" in result.error
    engine = create_engine(settings.sqlite_url)
    try:
        assert "reports" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_on_aws_the_hook_takes_an_rds_snapshot_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A snapshot holds the data as of its start; waiting for "available" would spend
    the job's --max-runtime, so the hook starts it and goes on (no DescribeDBSnapshots)."""
    rds = boto3.client(
        "rds", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(rds)
    stub.add_response(
        "create_db_snapshot",
        {"DBSnapshot": {"DBSnapshotIdentifier": "s"}},
        {"DBSnapshotIdentifier": ANY, "DBInstanceIdentifier": "dbtier-prod-db", "Tags": ANY},
    )
    seen: dict[str, Any] = {}

    def client(service: str, **kwargs: Any) -> Any:
        seen["service"], seen["region"] = service, kwargs.get("region_name")
        return rds

    monkeypatch.setattr(boto3, "client", client)
    hook = snapshot_hook(Settings(rds_instance_id="dbtier-prod-db", aws_region="ap-northeast-1"))
    with stub:
        name = hook(["0002", "0003"])
    stub.assert_no_pending_responses()
    assert name.startswith("dbtier-prod-db-pre-0003-")
    assert seen == {"service": "rds", "region": "ap-northeast-1"}
