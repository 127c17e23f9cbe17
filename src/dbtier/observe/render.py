"""The digest as a rich table, Markdown or JSON.

JSON is a list of classes, each with `fingerprint`, `query_id` (0x + MD5 of
the fingerprint in upper case, as pt-query-digest 3.5.4+ prints it; older pt
shows its last 16 digits), `count`, `share`, `total_s`, `avg_s`, `p95_s`,
`p95_estimated`, `max_s`, `lock_s`, `rows_sent`, `rows_examined`,
`first_seen`, `last_seen` (ISO 8601 UTC or null) and `example` (the slowest
statement of the class). What was skipped goes in `summary_lines`, which the
CLI prints on stderr for JSON and below the table otherwise.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from datetime import UTC, datetime
from typing import Any

from dbtier.observe.digest import Digest, QueryClass

FORMATS = ("table", "markdown", "json")
_FINGERPRINT_WIDTH = 60


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _when(epoch: float) -> str | None:
    if math.isinf(epoch):
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


def class_record(query_class: QueryClass, digest_total_s: float) -> dict[str, Any]:
    """One class as a JSON-ready dict."""
    p95, estimated = query_class.p95()
    fingerprint = _text(query_class.fingerprint)
    return {
        "fingerprint": fingerprint,
        "query_id": "0x"
        + hashlib.md5(query_class.fingerprint, usedforsecurity=False).hexdigest().upper(),
        "count": query_class.count,
        "share": round(query_class.total_s / digest_total_s, 6) if digest_total_s else 0.0,
        "total_s": round(query_class.total_s, 6),
        "avg_s": round(query_class.total_s / query_class.count, 6),
        "p95_s": round(p95, 6),
        "p95_estimated": estimated,
        "max_s": round(query_class.max_s, 6),
        "lock_s": round(query_class.lock_s, 6),
        "rows_sent": query_class.rows_sent,
        "rows_examined": query_class.rows_examined,
        "first_seen": _when(query_class.first),
        "last_seen": _when(query_class.last),
        "example": _text(query_class.example),
    }


def summary_lines(digest: Digest, shown: int) -> list[str]:
    """What was read, what was skipped and why, in a few lines."""
    lines = [
        f"{digest.events} statements in {len(digest.classes)} classes "
        f"({shown} shown), {digest.total_s:.6f} s in total, "
        f"{digest.bytes_read / 1e6:.1f} MB read from {len(digest.sources)} source(s)"
    ]
    if digest.filtered:
        lines.append(f"{digest.filtered} statements outside --since/--until left out")
    if digest.ignored:
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(digest.ignored.items()))
        lines.append(f"not statements, not counted: {parts}")
    if digest.problems.total:
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(digest.problems.counts.items()))
        lines.append(f"malformed or truncated entries skipped: {parts}")
        lines.extend(f"  first: {sample}" for sample in digest.problems.samples)
    if any(query_class.p95()[1] for query_class in digest.classes.values()):
        lines.append(
            "p95 marked ~ is a DDSketch estimate (within 1 %); others are exact (nearest rank)"
        )
    return lines


def _short(text: str) -> str:
    return text if len(text) <= _FINGERPRINT_WIDTH else text[: _FINGERPRINT_WIDTH - 1] + "…"


def _p95_cell(record: dict[str, Any]) -> str:
    return ("~" if record["p95_estimated"] else "") + f"{record['p95_s']:.6f}"


def render_json(records: list[dict[str, Any]]) -> str:
    """JSON: the list of classes."""
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def render_markdown(records: list[dict[str, Any]], summary: list[str]) -> str:
    """Markdown: a table of classes, the examples, then the summary."""
    out = [
        "| # | total s | share | count | avg s | p95 s | max s | lock s | rows sent "
        "| rows examined | fingerprint |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rank, record in enumerate(records, 1):
        fingerprint = _short(record["fingerprint"]).replace("|", "\\|")
        out.append(
            f"| {rank} | {record['total_s']:.6f} | {record['share']:.1%} | {record['count']} "
            f"| {record['avg_s']:.6f} | {_p95_cell(record)} | {record['max_s']:.6f} "
            f"| {record['lock_s']:.6f} | {record['rows_sent']} "
            f"| {record['rows_examined']} | `{fingerprint}` |"
        )
    out.append("")
    for rank, record in enumerate(records, 1):
        out.append(
            f"{rank}. `{record['query_id']}` first {record['first_seen']}, "
            f"last {record['last_seen']}; slowest ({record['max_s']:.6f} s):"
        )
        out.extend(["", "   ```sql", *(f"   {line}" for line in record["example"].splitlines())])
        out.extend(["   ```", ""])
    out.extend(f"{line}  " for line in summary)
    return "\n".join(out) + "\n"


def render_table(records: list[dict[str, Any]], summary: list[str]) -> str:
    """A rich table (plain text when not on a terminal), then the summary."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Query classes", title_justify="left")
    headers = ("#", "total s", "share", "count", "avg s", "p95 s", "max s", "lock s", "rows sent")
    for header in (*headers, "rows exam"):
        table.add_column(header, justify="right")
    table.add_column("fingerprint", overflow="fold")
    for rank, record in enumerate(records, 1):
        table.add_row(
            str(rank),
            f"{record['total_s']:.6f}",
            f"{record['share']:.1%}",
            str(record["count"]),
            f"{record['avg_s']:.6f}",
            _p95_cell(record),
            f"{record['max_s']:.6f}",
            f"{record['lock_s']:.6f}",
            str(record["rows_sent"]),
            str(record["rows_examined"]),
            _short(record["fingerprint"]),
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=170, force_terminal=False, color_system=None)
    console.print(table)
    for line in summary:
        console.print(line, highlight=False, markup=False)
    return buffer.getvalue()


def render(digest: Digest, classes: list[QueryClass], fmt: str) -> tuple[str, list[str]]:
    """(stdout text, summary lines) for `fmt`; JSON keeps the summary out of stdout."""
    total = digest.total_s
    records = [class_record(query_class, total) for query_class in classes]
    summary = summary_lines(digest, len(records))
    if fmt == "json":
        return render_json(records), summary
    if fmt == "markdown":
        return render_markdown(records, summary), []
    return render_table(records, summary), []


__all__ = ["FORMATS", "class_record", "render", "summary_lines"]
