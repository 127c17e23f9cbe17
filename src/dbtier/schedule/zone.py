"""Time zones and EventBridge Scheduler's daylight-saving rules.

AWS (Scheduler user guide, "Daylight savings time on EventBridge Scheduler";
re:Post "eventbridge-scheduler-adjust-dst"): when clocks spring forward, an
invocation whose local time does not exist is skipped for that day; when they
fall back, a local time that occurs twice runs once, at its first occurrence,
and is not repeated after the shift. `local_instant` applies exactly that to
one wall-clock time. A `rate` is not evaluated in a zone at all: its days are
24-hour durations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dbtier.errors import ScheduleExpressionError


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; an unknown one is a ScheduleExpressionError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleExpressionError(
            f"time zone '{name}' is not an IANA time zone name; use one like "
            "'Asia/Tokyo', 'America/New_York' or 'UTC'"
        ) from None


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) a naive local wall time fires at, by AWS's DST rules.

    None when the wall time does not exist in `zone` (skipped at spring
    forward); the first occurrence when it exists twice (fall back).
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return first


def as_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime in UTC; a naive one is read as a wall time in `zone`."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone).astimezone(UTC)
    return moment.astimezone(UTC)


__all__ = ["as_utc", "load_zone", "local_instant"]
