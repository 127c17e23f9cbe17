"""The MySQL / MariaDB slow query log, parsed as a stream of byte chunks.

An entry is a block of `#` metadata lines (`# Time:`, `# User@Host:`,
`# Query_time: ... Lock_time: ... Rows_sent: ... Rows_examined: ...`, and
MariaDB's `# Thread_id:`, `# Rows_affected:`, `# Tmp_tables:` ...), then
`use db;` and `SET timestamp=N;` lines, then the statement, which may span
lines. Entries are split where pt-query-digest's SlowLogParser splits them,
on `;\\n#` (so a statement that itself contains `;` + newline + `#` is cut
there, as in pt). The server banner (`mysqld, Version: ... started with:`,
`Tcp port:`, `Time Id Command Argument`), which servers and RDS write again
at every restart or rotation, is removed first; unlike pt we also recognise
MariaDB's `mariadbd` banner.

Speed: the chunk is split with `bytes.split` (C), each entry's header is read
by one compiled regex, timestamps come from `SET timestamp=N` (an integer,
the statement's start in epoch seconds) rather than from `# Time:`, which
MariaDB writes only when the second changes and in server-local time.

An entry without a `Query_time` line, or without a statement, is counted as
malformed with its byte offset and skipped; the parse never stops on one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from dbtier.observe.digest import Digest

_SEPARATOR = b";\n#"
# An entry's first line lost its `#` to the split, hence the optional `#` on the
# lines that can come first (`# Time:`, `# User@Host:`); no copy with `#` put back.
_HEADER = re.compile(
    rb"""(?:
      \#?\ Time:\ (?P<time>[^\n]*)(?:\n|\Z)
    | \#?\ User@Host:[^\n]*(?:\n|\Z)
    | \#?\ Query_time:\ (?P<qt>[0-9.]+)\s+Lock_time:\ (?P<lt>[0-9.]+)
        \s+Rows_sent:\ (?P<rs>[0-9]+)\s+Rows_examined:\ (?P<rx>[0-9]+)[^\n]*(?:\n|\Z)
    | SET\ timestamp=(?P<ts>[0-9]+)[^\n]*(?:\n|\Z)
    | \#[^\n]*(?:\n|\Z)
    | use\ [^\n]*(?:\n|\Z)
    | SET\ (?:last_insert_id|insert_id)[^\n]*(?:\n|\Z)
    )*""",
    re.VERBOSE,
)
# The layout nearly every entry has (MariaDB, MySQL 5.7/8, RDS), read by one
# pattern without alternation; where it does not fit, or the statement then
# starts like a header line, `_HEADER` reads the entry instead (same result).
_COMMON_HEADER = re.compile(
    rb"""(?:\#?\ Time:\ ([^\n]*)\n)?
    \#?\ User@Host:[^\n]*\n
    (?:\#\ Thread_id:[^\n]*\n)?
    \#\ Query_time:\ ([0-9.]+)\s+Lock_time:\ ([0-9.]+)
        \s+Rows_sent:\ ([0-9]+)\s+Rows_examined:\ ([0-9]+)[^\n]*\n
    (?:\#\ (?!Query_time:)[^\n]*\n)*
    (?:use\ [^\n]*\n)?
    SET\ timestamp=([0-9]+);\n""",
    re.VERBOSE,
)
_HEADER_HEADS = (b"#", b"use ", b"SET ")
_BANNER = re.compile(
    rb"^(?:T[cC][pP]\s[pP]ort:\s+\d+|\S*(?:mysqld|mariadbd),\sVersion.*"
    rb"(?:started\swith:|embedded\slibrary)|Time\s+Id\s+Command).*\n",
    re.MULTILINE,
)
_BANNER_HINTS = (b", Version: ", b"Tcp port:", b"Id Command")
_ADMIN = re.compile(rb"^# (administrator command: [^\n]*?);?$", re.MULTILINE)
# MySQL writes `SET timestamp=N;` then `# administrator command: Quit;`, so the
# split on `;\n#` leaves the command alone in the next record (pt reads it the same way).
_ADMIN_RECORD = b" administrator command: "


def _time_line(value: bytes) -> float | None:
    """`# Time:` as epoch seconds: MySQL 5.7+/8 ISO (UTC), or MariaDB's YYMMDD H:MM:SS."""
    text = value.decode("ascii", "replace").strip()
    try:
        if "T" in text:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        moment = datetime.strptime(" ".join(text.split()), "%y%m%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC).timestamp()


class SlowLogParser:
    """Feeds the entries of one slow log, chunk by chunk, into a Digest."""

    def __init__(self, digest: Digest, source: str) -> None:
        self.digest = digest
        self.source = source
        self.offset = 0

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Parse every chunk; the entry cut by a chunk's end waits for the next chunk."""
        carry = b""
        for chunk in chunks:
            self.digest.bytes_read += len(chunk)
            buffer = carry + chunk if carry else chunk
            cut = buffer.rfind(_SEPARATOR)
            while cut >= 0 and buffer.startswith(_ADMIN_RECORD, cut + 3):
                cut = buffer.rfind(_SEPARATOR, 0, cut)  # keep an entry and its admin command
            if cut < 0:
                carry = buffer
                continue
            self._part(buffer[: cut + 2])
            carry = buffer[cut + 2 :]
        if carry.strip():
            self._part(carry)

    def _part(self, part: bytes) -> None:
        """The hot loop: entries of the common layout inline, any other by `_entry`."""
        base = self.offset
        self.offset += len(part)
        if any(hint in part for hint in _BANNER_HINTS):
            part = _BANNER.sub(b"", part)
        records = part.split(_SEPARATOR)
        last = len(records) - 1
        tail = records[last].rstrip()
        records[last] = tail[:-1] if tail.endswith(b";") else tail
        common = _COMMON_HEADER.match
        add = self.digest.add
        skip = -1
        for index, record in enumerate(records):
            fast = common(record)  # never matches an admin command's record (see `_entry`)
            if fast is not None:
                statement = record[fast.end() :]
                if statement and not statement.startswith(_HEADER_HEADS):
                    _, query_time, lock_time, rows_sent, rows_examined, stamp = fast.groups()
                    add(
                        statement,
                        float(query_time),
                        float(stamp),
                        float(lock_time),
                        int(rows_sent),
                        int(rows_examined),
                    )
                    continue
            if index != skip and (record or index < last):
                skip = self._entry(records, index, base, part)

    def _entry(self, records: list[bytes], index: int, base: int, part: bytes) -> int:
        """Read `records[index]` with the general header; the index of the next record
        when it was this entry's `administrator command:` (to be skipped), else -1."""
        record = records[index]
        header = _HEADER.match(record)
        assert header is not None  # the pattern also matches the empty string
        query_time, lock_time, rows_sent, rows_examined, stamp = header.group(
            "qt", "lt", "rs", "rx", "ts"
        )
        statement = record[header.end() :]
        skip = -1
        if (
            not statement
            and index < len(records) - 1
            and records[index + 1].startswith(_ADMIN_RECORD)
        ):
            skip = index + 1
            statement = records[skip].strip().rstrip(b";")
        elif query_time is None or not statement or statement[:1] == b"#":
            admin = self._without_statement(record, query_time, base, part)
            if admin is None or query_time is None:
                return -1
            statement = admin
        if stamp is not None:
            timestamp: float | None = float(stamp)
        else:
            time_line = header.group("time")
            timestamp = _time_line(time_line) if time_line else None
        self.digest.add(
            statement,
            float(query_time),
            timestamp,
            float(lock_time or 0),
            int(rows_sent or 0),
            int(rows_examined or 0),
        )
        return skip

    def _without_statement(
        self, record: bytes, query_time: bytes | None, base: int, part: bytes
    ) -> bytes | None:
        """An admin command stands for the statement; anything else is counted as malformed."""
        if query_time is not None:
            admin = _ADMIN.search(record + b"\n")
            if admin:
                return admin.group(1)
        where = f"{self.source} byte {base + max(0, part.find(record[:64]) - 1)}"
        kind = "entry without Query_time" if query_time is None else "entry without a statement"
        self.digest.problems.add(kind, where)
        return None


def next_entry(window: bytes) -> int:
    """Where the first entry that starts in `window` begins (just after `;\\n`), or -1.

    Every `;\\n#` is a cut the parser makes itself, so a log cut there into
    byte ranges parses, range by range, into the digest of the whole; except
    before `# administrator command:`, which belongs to the entry above it.
    """
    found = window.find(_SEPARATOR)
    while found >= 0 and window.startswith(_ADMIN_RECORD, found + 3):
        found = window.find(_SEPARATOR, found + 1)  # the entry's admin command is still its own
    return -1 if found < 0 else found + 2


def parse_slowlog(chunks: Iterable[bytes], digest: Digest, source: str) -> None:
    """Parse a MySQL/MariaDB slow log given as byte chunks into `digest`."""
    SlowLogParser(digest, source).feed(chunks)


__all__ = ["SlowLogParser", "next_entry", "parse_slowlog"]
