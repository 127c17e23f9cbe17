"""The local profile: the reference service with its migration schedule beside it.

`run_local_profile` is `dbtier up`. The scheduler loop runs in a thread and fires
once at start; that firing goes the way every firing does (scheduler → launcher
handler → local launcher → job subprocess), and the service starts answering only
after its job has exited 0. A job that fails ends `dbtier up` with the job's exit
code, the service never started. Then the loop fires on the schedule
(`rate(5 minutes)` by default) while uvicorn serves `nippo.app.create_app`.

SIGINT/SIGTERM stop both: uvicorn shuts down, the loop stops at its next wait, and
a job that is running is left to finish (a migration is not cut in half on
purpose); a second signal exits at once.
"""

from __future__ import annotations

import queue
import signal
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

from dbtier.config import Settings
from dbtier.errors import DbtierError, UsageError
from dbtier.launch.local import LaunchOutcome, launch_locally
from dbtier.logs import get_logger

# The same name `dbtier schedule run` uses: one data directory, one token namespace.
SCHEDULE_NAME = "dbtier-migrations"
_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class FirstRun:
    """How the start-up firing ended: its outcome, or the error that stopped it."""

    exit_code: int
    outcome: LaunchOutcome | None = None


class _Firing:
    """The scheduler's target: launch locally, hand the first result to the main thread."""

    def __init__(self, settings: Settings, *, once: bool, stop: threading.Event) -> None:
        self.settings = settings
        self.once = once
        self.stop = stop
        self.first: queue.Queue[FirstRun] = queue.Queue(maxsize=1)
        self._fired = False
        self.log = get_logger("scheduler").bind(schedule=SCHEDULE_NAME)

    def __call__(self, scheduled_time: datetime) -> None:
        execution_id = uuid.uuid4().hex
        # EventBridge Scheduler's part: a new execution id for each invocation of the target.
        self.log.info(
            "scheduler.invoke",
            execution_id=execution_id,
            scheduled_time=scheduled_time.isoformat(),
        )
        result = FirstRun(exit_code=1)
        try:
            outcome = launch_locally(
                schedule_name=SCHEDULE_NAME,
                scheduled_time=scheduled_time,
                execution_id=execution_id,
                settings=self.settings,
            )
            result = FirstRun(exit_code=outcome.exit_code or 0, outcome=outcome)
        except DbtierError as exc:
            self.log.error("scheduler.target_failed", execution_id=execution_id, error=str(exc))
            result = FirstRun(exit_code=exc.exit_code)
        finally:
            if not self._fired:
                self._fired = True
                self.first.put(result)
            if self.once:
                self.stop.set()


def run_local_profile(
    settings: Settings,
    *,
    host: str,
    port: int,
    scheduled: bool = True,
    service_settings: Settings | None = None,
) -> int:
    """Migrate through the launcher, then serve; returns the process's exit code.

    `settings` are the job's; `service_settings`, when given, the service's (with
    `--admin-url` the job logs in as the migrator and the service as the app user).
    """
    from dbtier.schedule import Schedule, run_scheduler

    # Validate before anything runs: a bad expression or zone exits 2 here.
    schedule = Schedule(settings.migration_schedule, settings.schedule_timezone)
    _check_port(host, port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = get_logger("up")
    stop = threading.Event()
    signalled = _stop_on_signals(stop, log)
    target = _Firing(settings, once=not scheduled, stop=stop)
    loop = threading.Thread(
        target=run_scheduler,
        args=(schedule, target),
        kwargs={"stop": stop, "fire_immediately": True},
        name="dbtier-scheduler",
        daemon=True,
    )
    loop.start()
    try:
        first = _wait_first(target, loop)
        if first is None:
            return 0  # stopped before the first fire
        if first.exit_code != 0:
            log.error("up.migration_failed", exit_code=first.exit_code, serving=False)
            return first.exit_code
        if signalled.is_set():
            return 0  # asked to stop while the first run was going: do not start serving
        if first.outcome is not None and first.outcome.status == "skipped":
            log.warning(
                "up.migration_running_elsewhere",
                task_id=first.outcome.task_id,
                detail="another job on this data directory brings the schema to head",
            )
        _serve(service_settings or settings, host=host, port=port, log=log)
        return 0
    finally:
        stop.set()
        loop.join(timeout=_POLL_SECONDS)
        if loop.is_alive():
            log.info("up.waiting_for_job", detail="the running migration job finishes first")
            loop.join()
        log.info("up.stopped")


def _wait_first(target: _Firing, loop: threading.Thread) -> FirstRun | None:
    """Block until the start-up firing has finished; None if the loop ended without it."""
    while True:
        try:
            return target.first.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if not loop.is_alive():
                try:
                    return target.first.get_nowait()
                except queue.Empty:
                    return None  # stopped before the first fire


def _check_port(host: str, port: int) -> None:
    """Fail before migrating if the address is taken (uvicorn would exit 3 after it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r}: cannot resolve it ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(
                f"--host {host} --port {port}: cannot listen there ({exc.strerror}); "
                "stop what uses it or choose another --port"
            ) from None


def _serve(settings: Settings, *, host: str, port: int, log: Any) -> None:
    import uvicorn

    from nippo.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,  # dbtier.logs owns stdout: JSON lines, one per step
        access_log=False,
        lifespan="on",
    )
    log.info("up.serving", url=f"http://{host}:{port}", schedule=settings.migration_schedule)
    uvicorn.Server(config).run()


def _stop_on_signals(stop: threading.Event, log: Any) -> threading.Event:
    """First SIGINT/SIGTERM: stop cleanly. Second: exit now (KeyboardInterrupt).

    Returns the event that says a signal came.
    """

    signalled = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if signalled.is_set():
            raise KeyboardInterrupt
        signalled.set()
        log.info("up.stopping", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)
    return signalled


__all__ = ["SCHEDULE_NAME", "run_local_profile"]
