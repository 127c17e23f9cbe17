"""PostgreSQL logs with `log_min_duration_statement`: stderr (any prefix, RDS's) and csvlog.

stderr: a line is `<log_line_prefix>LOG:  duration: 1.234 ms  statement: SQL`
(or `execute <name>: SQL` for the extended protocol); lines that continue a
multi-line statement start with a tab. The prefix is whatever
`log_line_prefix` says: PostgreSQL's default `%m [%p] `, RDS's fixed
`%t:%r:%u@%d:[%p]:`, or the same behind CloudWatch's own timestamp. Only the
timestamp is read from it, wherever it stands: `YYYY-MM-DD HH:MM:SS[.fff] TZ`
with TZ `UTC`/`GMT` or a numeric offset (other zone names are read as UTC).

`parse` and `bind` durations of the extended protocol are time spent before
the statement runs; pgBadger reports them apart from query time and so do
we (`Digest.ignored`), as we do `duration:` lines without a statement
(`log_duration`).

csvlog: one CSV record per entry (the csv module reads quoted multi-line
statements); `message` holds the same `duration: ...` text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone

from dbtier.observe.digest import Digest

_MARK = b"LOG:  duration: "
_STAMP = re.compile(
    rb"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(\.\d+)?(?: ?([A-Z]{2,5}|[+-]\d\d(?::?\d\d)?))?"
)
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)?")
_CSV_TIME = 0
_CSV_SEVERITY = 11
_CSV_MESSAGE = 13


def _zone(name: str | None) -> timezone:
    if not name or name[0] not in "+-":
        return UTC
    match = _OFFSET.fullmatch(name)
    if not match:
        return UTC
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * delta)


class _Clock:
    """Prefix timestamps to epoch seconds, cached per second (a log has few distinct seconds)."""

    def __init__(self) -> None:
        self._seconds: dict[tuple[bytes, bytes | None], float] = {}
        # Prefixes that start with a whole-second stamp (`%t`, RDS): the first 23 bytes decide.
        self._whole: dict[bytes, float] = {}

    def read(self, prefix: bytes) -> float | None:
        known = self._whole.get(prefix[:23])
        if known is not None:
            return known
        match = _STAMP.search(prefix)
        if match is None:
            return None
        whole, fraction, zone = match.groups()
        base = self._seconds.get((whole, zone))
        if base is None:
            moment = datetime.strptime(whole.decode().replace("T", " "), "%Y-%m-%d %H:%M:%S")
            base = moment.replace(tzinfo=_zone(zone.decode() if zone else None)).timestamp()
            if len(self._seconds) > 100_000:
                self._seconds.clear()
            self._seconds[(whole, zone)] = base
        if fraction:
            return base + float(fraction)
        if match.start() == 0 and match.end() == 23 and len(self._whole) < 100_000:
            self._whole[prefix[:23]] = base
        return base


def _statement(message: bytes, digest: Digest) -> tuple[float, bytes] | None:
    """(seconds, SQL) from `1.234 ms  statement: SQL`; None when it is not a statement."""
    space = message.find(b" ms")
    if space < 0:
        return None
    try:
        seconds = float(message[:space]) / 1000.0
    except ValueError:
        return None
    rest = message[space + 5 :]
    if rest.startswith(b"statement: "):
        return seconds, rest[11:]
    if rest.startswith(b"execute "):
        colon = rest.find(b": ")
        if colon > 0:
            return seconds, rest[colon + 2 :]
    kind = rest.split(b" ", 1)[0].decode("ascii", "replace") or "duration only"
    digest.ignored[kind] = digest.ignored.get(kind, 0) + 1
    return seconds, b""


class StderrParser:
    """Feeds `duration:` entries of a stderr-format log (any prefix) into a Digest."""

    def __init__(self, digest: Digest, source: str) -> None:
        self.digest = digest
        self.source = source
        self.clock = _Clock()
        self.offset = 0
        self._pending: tuple[float, float | None, list[bytes]] | None = None

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Parse every chunk; the line cut by a chunk's end waits for the next chunk."""
        carry = b""
        for chunk in chunks:
            self.digest.bytes_read += len(chunk)
            buffer = carry + chunk if carry else chunk
            cut = buffer.rfind(b"\n")
            if cut < 0:
                carry = buffer
                continue
            self._lines(buffer[:cut].split(b"\n"))
            self.offset += cut + 1
            carry = buffer[cut + 1 :]
        if carry:
            self._lines([carry])
        self._flush()

    def _lines(self, lines: list[bytes]) -> None:
        """The hot loop: one `find` per line; `statement:` and `execute` read inline."""
        digest = self.digest
        read_clock = self.clock.read
        pending = self._pending
        for line in lines:
            if line[:1] == b"\t":
                if pending is not None:
                    pending[2].append(line[1:])
                continue
            if pending is not None:
                self._add(pending)
                pending = None
            mark = line.find(_MARK)
            if mark < 0:
                continue
            start = mark + 16
            ms = line.find(b" ms  ", start)
            sql: bytes | None = None
            if ms > 0:
                kind = ms + 5
                if line.startswith(b"statement: ", kind):
                    sql = line[kind + 11 :]
                elif line.startswith(b"execute ", kind):
                    colon = line.find(b": ", kind)
                    sql = line[colon + 2 :] if colon > 0 else None
            try:
                seconds = float(line[start:ms]) / 1000.0 if sql is not None else -1.0
            except ValueError:
                sql = None
            if sql is None:
                found = _statement(line[start:], digest)
                if found is None:
                    where = f"{self.source} near byte {self.offset}"
                    digest.problems.add("unreadable duration line", where)
                    continue
                seconds, sql = found
            if sql:
                pending = (seconds, read_clock(line[:mark]), [sql])
        self._pending = pending

    def _add(self, pending: tuple[float, float | None, list[bytes]]) -> None:
        seconds, timestamp, parts = pending
        statement = parts[0] if len(parts) == 1 else b"\n".join(parts)
        self.digest.add(statement, seconds, timestamp)

    def _flush(self) -> None:
        if self._pending is not None:
            self._add(self._pending)
            self._pending = None


def next_entry(window: bytes) -> int:
    """Where the first line in `window` that does not continue a statement begins, or -1.

    A line starting with a tab continues the statement above it; any other
    line ends it, so a log cut before such a line parses, range by range,
    into the digest of the whole.
    """
    found = window.find(b"\n")
    while 0 <= found < len(window) - 1 and window[found + 1] == 0x09:  # tab
        found = window.find(b"\n", found + 1)
    return -1 if found < 0 or found >= len(window) - 1 else found + 1


def _text_lines(chunks: Iterable[bytes], digest: Digest) -> Iterator[str]:
    """Lines of text from byte chunks, for the csv module (which wants str)."""
    carry = b""
    for chunk in chunks:
        digest.bytes_read += len(chunk)
        buffer = carry + chunk
        cut = buffer.rfind(b"\n")
        if cut < 0:
            carry = buffer
            continue
        yield from io.StringIO(buffer[: cut + 1].decode("utf-8", "surrogateescape"), newline="")
        carry = buffer[cut + 1 :]
    if carry:
        yield carry.decode("utf-8", "surrogateescape")


def parse_csvlog(chunks: Iterable[bytes], digest: Digest, source: str) -> None:
    """Parse a PostgreSQL csvlog given as byte chunks into `digest`."""
    clock = _Clock()
    reader = csv.reader(_text_lines(chunks, digest))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            digest.problems.add(
                f"unreadable CSV record ({exc})", f"{source} line {reader.line_num}"
            )
            continue
        if len(row) <= _CSV_MESSAGE:
            digest.problems.add(
                "CSV record with too few fields", f"{source} line {reader.line_num}"
            )
            continue
        message = row[_CSV_MESSAGE]
        if row[_CSV_SEVERITY] != "LOG" or not message.startswith("duration: "):
            continue
        found = _statement(message[10:].encode("utf-8", "surrogateescape"), digest)
        if found is None:
            digest.problems.add("unreadable duration", f"{source} line {reader.line_num}")
            continue
        seconds, sql = found
        if sql:
            digest.add(sql, seconds, clock.read(row[_CSV_TIME].encode()))


def parse_stderr(chunks: Iterable[bytes], digest: Digest, source: str) -> None:
    """Parse a PostgreSQL stderr-format log given as byte chunks into `digest`."""
    StderrParser(digest, source).feed(chunks)


__all__ = ["StderrParser", "next_entry", "parse_csvlog", "parse_stderr"]
