"""Fingerprints: the same classes pt-query-digest makes, for MySQL/MariaDB and PostgreSQL syntax.

The expected values were produced by pt-fingerprint 3.2.1 (`pt-fingerprint --query`),
except the boolean case: pt-query-digest's own fingerprint turns `true`/`false`
into `?` (its line `s/\\bfalse\\b|\\btrue\\b/?/isg`), pt-fingerprint 3.2.1 does not.
"""

from __future__ import annotations

import pytest

from dbtier.observe.fingerprint import digit_blind, fingerprint, fingerprint_bytes, skeleton

CASES = [
    ("SELECT c FROM sbtest1 WHERE id=5012", "select c from sbtest? where id=?"),
    ("select c from sbtest1 where id = 7", "select c from sbtest? where id = ?"),
    ("SELECT * FROM users WHERE name = 'O\\'Brien'", "select * from users where name = ?"),
    ('SELECT * FROM users WHERE name = "bob"', "select * from users where name = ?"),
    ("SELECT * FROM t WHERE a IN (1, 2, 3, 4)", "select * from t where a in(?+)"),
    (
        "SELECT * FROM t WHERE a IN ('a','b') AND b IN (1)",
        "select * from t where a in(?+) and b in(?+)",
    ),
    ("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "insert into t (a, b) values(?+)"),
    ("INSERT INTO t(a,b) VALUES(1,'x')", "insert into t(a,b) values(?+)"),
    ("REPLACE INTO t VALUES (1),(2)", "replace into t values(?+)"),
    ("INSERT IGNORE INTO t (a) VALUES (5)", "insert ignore into t (a) values(?+)"),
    ("SELECT /* comment */ 1", "select ?"),
    ("SELECT 1 -- trailing comment", "select ? "),
    ("SELECT 1 # hash comment", "select ? "),
    ("SELECT /*!40001 SQL_NO_CACHE */ * FROM `users`", "mysqldump"),
    ("USE nippo", "use ?"),
    ("use `sbtest`", "use ?"),
    ("CALL add_report(1, 'x')", "call add_report"),
    ("administrator command: Quit", "administrator command: Quit"),
    (
        "SELECT * FROM t WHERE flag = TRUE OR other = false",
        "select * from t where flag = ? or other = ?",
    ),
    ("SELECT * FROM users_2009 WHERE id = 1", "select * from users_? where id = ?"),
    ("SELECT * FROM t WHERE x = -5.25e3", "select * from t where x = ?"),
    ("SELECT 0x1F, b'0101', x'AB'", "select ?f, ?, ?"),
    ("SELECT * FROM t WHERE a IS NULL AND b = NULL", "select * from t where a is ? and b = ?"),
    ("SELECT * FROM t LIMIT 10, 20", "select * from t limit ?"),
    ("SELECT * FROM t LIMIT 10 OFFSET 20", "select * from t limit ?"),
    ("SELECT * FROM t ORDER BY a ASC, b ASC", "select * from t order by a, b"),
    (
        "SELECT a FROM t WHERE id = 1 UNION SELECT a FROM t WHERE id = 2 "
        "UNION SELECT a FROM t WHERE id = 3",
        "select a from t where id = ? /*repeat union*/",
    ),
    ("SELECT a FROM t UNION ALL SELECT a FROM t", "select a from t /*repeat union all*/"),
    ("SELECT  c\n  FROM   t\n\tWHERE id = 1", "select c from t where id = ?"),
    ("  SELECT 1\n", "select ?"),
    ("UPDATE sbtest1 SET k=k+1 WHERE id=4999", "update sbtest? set k=k? where id=?"),
    ("DELETE FROM sbtest1 WHERE id=5001", "delete from sbtest? where id=?"),
    ("BEGIN", "begin"),
    ("COMMIT", "commit"),
    (
        "SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 5000 AND 5099 ORDER BY c",
        "select distinct c from sbtest? where id between ? and ? order by c",
    ),
    (
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 100",
        "select sum(k) from sbtest? where id between ? and ?",
    ),
    (
        "SELECT * FROM reports WHERE learner_id = $1 AND day = $2",
        "select * from reports where learner_id = $? and day = $?",
    ),
    ('SELECT * FROM "Reports" WHERE "LearnerId" = 5', "select * from ? where ? = ?"),
    ("SELECT now() - interval '5 minutes'", "select now() ? interval ?"),
    ("SELECT '2026-11-30'::date, 3.14::numeric(10,2)", "select ?::date, ?::numeric(?,?)"),
    (
        "INSERT INTO reports (learner_id, body) VALUES ($1, $2) RETURNING id",
        "insert into reports (learner_id, body) values ($?, $?) returning id",
    ),
    ("SELECT * FROM t WHERE a = ANY(ARRAY[1,2,3])", "select * from t where a = any(array[?,?,?])"),
    (
        "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)",
        "select * from t where id in (select id from u where x = ?)",
    ),
    ("SELECT a FROM t WHERE b LIKE '%foo%'", "select a from t where b like ?"),
    ("SELECT * FROM t WHERE a IN ( ?, ?, ? )", "select * from t where a in(?+)"),
    (
        "INSERT INTO t VALUES (1,2),(3,4) ON DUPLICATE KEY UPDATE b=VALUES(b)",
        "insert into t values(?+)",
    ),
    ("SET NAMES utf8mb4", "set names utf?m?"),
    ("SET SESSION sql_mode = 'STRICT_ALL_TABLES'", "set session sql_mode = ?"),
    ("SHOW GLOBAL STATUS LIKE 'Com_%'", "show global status like ?"),
    ("SELECT c FROM sbtest1 WHERE id=1 /* app:nippo */", "select c from sbtest? where id=? "),
    ('SELECT \'it\'\'s\', "say ""hi"""', "select ??, ???"),
    ("SELECT * FROM t WHERE col1=1e-3 AND col2=.5", "select * from t where col?=? and col?=?"),
    (
        "select * from t where a in(1,2) and b in (3 , 4)",
        "select * from t where a in(?+) and b in(?+)",
    ),
    ("SELECT CAST(x AS DECIMAL(10,2)) FROM t", "select cast(x as decimal(?,?)) from t"),
    (
        "CREATE TABLE sbtest1(id INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (id))",
        "create table sbtest?(id integer not ? auto_increment, primary key (id))",
    ),
    (
        "SELECT * FROM t WHERE a = 1 ORDER BY b DESC LIMIT 5",
        "select * from t where a = ? order by b desc limit ?",
    ),
    (
        "INSERT INTO t (a) SELECT a FROM u WHERE b = 2",
        "insert into t (a) select a from u where b = ?",
    ),
    ("SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t", "select * from t"),
    ("DEALLOCATE pdo_stmt_00000001", "deallocate pdo_stmt_?"),
    ("SELECT pg_sleep(0.5)", "select pg_sleep(?)"),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_fingerprint_matches_pt_query_digest(query: str, expected: str) -> None:
    assert fingerprint(query) == expected


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


def test_cached_shapes_give_the_same_answer_twice() -> None:
    first = fingerprint_bytes(b"SELECT c FROM sbtest1 WHERE id=5012")
    second = fingerprint_bytes(b"SELECT c FROM sbtest1 WHERE id=77")
    assert first == second == b"select c from sbtest? where id=?"


def test_non_ascii_text_survives() -> None:
    assert fingerprint("SELECT * FROM reports WHERE title = '日報' AND 学習 = 1") == (
        "select * from reports where title = ? and 学習 = ?"
    )


# Every digit replaced by another: what the skeleton cache assumes changes nothing.
_OTHER_DIGITS = bytes.maketrans(b"0123456789", b"7294015836")


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_digit_blind_statements_keep_their_fingerprint_whatever_the_digits(
    query: str, expected: str
) -> None:
    text = query.encode()
    other = text.translate(_OTHER_DIGITS)
    assert digit_blind(text) == digit_blind(skeleton(text)) == digit_blind(other)
    if digit_blind(text):
        assert fingerprint_bytes(other) == expected.encode()


@pytest.mark.parametrize(
    "query",
    [
        b"SELECT /*!40001 SQL_NO_CACHE */ * FROM `users`",
        b"CALL add_report1(1, 'x')",
        b"  call p2()",
        b"administrator command: Binlog Dump 2",
    ],
)
def test_rules_that_keep_digits_are_not_digit_blind(query: bytes) -> None:
    assert not digit_blind(query)
    assert not digit_blind(skeleton(query))


def test_skeleton_zeroes_every_digit_and_nothing_else() -> None:
    assert skeleton(b"SELECT c FROM sbtest3 WHERE id=5012 -- 9") == (
        b"SELECT c FROM sbtest0 WHERE id=0000 -- 0"
    )
