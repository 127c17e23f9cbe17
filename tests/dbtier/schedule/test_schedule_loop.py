"""The local scheduler loop, driven by a fake clock: when it fires, and that it never overlaps."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from dbtier.logs import configure_logging
from dbtier.schedule import Schedule, run_scheduler

START = datetime(2026, 11, 27, 12, 1, 30, 250000, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when the loop sleeps (or a fake job takes time)."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)


def run(
    schedule: Schedule,
    clock: FakeClock,
    fires: int,
    *,
    job_takes: timedelta = timedelta(0),
    fire_immediately: bool = False,
    fail: bool = False,
) -> list[tuple[datetime, datetime]]:
    """Run the loop until `fires` fires; each as (scheduled time, clock when called)."""
    stop = threading.Event()
    calls: list[tuple[datetime, datetime]] = []
    running = threading.Lock()

    def fire(scheduled: datetime) -> None:
        assert running.acquire(blocking=False), "fire overlapped itself"
        try:
            calls.append((scheduled, clock.now()))
            clock.current += job_takes
            if len(calls) >= fires:
                stop.set()
            if fail:
                raise RuntimeError("launch failed")
        finally:
            running.release()

    run_scheduler(
        schedule,
        fire,
        stop=stop,
        now=clock.now,
        sleep=clock.sleep,
        fire_immediately=fire_immediately,
    )
    return calls


def utc(hh_mm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-27T{hh_mm}").replace(tzinfo=UTC)


def test_fires_at_each_fire_time_with_the_scheduled_time() -> None:
    clock = FakeClock(START)
    calls = run(Schedule("rate(5 minutes)", "UTC"), clock, 3)
    assert [scheduled for scheduled, _ in calls] == [utc("12:05"), utc("12:10"), utc("12:15")]
    assert all(called == scheduled for scheduled, called in calls)  # on time, not early
    assert max(clock.slept) <= 60  # sleeps in slices, so a changed clock is noticed


def test_scheduled_time_is_in_the_schedule_zone() -> None:
    clock = FakeClock(START)
    [(scheduled, _)] = run(Schedule("cron(0 22 * * ? *)"), clock, 1)  # Asia/Tokyo
    assert scheduled.isoformat() == "2026-11-27T22:00:00+09:00"


def test_fire_immediately_fires_once_at_start_then_on_the_schedule() -> None:
    clock = FakeClock(START)
    calls = run(Schedule("rate(5 minutes)", "UTC"), clock, 2, fire_immediately=True)
    assert [scheduled for scheduled, _ in calls] == [START.replace(microsecond=0), utc("12:05")]


def test_a_long_run_is_never_overlapped_and_missed_times_are_skipped() -> None:
    clock = FakeClock(START)
    with capture_logs() as logs:
        calls = run(Schedule("rate(5 minutes)", "UTC"), clock, 2, job_takes=timedelta(minutes=12))
    # 12:05 runs until 12:17: 12:10 passed meanwhile and is skipped; next is 12:20.
    assert [scheduled for scheduled, _ in calls] == [utc("12:05"), utc("12:20")]
    skipped = [e for e in logs if e["event"] == "scheduler.skipped"]
    assert [e["first_missed"] for e in skipped] == [utc("12:10").isoformat()]


def test_a_run_late_by_less_than_a_minute_still_fires() -> None:
    clock = FakeClock(START)
    calls = run(Schedule("rate(1 minute)", "UTC"), clock, 3, job_takes=timedelta(seconds=70))
    assert [scheduled for scheduled, _ in calls] == [utc("12:02"), utc("12:03"), utc("12:04")]
    assert calls[1][1] == utc("12:03:10")


def test_a_failing_fire_is_logged_and_the_loop_goes_on() -> None:
    clock = FakeClock(START)
    with capture_logs() as logs:
        calls = run(Schedule("rate(5 minutes)", "UTC"), clock, 2, fail=True)
    assert len(calls) == 2
    failures = [e for e in logs if e["event"] == "scheduler.fire_failed"]
    assert len(failures) == 2
    assert failures[0]["error"] == "RuntimeError: launch failed"


def test_a_one_time_schedule_ends_the_loop_after_its_fire() -> None:
    clock = FakeClock(START)
    stop = threading.Event()
    calls: list[datetime] = []
    schedule = Schedule("at(2026-11-27T21:30:00)")  # Tokyo: 12:30 UTC
    run_scheduler(schedule, calls.append, stop=stop, now=clock.now, sleep=clock.sleep)
    assert [c.astimezone(UTC) for c in calls] == [utc("12:30")]
    assert not stop.is_set()


def test_stop_ends_a_real_wait_at_once() -> None:
    stop = threading.Event()
    calls: list[datetime] = []
    thread = threading.Thread(
        target=run_scheduler,
        args=(Schedule("cron(0 0 1 1 ? *)"), calls.append),
        kwargs={"stop": stop},
    )
    thread.start()
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert calls == []


def test_one_json_line_per_fire(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)  # here, not in a fixture: capsys swaps stdout per phase
    clock = FakeClock(START)
    run(Schedule("rate(5 minutes)", "America/New_York"), clock, 2)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    fires = [line for line in lines if line["event"] == "scheduler.fire"]
    assert [f["scheduled_time"] for f in fires] == [
        "2026-11-27T07:05:00-05:00",
        "2026-11-27T07:10:00-05:00",
    ]
    assert {f["expression"] for f in fires} == {"rate(5 minutes)"}
    assert {f["timezone"] for f in fires} == {"America/New_York"}
