"""`dbtier up` on a fresh data directory: the first migration run goes scheduler →
launcher handler → local launcher → job, and only then does the service answer.

The real command in a subprocess: the real scheduler loop, handler logic, local
runner, migration job and uvicorn. Waits are bounded guards, not speed checks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbtier.testing.servers import free_port

START_TIMEOUT = 240.0  # a guard for a loaded CI machine, not a speed requirement


def fresh_env() -> dict[str, str]:
    """The caller's environment without dbtier settings, as on a fresh clone."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DBTIER_")}


class Output:
    """Collects a process's stdout lines in a thread, so the test never blocks on a pipe."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def join(self) -> None:
        self._thread.join(timeout=30)

    def records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.lines:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                records.append(value)
        return records


def wait_until_healthy(proc: subprocess.Popen[str], url: str) -> httpx.Response:
    give_up = time.monotonic() + START_TIMEOUT
    while time.monotonic() < give_up:
        assert proc.poll() is None, f"dbtier up exited with {proc.returncode} before serving"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {START_TIMEOUT} s")


def index_of(records: list[dict[str, Any]], **match: Any) -> int:
    for i, record in enumerate(records):
        if all(record.get(k) == v for k, v in match.items()):
            return i
    raise AssertionError(f"no log line with {match}")


@pytest.mark.slow
def test_up_migrates_through_scheduler_handler_launcher_job_then_serves(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dbtier",
            "up",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=fresh_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output = Output(proc.stdout)
    try:
        wait_until_healthy(proc, f"http://127.0.0.1:{port}/healthz")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            raise
        output.join()
    stderr = proc.stderr.read() if proc.stderr else ""

    assert code == 0, stderr
    assert ready.status_code == 200, ready.text  # the schema is at head
    records = output.records()
    fire = index_of(records, component="scheduler", event="scheduler.fire", immediate=True)
    invoke = index_of(records, component="scheduler", event="scheduler.invoke")
    execution_id = records[invoke]["execution_id"]
    received = index_of(
        records, component="launcher.handler", event="launcher.received", execution_id=execution_id
    )
    trigger_id = records[received]["trigger_id"]
    started = index_of(
        records, component="launcher.handler", event="launcher.started", execution_id=execution_id
    )
    job_started = index_of(
        records, component="launcher.local", event="job.started", execution_id=execution_id
    )
    job_done = index_of(
        records, component="migrate", event="done", status="succeeded", trigger_id=trigger_id
    )
    job_exited = index_of(
        records,
        component="launcher.local",
        event="job.exited",
        exit_code=0,
        execution_id=execution_id,
    )
    serving = index_of(records, component="up", event="up.serving")
    assert fire < invoke < received < started < job_started < job_done < job_exited < serving
    index_of(records, component="up", event="up.stopped")


@pytest.mark.slow
def test_up_does_not_serve_when_the_first_migration_run_fails(tmp_path: Path) -> None:
    """An unusable database: the job exits non-zero, and so does `up`, never serving."""
    port = free_port()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtier",
            "up",
            "--no-schedule",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
            "--database-url",
            "postgresql+psycopg://nobody:pw@127.0.0.1:1/none",
        ],
        cwd=tmp_path,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )

    assert proc.returncode == 3, proc.stderr  # the job's code: database unreachable
    records = Output(iter(proc.stdout.splitlines())).records()
    exited = index_of(records, component="launcher.local", event="job.exited")
    assert records[exited]["exit_code"] == proc.returncode
    assert not any(r.get("event") == "up.serving" for r in records)
    assert "pw@" not in proc.stdout + proc.stderr


def test_up_rejects_a_bad_schedule_with_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtier",
            "up",
            "--schedule",
            "rate(5 fortnights)",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=tmp_path,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert proc.returncode == 2
    assert "rate" in proc.stderr
    assert not (tmp_path / "data").exists()  # nothing half-done


def test_up_refuses_a_busy_port_before_migrating(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dbtier",
                "up",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            cwd=tmp_path,
            env=fresh_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert proc.returncode == 2, proc.stderr
    assert f"--port {port}" in proc.stderr
    assert not (tmp_path / "data").exists()  # no migration ran
