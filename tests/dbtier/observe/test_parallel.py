"""A plain log cut into byte ranges, parsed by several processes, gives the one-process digest."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from dbtier.errors import DigestFailed
from dbtier.observe import parallel
from dbtier.observe.digest import EXACT_LIMIT, Digest, QueryClass
from dbtier.observe.pglog import next_entry as pg_next_entry
from dbtier.observe.run import digest_sources
from dbtier.observe.slowlog import next_entry as slow_next_entry
from dbtier.observe.sources import local_file

Summary = dict[bytes, tuple[int, float, float, tuple[float, bool], bytes, float, float]]


def _summary(digest: Digest) -> Summary:
    return {
        key: (
            c.count,
            round(c.total_s, 9),
            c.max_s,
            c.p95(),
            c.example,
            c.first,
            c.last,
        )
        for key, c in digest.classes.items()
    }


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut the small committed samples as a large log would be cut."""
    monkeypatch.setattr(parallel, "PART_MIN_BYTES", 512)


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("name", ["mariadb-slow.log", "mysql8-slow.log", "postgres-rds.log"])
@pytest.mark.parametrize("jobs", [2, 3, 7])
def test_parts_in_several_processes_give_the_one_process_digest(
    samples: Path, name: str, jobs: int
) -> None:
    path = samples / name
    one = digest_sources([local_file(path)], jobs=1)
    several = digest_sources([local_file(path)], jobs=jobs)
    assert _summary(several) == _summary(one)
    assert several.problems.counts == one.problems.counts
    assert several.ignored == one.ignored
    assert (several.events, several.bytes_read) == (one.events, path.stat().st_size)
    assert several.sources == one.sources


@pytest.mark.usefixtures("small_parts")
def test_malformed_entries_keep_their_byte_offsets(tmp_path: Path) -> None:
    entry = (
        b"# Time: 2026-11-30T02:00:01Z\n# User@Host: a[a] @ h []\n"
        b"# Query_time: 0.5  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 1\n"
        b"SET timestamp=1796004001;\nSELECT 1;\n"
    )
    log = tmp_path / "slow.log"
    log.write_bytes(entry * 20 + b"# not an entry;\n" + entry * 20)
    one = digest_sources([local_file(log)], jobs=1)
    several = digest_sources([local_file(log)], jobs=4)
    assert several.problems.counts == one.problems.counts == {"entry without Query_time": 1}
    assert several.problems.samples == one.problems.samples


@pytest.mark.usefixtures("small_parts")
def test_cuts_fall_where_entries_start(samples: Path) -> None:
    path = samples / "mariadb-slow.log"
    data = path.read_bytes()
    cuts = parallel.plan_ranges(path, len(data), 5, slow_next_entry)
    assert cuts[0] == 0
    assert cuts[-1] == len(data)
    assert len(cuts) > 3
    assert all(data[cut - 2 : cut + 1] == b";\n#" for cut in cuts[1:-1])


def test_a_postgres_cut_never_splits_a_multi_line_statement() -> None:
    window = b"tail of a line\n\tcontinued\n\tmore\n2026-11-30 03:00:00 UTC::@:[1]:LOG:  x\n"
    assert window[pg_next_entry(window) :].startswith(b"2026-11-30")
    assert pg_next_entry(b"no line ends here") == -1
    assert pg_next_entry(b"ends with a line end\n") == -1


def test_a_small_file_is_read_by_one_process(samples: Path) -> None:
    path = samples / "mariadb-slow.log"
    assert parallel.plan_ranges(path, path.stat().st_size, 8, slow_next_entry) == [
        0,
        path.stat().st_size,
    ]


def test_merged_classes_keep_exact_and_sketched_p95_as_one_pass() -> None:
    durations = [((i * 7919) % 1000 + 1) / 1e4 for i in range(3 * EXACT_LIMIT)]
    for split in (10, EXACT_LIMIT - 1, EXACT_LIMIT + 5, 2 * EXACT_LIMIT):
        for total in (EXACT_LIMIT - 20, len(durations)):
            whole, left, right = Digest(), Digest(), Digest()
            for index, seconds in enumerate(durations[:total]):
                whole.add(b"SELECT 1", seconds, float(index))
                (left if index < split else right).add(b"SELECT 1", seconds, float(index))
            left.merge(right)
            assert _summary(left) == _summary(whole), (split, total)


def test_merge_keeps_the_earlier_example_on_a_tie() -> None:
    first, later = QueryClass(b"select ?"), QueryClass(b"select ?")
    first.max_s, first.example = 0.5, b"SELECT 1"
    later.max_s, later.example = 0.5, b"SELECT 2"
    first.merge(later)
    assert first.example == b"SELECT 1"


def test_a_worker_that_dies_without_a_result_is_named() -> None:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=os._exit, args=(3,))
    process.start()
    send.close()
    with pytest.raises(DigestFailed, match="exit code 3"):
        parallel.collect(process, receive)
    receive.close()
