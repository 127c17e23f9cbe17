"""The local stand-in for ECS RunTask: the migration job as a subprocess.

It answers the launcher's `TaskRunner` protocol the way ECS does:

- `running_tasks` sees a job that is running: the launching process holds an
  exclusive lock file under the data directory for as long as its job runs
  (the OS drops it if that process dies, so a crash leaves nothing stale), and
  `job.json` beside it names the task and its pid.
- `run_task` remembers each `clientToken` for 24 hours, as RunTask does: the same
  token again returns the task it started, and starts nothing.
- The job's command runs as `python -m dbtier ...`; the database settings reach it
  through `DBTIER_*` environment variables, never the command line, where a
  password would show in `ps`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from dbtier.config import Settings

TOKEN_TTL = 24 * 3600.0  # RunTask keeps a client token for 24 hours
STOP_TIMEOUT = 30.0  # like ECS's stopTimeout: SIGTERM, then SIGKILL after this long


@dataclass(frozen=True)
class StartedTask:
    """What the runner remembers about a task it started for a client token."""

    task_id: str
    started_at: float
    exit_code: int | None = None


class LocalRunner:
    """Runs the job command as a subprocess; one job at a time per data directory."""

    def __init__(self, settings: Settings, *, python: str | None = None) -> None:
        self.settings = settings
        self.python = python or sys.executable
        self.state_dir = settings.data_dir.resolve() / "launcher"
        self.lock_path = self.state_dir / "job.lock"
        self.job_path = self.state_dir / "job.json"
        self.tokens_dir = self.state_dir / "tokens"
        self._lock = FileLock(self.lock_path, timeout=0)
        self._process: subprocess.Popen[bytes] | None = None
        self._token: str | None = None
        self.task_id: str | None = None
        self.replayed: StartedTask | None = None

    # -- the TaskRunner protocol -------------------------------------------------

    def running_tasks(self, started_by: str) -> list[str]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        probe = FileLock(self.lock_path, timeout=0)
        try:
            probe.acquire()
        except Timeout:
            return [self._running_task_id()]
        probe.release()
        return []

    def run_task(self, **request: Any) -> dict[str, Any]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        token = str(request["clientToken"])
        try:
            self._lock.acquire()
        except Timeout:
            return _failure("RUNNING", f"another migration job holds {self.lock_path}")
        remembered = self._remembered(token)
        if remembered is not None:
            self._lock.release()
            self.replayed = remembered
            return {"tasks": [_task(remembered.task_id, request)], "failures": []}
        try:
            return self._start(token, request)
        except BaseException:
            self._lock.release()
            raise

    # -- the job's life -------------------------------------------------------------

    def wait(self) -> int:
        """Wait for the started job; on interrupt stop it as ECS would, then re-raise."""
        if self._process is None:
            raise RuntimeError("wait() called before a job was started")
        try:
            try:
                code = self._process.wait()
            except KeyboardInterrupt:
                self._stop()
                raise
            self._remember(StartedTask(str(self.task_id), time.time(), code))
            return code
        finally:
            self.job_path.unlink(missing_ok=True)
            self._lock.release()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _start(self, token: str, request: Mapping[str, Any]) -> dict[str, Any]:
        command = _command(request)
        argv = [self.python, "-m", "dbtier", *command[1:]] if command[:1] == ["dbtier"] else command
        self.task_id = f"local-{uuid.uuid4().hex[:16]}"
        self._token = token
        try:
            self._process = subprocess.Popen(argv, env=self._job_env())  # noqa: S603
        except OSError as exc:
            self._lock.release()
            return _failure("LAUNCH_FAILED", f"could not start {argv[0]}: {exc.strerror}")
        self._remember(StartedTask(self.task_id, time.time()))
        self.job_path.write_text(
            json.dumps({"task_id": self.task_id, "pid": self._process.pid, "token": token}),
            encoding="utf-8",
        )
        return {"tasks": [_task(self.task_id, request)], "failures": []}

    def _stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _job_env(self) -> dict[str, str]:
        env = dict(os.environ)
        s = self.settings
        env["DBTIER_DATA_DIR"] = str(s.data_dir.resolve())
        overrides: dict[str, str | Path | None] = {
            "DBTIER_DATABASE_URL": s.database_url,
            "DBTIER_DB_SECRET_ID": s.db_secret_id,
            "DBTIER_DB_SECRET_FILE": s.db_secret_file,
            "DBTIER_DB_NAME": s.db_name,
            "DBTIER_APP_USERNAME": s.app_username,
            "DBTIER_APP_SECRET_ID": s.app_secret_id,
            "DBTIER_APP_SECRET_FILE": s.app_secret_file,
            "DBTIER_MASTER_SECRET_ARN": s.master_secret_arn,
            "DBTIER_DB_TLS": s.db_tls,
            "DBTIER_DB_TLS_CA": s.db_tls_ca,
        }
        for name, value in overrides.items():
            if value is not None:
                env[name] = str(value)
            else:  # the job's settings are these, not what this process's environment says
                env.pop(name, None)
        env["DBTIER_LOG_LEVEL"] = s.log_level
        return env

    def _running_task_id(self) -> str:
        try:
            data = json.loads(self.job_path.read_text(encoding="utf-8"))
            return str(data["task_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return f"unknown task holding {self.lock_path}"

    # -- client tokens ------------------------------------------------------------------

    def _token_path(self, token: str) -> Path:
        return self.tokens_dir / f"{token}.json"

    def _remembered(self, token: str) -> StartedTask | None:
        self._forget_expired()
        try:
            data = json.loads(self._token_path(token).read_text(encoding="utf-8"))
            return StartedTask(str(data["task_id"]), float(data["started_at"]), data["exit_code"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remember(self, task: StartedTask) -> None:
        if self._token is None:
            return
        self.tokens_dir.mkdir(parents=True, exist_ok=True)
        path = self._token_path(self._token)
        tmp = path.with_suffix(".tmp")
        record = {"task_id": task.task_id, "started_at": task.started_at}
        tmp.write_text(json.dumps({**record, "exit_code": task.exit_code}), encoding="utf-8")
        tmp.replace(path)

    def _forget_expired(self) -> None:
        if not self.tokens_dir.is_dir():
            return
        cutoff = time.time() - TOKEN_TTL
        for path in self.tokens_dir.glob("*.json"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


def _command(request: Mapping[str, Any]) -> list[str]:
    overrides: Sequence[Mapping[str, Any]] = request.get("overrides", {}).get(
        "containerOverrides", []
    )
    for override in overrides:
        if override.get("command"):
            return [str(part) for part in override["command"]]
    raise ValueError("the RunTask request carries no container command override")


def _task(task_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "taskArn": task_id,
        "lastStatus": "RUNNING",
        "startedBy": request.get("startedBy", ""),
        "tags": request.get("tags", []),
    }


def _failure(reason: str, detail: str) -> dict[str, Any]:
    return {"tasks": [], "failures": [{"arn": "", "reason": reason, "detail": detail}]}


__all__ = ["LocalRunner", "StartedTask"]
