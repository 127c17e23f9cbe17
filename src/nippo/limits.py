"""What a report may hold, as numbers: each limit declared once.

The JSON schemas (`nippo.schemas`, and so the OpenAPI), the Markdown import
(`nippo.markdown`) and the service's checks (`nippo.service.limits`) all
import these; docs/api-errors.md tabulates them.
"""

from __future__ import annotations

import datetime as dt

MAX_BODY_BYTES = 1024 * 1024  # a request body (JSON or Markdown)
MAX_TEXT = 500  # titles, headings (characters)
MAX_TASKS = 100  # tasks in a report
MAX_SECTIONS = 100  # sections in a report
MAX_NOTES_PER_LIST = 200  # bullets in one list (a task's, a section's, a bullet's children)
MAX_NOTES = 2_000  # bullets in a whole report, at any depth
MAX_NOTE_DEPTH = 16  # nesting levels of bullets
MAX_NOTE_CHARS = 10_000  # one bullet's text
MAX_VERBATIM_CHARS = 200_000  # a section's verbatim body, the tasks' extra Markdown
MAX_LINE_CHARS = 10_000  # one line of an imported Markdown document
MAX_FEEDBACK_CHARS = 10_000  # one piece of feedback
MAX_TIMEZONE = 64  # an IANA time zone name (users.timezone); the longest today has 32
MINUTES_PER_DAY = 24 * 60
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
MAX_RANGE_DAYS = 366


__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_BODY_BYTES",
    "MAX_FEEDBACK_CHARS",
    "MAX_LINE_CHARS",
    "MAX_NOTES",
    "MAX_NOTES_PER_LIST",
    "MAX_NOTE_CHARS",
    "MAX_NOTE_DEPTH",
    "MAX_RANGE_DAYS",
    "MAX_SECTIONS",
    "MAX_TASKS",
    "MAX_TEXT",
    "MAX_TIMEZONE",
    "MAX_VERBATIM_CHARS",
    "MINUTES_PER_DAY",
]
