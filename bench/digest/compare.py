"""Top classes of each tool, matched by fingerprint, with counts and total times compared.

pt-query-digest's fingerprints are dbtier's (same rules), so they match as
strings. pgBadger normalises differently (`in (...)`, digits kept inside
names, a trailing `;`), so classes are matched on a key of the fingerprint's
letters only, and pgBadger classes with the same key are summed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOLERANCE = 0.01


@dataclass(frozen=True)
class Row:
    """One class of the peer's top list beside dbtier's class of the same fingerprint."""

    fingerprint: str
    peer_count: int
    peer_total_s: float
    ours_count: int | None
    ours_total_s: float | None
    peer_p95_s: float | None = None
    ours_p95_s: float | None = None

    @property
    def count_ok(self) -> bool:
        return self.ours_count is not None and _within(self.ours_count, self.peer_count)

    @property
    def total_ok(self) -> bool:
        return self.ours_total_s is not None and _within(self.ours_total_s, self.peer_total_s)


def _within(ours: float, peer: float) -> bool:
    return abs(ours - peer) <= TOLERANCE * max(abs(peer), 1e-12)


def ours(path: Path) -> dict[str, dict[str, Any]]:
    """dbtier's JSON: fingerprint -> class."""
    return {item["fingerprint"]: item for item in json.loads(path.read_text())}


def pt_classes(path: Path) -> list[tuple[str, int, float, float]]:
    """(fingerprint, count, total s, 95%) of every pt-query-digest class, by total time."""
    data = json.loads(path.read_text())
    classes = [
        (
            item["fingerprint"],
            int(item["query_count"]),
            float(item["metrics"]["Query_time"]["sum"]),
            float(item["metrics"]["Query_time"]["pct_95"]),
        )
        for item in data["classes"]
    ]
    return sorted(classes, key=lambda c: -c[2])


def compare_pt(pt_json: Path, dbtier_json: Path, top: int = 10) -> list[Row]:
    """pt-query-digest's top classes by total time beside dbtier's."""
    mine = ours(dbtier_json)
    rows = []
    for fingerprint, count, total, p95 in pt_classes(pt_json)[:top]:
        match = mine.get(fingerprint)
        rows.append(
            Row(
                fingerprint,
                count,
                total,
                match["count"] if match else None,
                match["total_s"] if match else None,
                p95,
                match["p95_s"] if match else None,
            )
        )
    return rows


def letters(fingerprint: str) -> str:
    """The matching key for pgBadger: lower-case letters and underscores only."""
    return re.sub(r"[^a-z_]", "", fingerprint.lower())


def pgbadger_classes(path: Path) -> list[tuple[str, int, float]]:
    """(normalised query, count, total s) of pgBadger's classes summed by letters key."""
    data = json.loads(path.read_text())
    summed: dict[str, list[Any]] = {}
    for database in data["normalyzed_info"].values():
        for query, info in database.items():
            entry = summed.setdefault(letters(query), [query, 0, 0.0])
            entry[1] += int(info["count"])
            entry[2] += float(info["duration"]) / 1000.0
    return sorted(((q, n, t) for q, n, t in summed.values()), key=lambda c: -c[2])


def compare_pgbadger(pgbadger_json: Path, dbtier_json: Path, top: int = 10) -> list[Row]:
    """pgBadger's top classes by total time beside dbtier's (matched on letters)."""
    mine: dict[str, list[Any]] = {}
    for fingerprint, item in ours(dbtier_json).items():
        entry = mine.setdefault(letters(fingerprint), [0, 0.0])
        entry[0] += item["count"]
        entry[1] += item["total_s"]
    rows = []
    for query, count, total in pgbadger_classes(pgbadger_json)[:top]:
        match = mine.get(letters(query))
        rows.append(
            Row(query, count, total, match[0] if match else None, match[1] if match else None)
        )
    return rows


__all__ = ["TOLERANCE", "Row", "compare_pgbadger", "compare_pt", "letters"]
