"""Digest a list of log sources: tell each one's format, parse it, keep going on damage.

Formats, told from the first bytes unless --input-format names one:

| format | looks like |
|---|---|
| `mysql-slow` | `# Time:` / `# User@Host:` / `# Query_time:` lines, or a mysqld/mariadbd banner |
| `postgres-csv` | a first line `YYYY-MM-DD HH:MM:SS[.fff] TZ,...` |
| `postgres` | anything with `LOG:  ` (stderr, any log_line_prefix, RDS, CloudWatch) |
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterable, Iterator

from dbtier.errors import UsageError
from dbtier.observe import parallel
from dbtier.observe.digest import Digest
from dbtier.observe.pglog import parse_csvlog, parse_stderr
from dbtier.observe.slowlog import parse_slowlog
from dbtier.observe.sources import LogSource, TruncatedInput

Parser = Callable[[Iterable[bytes], Digest, str], None]

PARSERS: dict[str, Parser] = {
    "mysql-slow": parse_slowlog,
    "postgres": parse_stderr,
    "postgres-csv": parse_csvlog,
}
INPUT_FORMATS = ("auto", *PARSERS)

_CSV_FIRST_LINE = re.compile(rb"\A\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Za-z0-9+-]+,")
_SLOW_HINTS = (b"# Time: ", b"# User@Host: ", b"# Query_time: ", b", Version: ")


def detect_format(sample: bytes) -> str | None:
    """The format of a log from its first bytes, or None when it is none we read."""
    if any(hint in sample for hint in _SLOW_HINTS):
        return "mysql-slow"
    if _CSV_FIRST_LINE.match(sample.lstrip()):
        return "postgres-csv"
    if b"LOG:  " in sample or b"ERROR:  " in sample:
        return "postgres"
    return None


def _guarded(chunks: Iterator[bytes], digest: Digest, source: str) -> Generator[bytes, None, None]:
    try:
        yield from chunks
    except TruncatedInput as exc:
        digest.problems.add(f"input ends early ({exc})", source)


def digest_source(
    source: LogSource, digest: Digest, input_format: str = "auto", jobs: int = 1
) -> str | None:
    """Parse one source into `digest`; the format used, or None for an empty source.

    With `jobs` > 1, a large plain file of a format that can be cut between
    entries is parsed by that many processes (see `parallel`).
    """
    chunks = _guarded(source.open_chunks(), digest, source.name)
    first = next(chunks, b"")
    if not first:
        digest.sources.append(f"{source.name} (empty)")
        return None
    name = input_format
    if name == "auto":
        detected = detect_format(first[:65536])
        if detected is None:
            raise UsageError(
                f"{source.name}: not a MySQL/MariaDB slow log nor a PostgreSQL log that I can "
                "tell; name the format with --input-format mysql-slow|postgres|postgres-csv"
            )
        name = detected
    cuts = _cuts(source, name, jobs)
    if len(cuts) > 2 and source.plain_file is not None:
        chunks.close()
        parallel.digest_file_in_parts(source.plain_file, cuts, name, source.name, digest)
    else:
        PARSERS[name](itertools.chain([first], chunks), digest, source.name)
    digest.sources.append(f"{source.name} ({name})")
    return name


def _cuts(source: LogSource, name: str, jobs: int) -> list[int]:
    """Where to cut a plain file for `jobs` processes ([] when it is read by one)."""
    path = source.plain_file
    if jobs <= 1 or path is None or name not in parallel.SPLITTABLE:
        return []
    _, next_entry = parallel.SPLITTABLE[name]
    return parallel.plan_ranges(path, path.stat().st_size, jobs, next_entry)


def digest_sources(
    sources: list[LogSource],
    *,
    input_format: str = "auto",
    since: float | None = None,
    until: float | None = None,
    jobs: int | None = None,
) -> Digest:
    """One digest over every source, in order; `jobs` processes per large plain file
    (None: one per CPU, 1: this process alone)."""
    if input_format not in INPUT_FORMATS:
        raise UsageError(
            f"--input-format: {input_format!r} is not one of {', '.join(INPUT_FORMATS)}"
        )
    digest = Digest(since=since, until=until)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs: {jobs} is not a number of processes (1 or more)")
    processes = parallel.default_jobs() if jobs is None else jobs
    for source in sources:
        digest_source(source, digest, input_format, processes)
    return digest


__all__ = ["INPUT_FORMATS", "PARSERS", "detect_format", "digest_source", "digest_sources"]
