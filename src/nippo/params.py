"""Strict input types shared by JSON bodies and query/path parameters.

pydantic's lax mode turns `0` into 1970-01-01, `"yes"` into True and `"1.0"`
into 1; the API means none of that. These types accept only their canonical
spelling (and the value itself, for Python callers) and state their range in
the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import PlainValidator, WithJsonSchema

from nippo.limits import EARLIEST_DATE, LATEST_DATE

MAX_ID = 2_147_483_647  # a 32-bit signed INTEGER primary key on every backend
DATE_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATE = re.compile(DATE_PATTERN)
_ID = re.compile(r"[1-9][0-9]{0,18}")
_RANGE = f"from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a calendar date") from None
    else:
        raise ValueError("expected a date written YYYY-MM-DD")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{day.isoformat()} is out of range; use a date {_RANGE}")
    return day


def _query_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("expected true or false")


def _row_id(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
    else:
        raise ValueError(f"expected a whole number from 1 to {MAX_ID}")
    if number < 1:
        raise ValueError("should be greater than or equal to 1")
    if number > MAX_ID:
        raise ValueError(f"should be less than or equal to {MAX_ID}")
    return number


IsoDate = Annotated[
    dt.date,
    PlainValidator(_iso_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": f"A date written YYYY-MM-DD, {_RANGE}.",
        }
    ),
]
QueryBool = Annotated[bool, PlainValidator(_query_bool), WithJsonSchema({"type": "boolean"})]
RowId = Annotated[
    int,
    PlainValidator(_row_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]

__all__ = ["DATE_PATTERN", "MAX_ID", "IsoDate", "QueryBool", "RowId"]
