"""The local launcher: the handler's logic with a subprocess for a Fargate task.

A stand-in interpreter records how it was called and exits as told, so these
tests check the launcher, not the migration job (tests/test_up.py runs the real one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dbtier.config import Settings
from dbtier.errors import ConfigError
from dbtier.launch import LaunchOutcome, launch_locally
from dbtier.launch.local_runner import LocalRunner

FIRED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
SECRET_URL = "mysql+pymysql://app:s3cret-pw@127.0.0.1:3306/nippo"


@pytest.fixture
def fake_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An 'interpreter' that appends its argv and database env to calls.jsonl."""
    script = tmp_path / "fake-python"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, os, pathlib, sys, time
            log = pathlib.Path({str(tmp_path / "calls.jsonl")!r})
            with log.open("a") as f:
                f.write(json.dumps({{
                    "argv": sys.argv[1:],
                    "database_url": os.environ.get("DBTIER_DATABASE_URL"),
                    "data_dir": os.environ.get("DBTIER_DATA_DIR"),
                }}) + "\\n")
            release = os.environ.get("FAKE_RELEASE")
            while release and not pathlib.Path(release).exists():
                time.sleep(0.05)
            sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
            """
        ),
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.delenv("FAKE_RELEASE", raising=False)
    monkeypatch.delenv("FAKE_EXIT", raising=False)
    return script


def calls(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def fire(
    settings: Settings, python: Path, at: datetime = FIRED, execution: str = "e1"
) -> LaunchOutcome:
    return launch_locally(
        schedule_name="local",
        scheduled_time=at,
        execution_id=execution,
        settings=settings,
        job_args=["--lock-wait", "5"],
        python=str(python),
    )


def wait_for(path: Path, seconds: float = 30.0) -> None:
    """Bounded wait for a file another process writes (a guard, not a speed check)."""
    give_up = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < give_up, f"{path} did not appear"
        time.sleep(0.05)


def test_runs_the_job_command_with_settings_in_the_environment(
    tmp_path: Path, fake_python: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=SECRET_URL)

    outcome = fire(settings, fake_python)

    assert outcome.status == "started"
    assert outcome.exit_code == 0
    assert outcome.trigger_id == "local@2026-11-29T06:00:00Z"
    [call] = calls(tmp_path)
    assert call["argv"] == [
        "-m",
        "dbtier",
        "migrate",
        "run",
        "--trigger-id",
        "local@2026-11-29T06:00:00Z",
        "--scheduled-time",
        "2026-11-29T06:00:00Z",
        "--lock-wait",
        "5",
    ]
    assert call["database_url"] == SECRET_URL
    assert call["data_dir"] == str((tmp_path / "data").resolve())
    assert "s3cret-pw" not in " ".join(str(a) for a in call["argv"])


def test_reports_the_jobs_exit_code(
    tmp_path: Path, fake_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_EXIT", "1")

    outcome = fire(Settings(data_dir=tmp_path / "data"), fake_python)

    assert (outcome.status, outcome.exit_code, outcome.succeeded) == ("started", 1, False)


def test_the_same_firing_delivered_three_times_runs_one_job(
    tmp_path: Path, fake_python: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    outcomes = [fire(settings, fake_python, execution=f"e{n}") for n in range(3)]

    assert [o.status for o in outcomes] == ["started", "duplicate", "duplicate"]
    assert len({o.task_id for o in outcomes}) == 1
    assert [o.exit_code for o in outcomes] == [0, 0, 0]  # the first run's, remembered
    assert len(calls(tmp_path)) == 1


def test_a_later_firing_runs_again(tmp_path: Path, fake_python: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    first = fire(settings, fake_python)
    second = fire(settings, fake_python, at=FIRED.replace(minute=5))

    assert (first.status, second.status) == ("started", "started")
    assert len(calls(tmp_path)) == 2


def test_overlap_is_skipped_while_a_job_runs(
    tmp_path: Path, fake_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    release = tmp_path / "release"
    monkeypatch.setenv("FAKE_RELEASE", str(release))
    outcomes: list[LaunchOutcome] = []
    first = threading.Thread(target=lambda: outcomes.append(fire(settings, fake_python)))
    first.start()
    try:
        wait_for(tmp_path / "calls.jsonl")

        overlapping = fire(settings, fake_python, at=FIRED.replace(minute=5), execution="e2")
    finally:
        release.touch()
        first.join(timeout=60)

    assert overlapping.status == "skipped"
    assert overlapping.exit_code is None
    assert [o.status for o in outcomes] == ["started"]
    assert overlapping.task_id == outcomes[0].task_id
    assert len(calls(tmp_path)) == 1


def test_a_launcher_killed_mid_job_leaves_no_lock(tmp_path: Path, fake_python: Path) -> None:
    """The lock is the OS's: SIGKILL on the process holding it frees it."""
    settings = Settings(data_dir=tmp_path / "data")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; "
            "lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(600)",
            str(LocalRunner(settings).lock_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert fire(settings, fake_python).status == "skipped"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)

    assert fire(settings, fake_python, at=FIRED.replace(minute=5)).status == "started"


def test_a_naive_scheduled_time_is_a_config_error(tmp_path: Path, fake_python: Path) -> None:
    with pytest.raises(ConfigError, match="UTC offset"):
        fire(Settings(data_dir=tmp_path), fake_python, at=datetime(2026, 11, 29, 6, 0))
    assert calls(tmp_path) == []
