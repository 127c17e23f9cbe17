"""One large plain log file digested by several processes, one byte range each.

A log is a sequence of entries, and a digest of two consecutive parts merges
into the digest of both (`Digest.merge`), so a plain file is cut into as many
byte ranges as there are CPUs, each cut just before an entry starts (the
format's `next_entry`: a slow log's `;\\n#`, a PostgreSQL stderr line that
does not start with a tab). This process parses the first range while forked
children parse the others, streaming their range in chunks as the single
process does; each child sends back its partial digest (a few kB per class)
and the parts are merged in log order.

Only what can be cut safely is split: uncompressed local files of at least
`PART_MIN_BYTES` per process, MySQL/MariaDB slow logs and PostgreSQL stderr
logs. gzip, RDS and CloudWatch streams, and csvlog (whose quoted fields may
hold any line), are read by one process. Memory stays flat as the log grows:
each process holds one chunk and its classes, so the total is bounded by the
number of CPUs, not by the log's size. A file that grows while it is read
(a live slow log) is digested up to the size it had when the digest began.

Fork, not spawn: the children start with the parsers already imported (a
spawned interpreter would spend ~0.2 s importing them), and the CLI has no
threads at that point.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from dbtier.errors import DigestFailed
from dbtier.observe import pglog, slowlog
from dbtier.observe.digest import Digest
from dbtier.observe.sources import range_chunks

PART_MIN_BYTES = 4 * 1024 * 1024
_CUT_WINDOW = 4 * 1024 * 1024


class RangeParser(Protocol):
    """A parser that can start mid-file: `offset` is where its bytes begin (for messages)."""

    offset: int

    def feed(self, chunks: Iterable[bytes]) -> None: ...


# Format -> (its parser, where the next entry starts in a window of bytes).
SPLITTABLE: dict[str, tuple[Callable[[Digest, str], RangeParser], Callable[[bytes], int]]] = {
    "mysql-slow": (slowlog.SlowLogParser, slowlog.next_entry),
    "postgres": (pglog.StderrParser, pglog.next_entry),
}


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    return len(os.sched_getaffinity(0))


def plan_ranges(path: Path, size: int, jobs: int, next_entry: Callable[[bytes], int]) -> list[int]:
    """Cut points 0 < ... < size: `jobs` ranges of near equal size, each starting an entry."""
    jobs = max(1, min(jobs, size // PART_MIN_BYTES))
    cuts = [0]
    with path.open("rb") as raw:
        for number in range(1, jobs):
            nominal = max(size * number // jobs, cuts[-1] + 1)
            raw.seek(nominal)
            found = next_entry(raw.read(_CUT_WINDOW))
            if found >= 0 and nominal + found < size:
                cuts.append(nominal + found)
    return [*cuts, size]


def digest_range(
    path: Path, start: int, end: int, input_format: str, source: str, digest: Digest
) -> Digest:
    """Parse bytes `start` to `end` of a plain file into `digest`."""
    make_parser, _ = SPLITTABLE[input_format]
    parser = make_parser(digest, source)
    parser.offset = start
    parser.feed(range_chunks(path, start, end))
    return digest


def _child(
    send: Connection,
    path: Path,
    cut: tuple[int, int],
    input_format: str,
    source: str,
    window: tuple[float | None, float | None],
) -> None:
    try:
        part = Digest(*window)
        digest_range(path, *cut, input_format, source, part)
        send.send(part.without_caches())
    except BaseException as exc:  # sent to the parent, which raises it as one process would
        send.send(exc)
    finally:
        send.close()


def digest_file_in_parts(
    path: Path, cuts: list[int], input_format: str, source: str, digest: Digest
) -> None:
    """Digest the ranges between `cuts` (the first here, the others in children) into `digest`."""
    context = multiprocessing.get_context("fork")
    window = (digest.since, digest.until)
    children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    try:
        for start, end in itertools.pairwise(cuts[1:]):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(send, path, (start, end), input_format, source, window),
                daemon=True,
            )
            process.start()
            send.close()
            children.append((process, receive))
        first = Digest(since=digest.since, until=digest.until)
        digest.merge(digest_range(path, cuts[0], cuts[1], input_format, source, first))
        for child, receive in children:
            digest.merge(collect(child, receive))
    finally:
        for child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()


def collect(child: multiprocessing.process.BaseProcess, receive: Connection) -> Digest:
    try:
        result = receive.recv()
    except EOFError:
        child.join()
        raise DigestFailed(
            f"the process digesting part of the log (pid {child.pid}) ended with exit code "
            f"{child.exitcode} and no result; run again with --jobs 1 to use one process"
        ) from None
    if isinstance(result, BaseException):
        raise result
    assert isinstance(result, Digest)
    return result


__all__ = [
    "PART_MIN_BYTES",
    "SPLITTABLE",
    "RangeParser",
    "collect",
    "default_jobs",
    "digest_file_in_parts",
    "digest_range",
    "plan_ranges",
]
