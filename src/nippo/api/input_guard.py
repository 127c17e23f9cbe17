"""Refuse, before routing, a path, query or header holding a character no field may hold.

JSON bodies are checked field by field by the schemas' string types and
Markdown line by line by the importer (`nippo.text` decides for all). What
arrives outside a body (the path, query names and values after percent-
decoding, header values such as the bearer token) is one line of text: NUL,
other C0 controls but TAB, and lone surrogates are refused here with 422, so
no route, token lookup or log line ever sees them.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from nippo.api.problems import FieldProblem, problem_response
from nippo.api.refusal import for_client
from nippo.text import first_unstorable, latin1_line_storable


def _surely_clean(scope: Scope) -> bool:
    """True when `_problems` would find nothing, known from three searches (most requests).

    A query without `%` decodes to its own characters (`+` to a space), so its bytes
    decide; with `%` it is decoded and checked name by name.
    """
    query: bytes = scope.get("query_string", b"")
    return (
        first_unstorable(scope["path"], multiline=False) is None
        and b"%" not in query
        and latin1_line_storable(query)
        and latin1_line_storable(b"\t".join(value for _, value in scope["headers"]))
    )


def _problems(scope: Scope) -> list[FieldProblem]:
    found: list[FieldProblem] = []

    def check(value: str, loc: list[str | int]) -> None:
        problem = first_unstorable(value, multiline=False)
        if problem is not None:
            found.append(FieldProblem(loc=loc, msg=str(problem), type="unstorable_character"))

    check(scope["path"], ["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        check(name, ["query"])
        check(value, ["query", name])
    for raw_name, raw_value in scope["headers"]:
        check(raw_value.decode("latin-1"), ["header", raw_name.decode("latin-1")])
    return found


class RefuseUnstorableInput:
    """ASGI middleware: 422 naming the place of the first unstorable character outside the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _surely_clean(scope):
            problems = _problems(scope)
            if problems:
                first = problems[0]
                where = " → ".join(str(part) for part in first.loc)
                response = problem_response(422, f"{where}: {first.msg}", errors=problems)
                await for_client(scope, response)(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = ["RefuseUnstorableInput"]
