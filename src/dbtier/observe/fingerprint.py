"""Query fingerprints, the way pt-query-digest makes them (`QueryRewriter::fingerprint`).

A fingerprint is the statement with its literals, comments and list lengths
taken out, so `SELECT c FROM t WHERE id=5` and `select c from t where id = 7`
fall in one class. The steps follow pt-query-digest 3.x in its order:

1. special cases: mysqldump's `SELECT /*!40001 SQL_NO_CACHE */ * FROM`,
   pt-table-checksum comments, `administrator command:`, `CALL x(` → `call x`;
   a multi-row `INSERT/REPLACE ... VALUES (...),(...)` is cut to its first row;
2. comments are stripped (`/* */` but not `/*!version */`, `--` and `#`);
   `use db` becomes `use ?`;
3. escaped quotes go, quoted strings, `true`/`false` and numbers become `?`
   (pt's number rule `[0-9+-][0-9a-f.xb+-]*` is crude on purpose, so
   `users_2009` becomes `users_?` there too);
4. whitespace collapses, everything is lowercased, `null` becomes `?`,
   `IN (...)`/`VALUES (...)` lists collapse to `(?+)`, repeated `UNION`s fold,
   `LIMIT ?, ?` becomes `LIMIT ?`, and `ASC` after `ORDER BY` goes.

PostgreSQL's `$1` placeholders become `$?` by the number rule, as in pt.

Why by hand: no maintained Python package reproduces pt-query-digest's rules
(sqlparse/sqlglot normalise differently), and matching pt's classes is what
lets the digest be checked against it. Speed matters as much: the work runs
on bytes (pt's `lc` is ASCII-only as well), steps 1-3 are one combined regex
pass where pt makes several, and steps 4 are cached on the result of step 3,
which repeats for every execution of the same statement shape.

Digit-blind statements: every rule treats the ten digits alike (a digit
outside a quoted string starts a number, one inside is part of the string),
so statements that differ only in which digits they hold have one
fingerprint, unless a rule that keeps or names digits applies (mysqldump's
`/*!40001`, `call proc1(`, `administrator command:`). `skeleton`
(every digit made `0`, one C call) is then a cache key worth having: the
many executions of one statement shape with different ids and values
(`id=5012`, sysbench's `'83868641912-...'`) share it. `digit_blind` says
whether a statement is one of those; it depends on the skeleton alone.
"""

from __future__ import annotations

import re

_MYSQLDUMP = re.compile(rb"\ASELECT /\*!40001 SQL_NO_CACHE \*/ \* FROM `")
_PT_CHECKSUM = re.compile(rb"/\*\w+\.\w+:[0-9]/[0-9]\*/")
_CALL = re.compile(rb"\A\s*(call\s+\S+)\(", re.IGNORECASE)
_MULTI_INSERT = re.compile(
    rb"\A((?:INSERT|REPLACE)(?: IGNORE)?\s+INTO.+?VALUES\s*\(.*?\))\s*,\s*\(",
    re.IGNORECASE | re.DOTALL,
)
_MULTI_LINE_COMMENT = re.compile(rb"/\*[^!].*?\*/", re.DOTALL)
_ONE_LINE_COMMENT = re.compile(rb"(?:--|#)[^'\"\r\n]*(?=[\r\n]|$)")
_USE = re.compile(rb"\Ause \S+$", re.IGNORECASE)
_ESCAPED_QUOTE = re.compile(rb"\\[\"']")
# Steps 3 in one pass: pt replaces "..." then '...' then true/false then
# numbers, each over the whole text; a left-to-right alternation gives the
# same text except when one kind of quote sits unbalanced inside the other.
# Four variants, so a statement pays only for the alternatives it can match
# (the leading lookahead lets the regex engine skip other characters fast).
_STRINGS = rb"\"[\s\S]*?\"|'[\s\S]*?'|"
_BOOLEANS = rb"(?i:\bfalse\b|\btrue\b)|"
_NUMBERS = rb"[0-9+-][0-9a-f.xb+-]*"
_LITERALS = {
    (True, True): re.compile(rb"(?=[\"'0-9+\-tTfF])(?:" + _STRINGS + _BOOLEANS + _NUMBERS + rb")"),
    (True, False): re.compile(rb"(?=[\"'0-9+\-])(?:" + _STRINGS + _NUMBERS + rb")"),
    (False, True): re.compile(rb"(?=[0-9+\-tTfF])(?:" + _BOOLEANS + _NUMBERS + rb")"),
    (False, False): re.compile(_NUMBERS),
}
# Statements that cannot meet a special case, a comment, `use` or an escape.
_SPECIAL_HEADS = (b"administ", b"call", b"insert", b"replace", b"use ")
_AFTER_NUMBER = re.compile(rb"[xb.+-]\?")
_WHITESPACE = re.compile(rb"[ \n\t\r\f]+")
_NULL = re.compile(rb"\bnull\b")
_LISTS = re.compile(rb"\b(in|values?)(?:[\s,]*\([\s?,]*\))+")
_UNION = re.compile(rb"\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+")
_LIMIT = re.compile(rb"\blimit \?(?:, ?\?| offset \?)?")
_ORDER_BY = re.compile(rb"\border by ", re.IGNORECASE)
_ASC = re.compile(rb"\s+asc", re.IGNORECASE)

_CACHE_LIMIT = 20_000
_shape_cache: dict[bytes, bytes] = {}


def _special(query: bytes) -> bytes | None:
    """pt's special cases that return early, or None."""
    if query.startswith(b"SELECT /*!40001") and _MYSQLDUMP.match(query):
        return b"mysqldump"
    if b"/*" in query and _PT_CHECKSUM.search(query):
        return b"percona-toolkit"
    if query.startswith(b"administrator command: "):
        return query
    head = query.lstrip()[:4]
    if head.lower() == b"call":
        match = _CALL.match(query)
        if match:
            return match.group(1).lower()
    return None


def _strip(query: bytes) -> bytes:
    """Cut multi-row inserts to their first row and drop comments."""
    head = query[:8].upper()
    if head.startswith((b"INSERT", b"REPLACE")) and b"," in query:
        match = _MULTI_INSERT.match(query)
        if match:
            query = match.group(1)
    if b"/*" in query:
        query = _MULTI_LINE_COMMENT.sub(b"", query)
    if b"--" in query or b"#" in query:
        query = _ONE_LINE_COMMENT.sub(b"", query)
    return query


def _shape(abstracted: bytes) -> bytes:
    """Steps after the literals are gone: signs and prefixes left beside a `?`, whitespace,
    case, NULL, lists, UNION, LIMIT, ASC (all of it depends on `abstracted` alone: cached)."""
    query = _AFTER_NUMBER.sub(b"?", abstracted).lstrip()
    if query.endswith(b"\n"):
        query = query[:-1]
    query = _WHITESPACE.sub(b" ", query).lower()
    if b"null" in query:
        query = _NULL.sub(b"?", query)
    if b"(" in query:
        query = _LISTS.sub(rb"\1(?+)", query)
    if b"union" in query:
        query = _UNION.sub(rb"\1 /*repeat\2*/", query)
    if b"limit" in query:
        query = _LIMIT.sub(b"limit ?", query, count=1)
    if b"asc" in query:
        match = _ORDER_BY.search(query)
        if match:
            end = match.end()
            query = query[:end] + _ASC.sub(b"", query[end:])
    return query


SKELETON_TABLE = bytes.maketrans(b"123456789", b"000000000")


def skeleton(query: bytes) -> bytes:
    """`query` with every digit made `0`: one fingerprint per skeleton if `digit_blind`."""
    return query.translate(SKELETON_TABLE)


def digit_blind(query: bytes) -> bool:
    """Whether the fingerprint ignores which digits `query` holds: true unless a rule that
    keeps or names digits may apply (mysqldump, `call`, `administrator command:`).
    The same for every statement of one skeleton (no digit is looked at)."""
    return not (
        query.startswith((b"SELECT /*!", b"administrator command: "))
        or query.lstrip()[:4].lower() == b"call"
    )


def _plain(query: bytes) -> bool:
    """No special case, comment or escape can apply: literals and shape are all there is."""
    head = query[:8].lower()
    return (
        head[:1].isalpha()
        and not head.startswith(_SPECIAL_HEADS)
        and b"/*" not in query
        and b"--" not in query
        and b"#" not in query
        and b"\\" not in query
    )


def fingerprint_bytes(query: bytes) -> bytes:
    """The fingerprint of one statement (bytes in, bytes out); see the module docstring."""
    if _plain(query):
        return _abstract(query)
    special = _special(query)
    if special is not None:
        return special
    query = _strip(query)
    if query[:4].lower() == b"use " and _USE.match(query):
        return b"use ?"
    if b"\\" in query:
        query = _ESCAPED_QUOTE.sub(b"", query)
    return _abstract(query)


def _abstract(query: bytes) -> bytes:
    """Literals to `?` (step 3), then the cached rest of the steps."""
    lowered = query.lower()
    quoted = b"'" in query or b'"' in query
    boolean = b"true" in lowered or b"false" in lowered
    abstracted = _LITERALS[quoted, boolean].sub(b"?", query)
    shaped = _shape_cache.get(abstracted)
    if shaped is None:
        shaped = _shape(abstracted)
        if len(_shape_cache) >= _CACHE_LIMIT:
            _shape_cache.clear()
        _shape_cache[abstracted] = shaped
    return shaped


def fingerprint(query: str) -> str:
    """The fingerprint of one statement as text."""
    return fingerprint_bytes(query.encode("utf-8", "surrogateescape")).decode(
        "utf-8", "surrogateescape"
    )


__all__ = ["SKELETON_TABLE", "digit_blind", "fingerprint", "fingerprint_bytes", "skeleton"]
