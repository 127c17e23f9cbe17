"""Query classes: per-fingerprint aggregates, built in constant memory per class.

The parsers call `Digest.add` once per statement. A class keeps counts and
sums, its slowest statement as the example, first and last seen, and the
durations for its p95: while a class has fewer than `EXACT_LIMIT`
statements, every duration exactly; past that, a DDSketch (relative
accuracy 1 %, DataDog's `ddsketch`) fed with them and every later one.
So p95 is exact for small classes and an estimate within 1 % of the true
value for large ones; `p95_estimated` says which.
pt-query-digest's own 95% is approximate too (1000 buckets, each 5 % wider
than the last), so the two agree within their bucket widths, not exactly.

Memory is bounded by the number of classes (each at most `EXACT_LIMIT`
floats plus a sketch of a few hundred buckets), never by the log's length.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ddsketch import DDSketch

from dbtier.observe.fingerprint import SKELETON_TABLE, digit_blind, fingerprint_bytes

EXACT_LIMIT = 1000
SKETCH_ACCURACY = 0.01
_CACHE_LIMIT = 4096


class QueryClass:
    """One fingerprint's aggregates; `add` is on the parser's hot path."""

    __slots__ = (
        "count",
        "durations",
        "example",
        "fingerprint",
        "first",
        "last",
        "lock_s",
        "max_s",
        "rows_examined",
        "rows_sent",
        "sketch",
        "total_s",
    )

    def __init__(self, fingerprint: bytes) -> None:
        self.fingerprint = fingerprint
        self.count = 0
        self.total_s = 0.0
        self.max_s = -1.0
        self.lock_s = 0.0
        self.rows_sent = 0
        self.rows_examined = 0
        self.first = math.inf
        self.last = -math.inf
        self.example = b""  # the slowest statement of the class
        self.durations: list[float] = []
        self.sketch: DDSketch | None = None

    def fold(self) -> None:
        """Move the kept durations into the sketch by distinct value with their multiplicity.

        Logs print times rounded to microseconds, so values repeat and `Counter`
        does the counting in C, which costs far less than one sketch insert each.
        """
        if self.sketch is None:
            self.sketch = DDSketch(relative_accuracy=SKETCH_ACCURACY)
        add = self.sketch.add
        for value, times in Counter(self.durations).items():
            add(value, times)
        self.durations = []

    def merge(self, later: QueryClass) -> None:
        """Add the aggregates of the same class over a later part of the log.

        Gives what one pass over both parts gives: ties of the slowest keep
        the earlier example, and the durations stay exact below EXACT_LIMIT
        statements and otherwise end in one sketch (DDSketch bins add up).
        """
        self.count += later.count
        self.total_s += later.total_s
        self.lock_s += later.lock_s
        self.rows_sent += later.rows_sent
        self.rows_examined += later.rows_examined
        if later.max_s > self.max_s:
            self.max_s, self.example = later.max_s, later.example
        self.first = min(self.first, later.first)
        self.last = max(self.last, later.last)
        if later.sketch is not None:
            if self.sketch is None:
                self.sketch = DDSketch(relative_accuracy=SKETCH_ACCURACY)
            self.sketch.merge(later.sketch)
        self.durations.extend(later.durations)
        if self.sketch is not None or len(self.durations) >= EXACT_LIMIT:
            self.fold()

    def p95(self) -> tuple[float, bool]:
        """The 95th percentile of the durations and whether it is estimated."""
        if self.sketch is None:
            ordered = sorted(self.durations)
            if not ordered:
                return 0.0, False
            # Nearest rank, as pt-query-digest and pgBadger report a sample value.
            return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], False
        if self.durations:
            self.fold()
        assert self.sketch is not None
        value = self.sketch.get_quantile_value(0.95)
        return (value if value is not None else 0.0), True


@dataclass
class Problems:
    """Entries that could not be used, counted by kind, with the first few kept to show."""

    counts: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def add(self, kind: str, where: str) -> None:
        """Count one bad entry of `kind`; keep its location if few are kept yet."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind} at {where}")

    @property
    def total(self) -> int:
        """How many entries were skipped."""
        return sum(self.counts.values())

    def merge(self, later: Problems) -> None:
        """Add the problems found in a later part of the log."""
        for kind, count in later.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + count
        self.samples.extend(later.samples[: max(0, 5 - len(self.samples))])


class Digest:
    """All query classes of one or more logs, plus what was skipped and why."""

    def __init__(self, since: float | None = None, until: float | None = None) -> None:
        self.classes: dict[bytes, QueryClass] = {}
        self.problems = Problems()
        # Entries read but not statements: PostgreSQL parse/bind phases, bare durations.
        self.ignored: dict[str, int] = {}
        self.since = since
        self.until = until
        self.events = 0
        self.filtered = 0
        self.bytes_read = 0
        self.sources: list[str] = []
        self._ranged = since is not None or until is not None
        # Statement -> class caches: by skeleton for digit-blind statements (see
        # fingerprint.py), by the statement itself for the rest; cleared when full.
        self._by_skeleton: dict[bytes, QueryClass] = {}
        self._by_statement: dict[bytes, QueryClass] = {}

    def add(
        self,
        statement: bytes,
        seconds: float,
        timestamp: float | None,
        lock_s: float = 0.0,
        rows_sent: int = 0,
        rows_examined: int = 0,
    ) -> None:
        """Count one statement into its class (skipped when outside --since/--until).

        The parsers' hot path: written flat, with the p95 bookkeeping inline.
        """
        if self._ranged and timestamp is not None and not self._in_range(timestamp):
            self.filtered += 1
            return
        self.events += 1
        key = statement.translate(SKELETON_TABLE)  # fingerprint.skeleton, inline
        query_class = self._by_skeleton.get(key)
        if query_class is None:
            query_class = self._class_of(statement, key)
        query_class.count += 1
        query_class.total_s += seconds
        if lock_s:
            query_class.lock_s += lock_s
        query_class.rows_sent += rows_sent
        query_class.rows_examined += rows_examined
        if seconds > query_class.max_s:
            query_class.max_s = seconds
            query_class.example = statement
        if timestamp is not None:
            if timestamp > query_class.last:
                query_class.last = timestamp
            if timestamp < query_class.first:
                query_class.first = timestamp
        durations = query_class.durations
        durations.append(seconds)
        if len(durations) >= EXACT_LIMIT:
            query_class.fold()

    def merge(self, later: Digest) -> None:
        """Add a digest of a later part of the same log (its `sources` are not repeated)."""
        for fingerprint, query_class in later.classes.items():
            mine = self.classes.get(fingerprint)
            if mine is None:
                self.classes[fingerprint] = query_class
            else:
                mine.merge(query_class)
        self.problems.merge(later.problems)
        for kind, count in later.ignored.items():
            self.ignored[kind] = self.ignored.get(kind, 0) + count
        self.events += later.events
        self.filtered += later.filtered
        self.bytes_read += later.bytes_read

    def without_caches(self) -> Digest:
        """This digest with its statement caches dropped (before it is sent between processes)."""
        self._by_skeleton = {}
        self._by_statement = {}
        return self

    def _in_range(self, timestamp: float) -> bool:
        return (self.since is None or timestamp >= self.since) and (
            self.until is None or timestamp < self.until
        )

    def _class_of(self, statement: bytes, key: bytes) -> QueryClass:
        blind = digit_blind(statement)
        cache = self._by_skeleton if blind else self._by_statement
        if not blind:
            key = statement
            cached = cache.get(key)
            if cached is not None:
                return cached
        fingerprint = fingerprint_bytes(statement)
        query_class = self.classes.get(fingerprint)
        if query_class is None:
            query_class = self.classes[fingerprint] = QueryClass(fingerprint)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = query_class
        return query_class

    @property
    def total_s(self) -> float:
        """Time summed over every counted statement."""
        return sum(query_class.total_s for query_class in self.classes.values())


SORT_KEYS: dict[str, Callable[[QueryClass], float]] = {
    "total": lambda c: c.total_s,
    "count": lambda c: float(c.count),
    "avg": lambda c: c.total_s / c.count if c.count else 0.0,
    "p95": lambda c: c.p95()[0],
}


def top_classes(digest: Digest, sort: str, top: int | None) -> list[QueryClass]:
    """The classes ordered by `sort` (largest first, fingerprint breaks ties), cut to `top`."""
    key = SORT_KEYS[sort]
    ordered = sorted(digest.classes.values(), key=lambda c: (-key(c), c.fingerprint))
    return ordered if top is None else ordered[:top]


__all__ = ["EXACT_LIMIT", "SORT_KEYS", "Digest", "Problems", "QueryClass", "top_classes"]
