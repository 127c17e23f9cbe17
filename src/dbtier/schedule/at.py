"""`at(yyyy-mm-ddThh:mm:ss)`: a one-time schedule, read as a wall time in the schedule's zone.

The same daylight-saving rules apply as to cron: a local time that does not
exist in the zone never fires; one that occurs twice fires at its first
occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dbtier.errors import ScheduleExpressionError
from dbtier.schedule.zone import local_instant

_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class AtExpression:
    """A parsed `at(...)`: the local wall time it fires at."""

    text: str
    wall: datetime

    def __str__(self) -> str:
        return self.text

    def occurrences(self, after: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        """The one fire instant (UTC), if it exists in `zone` and is after `after`."""
        instant = local_instant(self.wall, zone)
        if instant is not None and instant > after:
            yield instant


def parse_at(body: str, text: str) -> AtExpression:
    """The timestamp inside `at( )`; `text` is the whole expression."""
    if not _AT.fullmatch(body):
        raise ScheduleExpressionError(
            f"'{text}' must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-11-20T13:00:00)"
        )
    try:
        wall = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise ScheduleExpressionError(f"'{text}' is not a real date and time: {exc}") from None
    return AtExpression(text=text, wall=wall)


__all__ = ["AtExpression", "parse_at"]
