"""The input guard's fast path (`_surely_clean`) never passes what the full check refuses.

Most requests are clean, so the guard first asks three searches whether the path,
the raw query and the header values could hold anything unstorable; only then
does it decode the query and check each piece (`_problems`). These properties
tie the two together on arbitrary paths, queries and header values.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.types import Scope

from nippo.api.input_guard import _problems, _surely_clean

_BYTES = st.binary(max_size=40)
_QUERY_BYTES = st.lists(
    st.sampled_from([b"a", b"=", b"&", b"+", b"%", b"%00", b"%0A", b"%09", b"%ED%A0%80", b"\t"])
    | st.binary(max_size=3),
    max_size=12,
).map(b"".join)


def _scope(path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "path": path, "query_string": query, "headers": headers}


@settings(max_examples=400, deadline=None)
@given(
    path=st.text(max_size=30),
    query=_QUERY_BYTES,
    headers=st.lists(st.tuples(st.sampled_from([b"authorization", b"x-a"]), _BYTES), max_size=4),
)
def test_a_surely_clean_request_has_no_problem(
    path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    scope = _scope(path, query, headers)
    if _surely_clean(scope):
        assert _problems(scope) == []


@settings(max_examples=200, deadline=None)
@given(
    where=st.sampled_from(["path", "query", "header"]),
    bad=st.sampled_from(["\x00", "\x01", "\n", "\r", "\x1f"]),
)
def test_each_unstorable_character_leaves_the_fast_path(where: str, bad: str) -> None:
    path, query, headers = "/api/v1/me", b"date=2026-11-29", [(b"host", b"t")]
    if where == "path":
        path += bad
    elif where == "query":
        query += bad.encode()
    else:
        headers.append((b"x-a", b"v" + bad.encode()))
    scope = _scope(path, query, headers)
    assert not _surely_clean(scope)
    assert _problems(scope)


def test_a_clean_request_takes_the_fast_path() -> None:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer nippo_x\tTAB ok")]
    assert _surely_clean(_scope("/api/v1/learners/1/study-time", b"date=2026-11-29", headers))
