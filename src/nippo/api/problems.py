"""The one error body every refusal uses, and how routes declare it in the OpenAPI.

    {"detail": "body → tasks → 0 → minutes: Input should be a valid integer",
     "errors": [{"loc": ["body", "tasks", 0, "minutes"],
                 "msg": "Input should be a valid integer", "type": "int_type"}]}

`detail` is always a sentence for a person; `errors` lists each field problem
of a 422 (empty otherwise). A body never echoes the input itself: a lone
surrogate or NUL quoted back could not be encoded, and quoting a bearer token
would leak it. Text that names input (an unknown field's name) goes through
`nippo.text.printable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from nippo.text import printable

MAX_LISTED = 5  # field problems spelled out in `detail`; `errors` has them all


class FieldProblem(BaseModel):
    """One thing wrong with one part of the request."""

    loc: list[str | int] = Field(description="Where: body/query/path/header, then the field path.")
    msg: str
    type: str = Field(description="A stable machine-readable kind, e.g. `int_type`.")


class Problem(BaseModel):
    """An error: what was wrong, where, and what to do."""

    detail: str
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Each field problem of a 422; empty otherwise."
    )


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A Problem body with its status, always encodable as UTF-8 JSON."""
    body = Problem(detail=printable(detail), errors=list(errors))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def field_problems(raw: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """pydantic/FastAPI error dicts as FieldProblems, without their `input` and `ctx`."""
    return [
        FieldProblem(
            loc=[part if isinstance(part, int) else printable(str(part)) for part in e["loc"]],
            msg=printable(str(e["msg"])),
            type=str(e["type"]),
        )
        for e in raw
    ]


def summary(problems: Sequence[FieldProblem]) -> str:
    """`detail` for a 422: the first few problems, each with where it is."""
    parts = [" → ".join(str(p) for p in item.loc) + f": {item.msg}" for item in problems]
    more = len(parts) - MAX_LISTED
    text = "; ".join(parts[:MAX_LISTED]) + (f"; and {more} more (see errors)" if more > 0 else "")
    return text or "the request is invalid"


_DESCRIPTIONS = {
    400: "The request cannot be read.",
    401: "No bearer token, or an unknown one.",
    403: "Visible to you, not yours to change.",
    404: "No such thing, or not yours to see.",
    409: "Would break a uniqueness rule.",
    413: "The body is larger than the limit.",
    415: "The body is not in a media type this route takes.",
    422: "Invalid input: each field problem is in `errors`.",
    429: "Too many failed bearer tokens from your address; wait `Retry-After` seconds.",
    503: "The database is unavailable; retry after `Retry-After` seconds.",
}
_HEADERS: dict[int, dict[str, object]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries: each status answered with a Problem body."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": Problem, "description": _DESCRIPTIONS[status]}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out


__all__ = [
    "FieldProblem",
    "Problem",
    "field_problems",
    "problem_response",
    "problem_responses",
    "summary",
]
