"""What "today" means in nippo: the date on the learner's wall clock, in their time zone.

A learner in Asia/Tokyo at 08:00 JST writes the report of a date UTC still
calls yesterday; every default date (the import, study time, the pages) and
the "not after tomorrow" rule ask this one function, with the learner's
`users.timezone` (an IANA name, Asia/Tokyo by default since the seed is Japanese).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def today_in(timezone: str) -> dt.date:
    """Today's date in an IANA time zone."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


__all__ = ["today_in"]
