"""The migration job's deadline: a whole-run limit, a connect budget, and SIGTERM.

A job must never run forever: on ECS a task that never ends makes the
launcher's overlap guard skip every later firing. So a watchdog thread ends
the job when

- the whole run passes `max_runtime` (`--max-runtime`, DBTIER_MAX_RUNTIME),
- it is still connecting after its connect budget (a frozen server accepts TCP
  and then never sends its handshake), or
- ECS stops the task (SIGTERM; ECS sends SIGKILL `STOP_TIMEOUT_S` later).

It logs one JSON line saying what the job was waiting for, records the run as
`failed` when the database still answers (on a fresh connection with short
timeouts, within `RECORD_BUDGET_S`), writes the EMF outcome, and exits: 3 when
the job never got a connection (as `DatabaseUnreachable` does), 1 otherwise. A
run left `running` because the database was frozen is closed as failed by the
next run, which names this one.

The values the task definition and the launcher must agree with are derived
here, once: `stopTimeout` is `STOP_TIMEOUT_S`; the launcher stops (and stops
waiting for) a task older than `overdue_after(max_runtime)`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from dbtier.migrate.connect import backoff_ceiling

# ECS stopTimeout for the migration container (s; Fargate allows up to 120).
STOP_TIMEOUT_S = 30
# Time for the watchdog to record `failed` on a fresh connection.
RECORD_BUDGET_S = 8.0
# Slack before the launcher treats a task as overdue (task start-up, clock skew).
OVERDUE_MARGIN_S = 60.0
EXIT_UNREACHABLE = 3
EXIT_FAILED = 1


def overdue_after(max_runtime: float) -> int:
    """Seconds after which the launcher stops a migration task and launches anyway."""
    return int(max_runtime + STOP_TIMEOUT_S + OVERDUE_MARGIN_S)


def connect_budget(connect_timeout: float, retries: int) -> float:
    """How long connecting may take: each attempt twice the connect timeout (connect,
    then the handshake), plus the backoff between attempts at its longest."""
    return (retries + 1) * 2 * connect_timeout + backoff_ceiling(retries)


@dataclass
class Expiry:
    """Why the watchdog ended the run."""

    reason: str  # "max_runtime", "connect_budget" or "sigterm"
    step: str
    waiting_for: str
    elapsed_s: float

    @property
    def exit_code(self) -> int:
        return EXIT_UNREACHABLE if self.step == "connect" else EXIT_FAILED

    def message(self, max_runtime: float) -> str:
        what = {
            "max_runtime": f"the run passed its limit of {max_runtime:g}s (--max-runtime)",
            "connect_budget": "connecting took longer than its budget",
            "sigterm": "the task was told to stop (SIGTERM)",
        }[self.reason]
        return (
            f"{what} after {self.elapsed_s:.1f}s, during step {self.step!r}, "
            f"waiting for {self.waiting_for}"
        )


class Deadline:
    """The watchdog: `step()` says what the job waits for; `on_expire` ends the process."""

    def __init__(
        self,
        max_runtime: float,
        connect_budget_s: float,
        on_expire: Callable[[Expiry], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_runtime = max_runtime
        self.connect_budget_s = connect_budget_s
        self.on_expire = on_expire
        self.clock = clock
        self.started = clock()
        self._step = ("start", "the job to start")
        self._step_started = self.started
        self._done = threading.Event()
        self._fired = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="migrate-deadline", daemon=True)
        self._previous_sigterm: Any = None

    def step(self, name: str, waiting_for: str) -> None:
        """The job moved on: now in `name`, waiting for `waiting_for`."""
        self._step = (name, waiting_for)
        self._step_started = self.clock()

    def waiting_for(self, what: str) -> None:
        """Same step, a more precise thing waited for (e.g. the statement now running)."""
        self._step = (self._step[0], what)

    def start(self) -> Deadline:
        self._thread.start()
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, self._sigterm)
        return self

    def cancel(self) -> None:
        self._done.set()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            now = self.clock()
            if now - self.started >= self.max_runtime:
                self._expire("max_runtime")
            elif self._step[0] == "connect" and now - self._step_started >= self.connect_budget_s:
                self._expire("connect_budget")

    def _sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        # Record and exit from a thread: the main thread may be inside a driver call.
        threading.Thread(target=self._expire, args=("sigterm",), daemon=True).start()

    def _expire(self, reason: str) -> None:
        if self._done.is_set() or not self._fired.acquire(blocking=False):
            return
        step, waiting = self._step
        expiry = Expiry(reason, step, waiting, self.clock() - self.started)
        try:
            self.on_expire(expiry)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(expiry.exit_code)  # the main thread is stuck in a driver call


__all__ = [
    "EXIT_FAILED",
    "EXIT_UNREACHABLE",
    "OVERDUE_MARGIN_S",
    "RECORD_BUDGET_S",
    "STOP_TIMEOUT_S",
    "Deadline",
    "Expiry",
    "connect_budget",
    "overdue_after",
]
