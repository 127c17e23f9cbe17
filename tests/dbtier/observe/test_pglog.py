"""PostgreSQL logs: stderr with RDS's prefix and the default prefix, csvlog, multi-line, phases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dbtier.observe.digest import Digest
from dbtier.observe.pglog import parse_csvlog, parse_stderr
from dbtier.observe.run import detect_format

if TYPE_CHECKING:
    from tests.dbtier.observe.conftest import ClassesOf, DigestOf

# From a throwaway PostgreSQL 15 with log_min_duration_statement = 0, psql and psycopg 3.
EXPECTED = {
    "create database bench": (1, 0.542815),
    "create table t (id int primary key, name text, note text);": (1, 0.032123),
    "insert into t values(?+)": (1, 0.004131),
    "select * from t where id in(?+) and name <> ??;": (1, 0.000447),
    "select ?": (1, 0.000244),
    "select count(*) from t where note is ?;": (1, 0.00015),
    "update t set note = $? where id = $?": (1, 0.000095),
    "execute p(?);": (1, 0.000074),
    "prepare p(int) as select name from t where id = $?;": (1, 0.00005),
    "select name from t where id = $?": (1, 0.000026),
}


def test_rds_prefix_stderr_log(samples: Path, digest_of: DigestOf, classes_of: ClassesOf) -> None:
    digest = digest_of(samples / "postgres-rds.log")
    assert classes_of(digest) == EXPECTED
    # psycopg's extended protocol: parse and bind are phases, not statements.
    assert digest.ignored == {"parse": 2, "bind": 2}
    assert digest.problems.total == 0


def test_csvlog_gives_the_same_classes(
    samples: Path, digest_of: DigestOf, classes_of: ClassesOf
) -> None:
    digest = digest_of(samples / "postgres.csv")
    assert classes_of(digest) == EXPECTED


def test_csv_and_stderr_agree_on_times(samples: Path, digest_of: DigestOf) -> None:
    stderr = digest_of(samples / "postgres-rds.log").classes[b"create database bench"]
    csv = digest_of(samples / "postgres.csv").classes[b"create database bench"]
    # stderr's %t has whole seconds, csvlog milliseconds.
    assert int(stderr.first) == int(csv.first)


def test_multi_line_statement_is_joined(samples: Path, digest_of: DigestOf) -> None:
    digest = digest_of(samples / "postgres-rds.log")
    example = digest.classes[b"select * from t where id in(?+) and name <> ??;"].example
    assert example == b"select *\n  from t\n where id in (1, 2)\n   and name <> 'it''s';"


def test_default_prefix_and_a_broken_duration_line(classes_of: ClassesOf) -> None:
    log = (
        b"2026-11-30 03:00:00.250 UTC [101] LOG:  duration: 1.500 ms  statement: SELECT 1\n"
        b"2026-11-30 03:00:01.000 UTC [101] LOG:  duration: abc ms  statement: SELECT 2\n"
        b"2026-11-30 03:00:02.000 UTC [101] LOG:  duration: 0.500 ms\n"
        b"2026-11-30 12:00:03.000 +09 [101] LOG:  duration: 2.000 ms  statement: SELECT 3\n"
        b"2026-11-30 03:00:04.000 UTC [101] LOG:  checkpoint starting: time\n"
    )
    digest = Digest()
    parse_stderr([log], digest, "mem")
    assert classes_of(digest) == {"select ?": (2, 0.0035)}
    assert digest.problems.counts == {"unreadable duration line": 1}
    assert digest.ignored == {"duration only": 1}
    query_class = digest.classes[b"select ?"]
    # 12:00:03 +09 is 03:00:03 UTC.
    assert query_class.last - query_class.first == 2.75


def test_cloudwatch_style_prefix_before_the_rds_prefix(classes_of: ClassesOf) -> None:
    log = (
        b"2026-11-30T03:00:00.000Z 2026-11-30 03:00:00 UTC:10.0.1.5(40000):app@nippo:[77]:"
        b"LOG:  duration: 3.000 ms  statement: SELECT now()\n"
    )
    digest = Digest()
    parse_stderr([log], digest, "cw")
    assert classes_of(digest) == {"select now()": (1, 0.003)}


def test_csv_record_with_too_few_fields_is_counted(classes_of: ClassesOf) -> None:
    log = (
        b'2026-11-30 03:00:00.000 UTC,"u","d",1,"[local]",x,1,"SELECT",2026-11-30 03:00:00 UTC,'
        b'3/0,0,LOG,00000,"duration: 1.000 ms  statement: SELECT 1",'
        b',,,,,,,,"psql","client backend",,0\n'
        b"2026-11-30 03:00:01.000 UTC,broken\n"
    )
    digest = Digest()
    parse_csvlog([log], digest, "csv")
    assert classes_of(digest) == {"select ?": (1, 0.001)}
    assert digest.problems.counts == {"CSV record with too few fields": 1}


def test_format_detection(samples: Path) -> None:
    assert detect_format((samples / "mariadb-slow.log").read_bytes()[:4096]) == "mysql-slow"
    assert detect_format((samples / "mysql8-slow.log").read_bytes()[:4096]) == "mysql-slow"
    assert detect_format((samples / "postgres-rds.log").read_bytes()[:4096]) == "postgres"
    assert detect_format((samples / "postgres.csv").read_bytes()[:4096]) == "postgres-csv"
    assert detect_format(b"hello world\n") is None
