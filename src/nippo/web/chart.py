"""The home page's chart: study time per week for the last weeks, as bars in an SVG.

Each week's figure is the service's own `week` study time on that week's last
day (Sunday, or today for the current week), so the chart and the "this week"
figure beside it can never disagree. Geometry is computed here; the template
draws it, with a text alternative (a table) for screen readers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from nippo.auth import Caller
from nippo.durations import format_duration
from nippo.study_time import study_time, week_start

WEEKS = 8
WIDTH, HEIGHT = 640, 200
_TOP, _BOTTOM, _LEFT = 20, 30, 8
_SLOT = (WIDTH - 2 * _LEFT) / WEEKS
_BAR = _SLOT * 0.6


@dataclass(frozen=True)
class Bar:
    """One week's bar: where it is drawn and what it says."""

    monday: dt.date
    minutes: int
    x: float
    y: float
    height: float
    label_x: float
    width: float = _BAR

    @property
    def label(self) -> str:
        """The week's time as the seed writes it (6h 10m)."""
        return format_duration(self.minutes, spaced=True)


def weekly_minutes(
    session: Session, caller: Caller, learner_id: int, today: dt.date
) -> list[tuple[dt.date, int]]:
    """(Monday, minutes) for the last WEEKS weeks, oldest first (one SELECT a week)."""
    this_monday = week_start(today)
    weeks = []
    for back in range(WEEKS - 1, -1, -1):
        monday = this_monday - dt.timedelta(weeks=back)
        last = min(monday + dt.timedelta(days=6), today)
        weeks.append((monday, study_time(session, learner_id, last, caller=caller).week_minutes))
    return weeks


def bars(weeks: list[tuple[dt.date, int]]) -> list[Bar]:
    """Bars scaled to the largest week (an empty chart stays flat)."""
    top = max((minutes for _, minutes in weeks), default=0) or 1
    plot = HEIGHT - _TOP - _BOTTOM
    out = []
    for i, (monday, minutes) in enumerate(weeks):
        height = plot * minutes / top
        x = _LEFT + i * _SLOT + (_SLOT - _BAR) / 2
        out.append(Bar(monday, minutes, x, _TOP + plot - height, height, x + _BAR / 2))
    return out


__all__ = ["HEIGHT", "WEEKS", "WIDTH", "Bar", "bars", "weekly_minutes"]
