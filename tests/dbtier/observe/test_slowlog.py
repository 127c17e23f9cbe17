"""MySQL/MariaDB slow logs: the committed samples, chunk boundaries, banners, truncation, gzip."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dbtier.observe.digest import Digest
from dbtier.observe.slowlog import parse_slowlog

if TYPE_CHECKING:
    from tests.dbtier.observe.conftest import ClassesOf, DigestOf


def test_mysql8_sample_matches_pt_query_digest(
    samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    digest = digest_of(samples / "mysql8-slow.log")
    # pt-query-digest 3.2.1 on the same file: 7 events in these 5 classes.
    assert classes_of(digest) == {
        "select l.name, sum(t.minutes) from learners l join tasks t on t.learner_id = l.id "
        "where t.day >= ? group by l.name order by ? desc limit ?": (1, 2.475469),
        "insert into tasks (report_id, title, minutes) values(?+)": (2, 0.0021),
        "select id, body from reports where learner_id = ? and day = ?": (2, 0.00081),
        "select ? ": (1, 0.0001),
        "administrator command: Quit": (1, 0.00005),
    }
    assert digest.problems.total == 0


def test_mysql8_multi_line_statement_keeps_its_lines_in_the_example(
    samples: Path, digest_of: DigestOf
) -> None:
    digest = digest_of(samples / "mysql8-slow.log")
    slowest = max(digest.classes.values(), key=lambda c: c.total_s)
    assert slowest.example.startswith(b"SELECT l.name, SUM(t.minutes)\n  FROM learners l")
    assert slowest.rows_examined == 3145718
    assert slowest.rows_sent == 10
    assert slowest.lock_s == pytest.approx(0.000287)


def test_mariadb_sample_counts_a_truncated_last_entry_and_goes_on(
    samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    digest = digest_of(samples / "mariadb-slow.log")
    assert digest.events == 48
    assert digest.problems.counts == {"entry without Query_time": 1}
    assert "mariadb-slow.log byte" in digest.problems.samples[0]
    classes = classes_of(digest)
    assert classes["select c from sbtest? where id=?"] == (32, 0.001661)
    assert classes["begin"] == (4, 0.000034)


def test_mariadb_restart_banner_in_the_middle_is_not_part_of_a_statement(
    samples: Path, digest_of: DigestOf
) -> None:
    digest = digest_of(samples / "mariadb-slow.log")
    for query_class in digest.classes.values():
        assert b"mariadbd" not in query_class.fingerprint
        assert b"Version" not in query_class.example


def test_multi_line_create_table_is_one_statement(samples: Path, digest_of: DigestOf) -> None:
    digest = digest_of(samples / "mariadb-slow.log")
    (create,) = [c for c in digest.classes.values() if c.fingerprint.startswith(b"create table")]
    assert create.example.count(b"\n") == 6
    assert create.fingerprint.startswith(b"create table sbtest?( id integer not ? auto_increment")


def test_timestamps_come_from_set_timestamp(samples: Path, digest_of: DigestOf) -> None:
    digest = digest_of(samples / "mariadb-slow.log")
    version = digest.classes[b"select version()"]
    assert version.first == version.last == 1796007282.0


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_any_chunking_gives_the_same_digest(
    samples: Path, size: int, classes_of: ClassesOf
) -> None:
    data = (samples / "mariadb-slow.log").read_bytes()
    whole = Digest()
    parse_slowlog([data], whole, "whole")
    pieces = Digest()
    parse_slowlog((data[i : i + size] for i in range(0, len(data), size)), pieces, "pieces")
    assert classes_of(pieces) == classes_of(whole)
    assert pieces.problems.counts == whole.problems.counts


def test_gzip_input_is_read_as_the_plain_file(
    samples: Path, tmp_path: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    packed = tmp_path / "slow.log.gz"
    with (samples / "mariadb-slow.log").open("rb") as plain, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(plain, out)
    assert classes_of(digest_of(packed)) == classes_of(digest_of(samples / "mariadb-slow.log"))


def test_gzip_cut_short_keeps_what_came_before(
    samples: Path, tmp_path: Path, digest_of: DigestOf
) -> None:
    packed = gzip.compress((samples / "mariadb-slow.log").read_bytes() * 3)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    digest = digest_of(cut)
    assert digest.events > 0
    assert any(kind.startswith("input ends early") for kind in digest.problems.counts)


def test_several_files_add_up(samples: Path, digest_of: DigestOf) -> None:
    one = digest_of(samples / "mysql8-slow.log")
    two = digest_of(samples / "mysql8-slow.log", samples / "mariadb-slow.log")
    assert two.events == one.events + 48
    assert len(two.sources) == 2


def test_since_and_until_keep_the_range(samples: Path, digest_of: DigestOf) -> None:
    digest = digest_of(samples / "mysql8-slow.log", since=1796004002.0, until=1796004004.0)
    assert digest.events == 2
    assert digest.filtered == 5


def test_garbage_between_entries_is_counted_not_fatal(classes_of: ClassesOf) -> None:
    log = (
        b"# Time: 2026-11-30T02:00:01Z\n# User@Host: a[a] @ h []\n"
        b"# Query_time: 0.5  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 1\n"
        b"SELECT 1;\n# this is not an entry;\n"
        b"# Time: 2026-11-30T02:00:02Z\n# User@Host: a[a] @ h []\n"
        b"# Query_time: 0.25  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 1\n"
        b"SELECT 2;\n"
    )
    digest = Digest()
    parse_slowlog([log], digest, "mem")
    assert classes_of(digest) == {"select ?": (2, 0.75)}
    assert digest.problems.counts == {"entry without Query_time": 1}
