"""The local scheduler loop: EventBridge Scheduler's part on one machine.

At each fire time it calls `fire(scheduled_time)` and waits for it to return,
so runs never overlap. Fire times that pass while a run is still going are
skipped and logged, not fired late in a burst (one missed by less than 60
seconds, AWS's precision, still fires). A `fire` that raises is logged
and the loop goes on, as the cloud scheduler goes on after a failed target.
The clock and the sleep are parameters, so tests drive the loop with a fake
clock; by default the loop sleeps on `stop`, so setting it ends a wait at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dbtier.logs import get_logger
from dbtier.schedule.schedule import Schedule

# Sleep in slices of at most this many seconds, so a changed wall clock is noticed.
MAX_SLEEP_SECONDS = 60.0
# A fire time missed by at most this much still fires (AWS invokes within 60 s of it).
LATE_GRACE = timedelta(seconds=60)


def run_scheduler(
    schedule: Schedule,
    fire: Callable[[datetime], None],
    *,
    stop: threading.Event,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
    fire_immediately: bool = False,
) -> None:
    """Call `fire` at each fire time of `schedule` until `stop` is set or the schedule ends."""
    clock = now or (lambda: datetime.now(UTC))
    wait: Callable[[float], object] = sleep or stop.wait
    log = get_logger("scheduler").bind(
        expression=str(schedule.expression), timezone=schedule.timezone
    )
    log.info("scheduler.start", fire_immediately=fire_immediately)
    if fire_immediately and not stop.is_set():
        started = clock().replace(microsecond=0).astimezone(schedule.zone)
        _fire(fire, started, clock, log, immediate=True)
    cursor = clock()
    while not stop.is_set():
        scheduled = schedule.next_fire_time(cursor)
        if scheduled is None:
            log.info("scheduler.end", reason="the schedule has no more fire times")
            return
        current = clock()
        if current - scheduled > LATE_GRACE:
            # Passed while the last run was going: skip to the next fire time to come.
            log.warning("scheduler.skipped", first_missed=scheduled.isoformat())
            cursor = current
            continue
        while not stop.is_set() and (remaining := (scheduled - clock()).total_seconds()) > 0:
            wait(min(remaining, MAX_SLEEP_SECONDS))
        if stop.is_set():
            break
        _fire(fire, scheduled, clock, log, immediate=False)
        cursor = scheduled
    log.info("scheduler.stop")


def _fire(
    fire: Callable[[datetime], None],
    scheduled: datetime,
    clock: Callable[[], datetime],
    log: Any,
    *,
    immediate: bool,
) -> None:
    bound = log.bind(scheduled_time=scheduled.isoformat())
    started = time.monotonic()
    bound.info(
        "scheduler.fire",
        fired_at=clock().isoformat(),
        immediate=immediate,
    )
    try:
        fire(scheduled)
    except Exception as exc:
        bound.error(
            "scheduler.fire_failed",
            error=f"{type(exc).__name__}: {exc}",
            seconds=round(time.monotonic() - started, 3),
        )


__all__ = ["LATE_GRACE", "MAX_SLEEP_SECONDS", "run_scheduler"]
