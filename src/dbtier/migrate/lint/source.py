"""The SQL of each revision: Alembic's offline mode, split per revision and per statement.

Each revision is rendered on its own (`alembic upgrade DOWN:REV --sql`), so a
revision that cannot render offline is named while the others are still read;
Alembic marks a revision's SQL with a `-- Running upgrade A -> B` comment and
the text is cut there. Statements
are cut with sqlglot's tokenizer (so a `;` inside a string or a dollar-quoted
body does not split), then parsed with sqlglot; a statement sqlglot cannot
parse keeps `expression=None` and is still handed to squawk on PostgreSQL.
Alembic's own bookkeeping (`alembic_version`) is left out.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import sqlglot
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from dbtier.errors import ConfigError

SQLGLOT_DIALECT = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
# A URL of the engine's dialect, for offline rendering without a database.
OFFLINE_URL = {
    "postgresql": "postgresql+psycopg://",
    "mysql": "mysql+pymysql://",
    "mariadb": "mariadb+pymysql://",
    "sqlite": "sqlite://",
}
VERSION_TABLE = "alembic_version"
_MARKER = "-- Running upgrade "
_TRANSACTION = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION"})

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to Command" is expected


@dataclass(frozen=True)
class Statement:
    """One statement of a revision, as Alembic rendered it."""

    text: str
    expression: exp.Expression | None
    line: int  # 1-based, within the whole offline render

    @property
    def is_transaction_control(self) -> bool:
        return self.text.strip().upper().rstrip(";") in _TRANSACTION


@dataclass(frozen=True)
class RevisionSQL:
    """A revision's statements, in order."""

    revision: str
    statements: tuple[Statement, ...]
    error: str | None = None  # why Alembic could not render it offline

    def sql(self) -> str:
        """The statements joined one per line group, as squawk reads them."""
        return "".join(f"{s.text};\n" for s in self.statements)


def render_offline(config: Config, target: str = "heads") -> str:
    """`alembic upgrade TARGET --sql`, for the dialect of `sqlalchemy.url`."""
    buffer = io.StringIO()
    config.output_buffer = buffer
    try:
        command.upgrade(config, target, sql=True)
    except CommandError as exc:
        raise ConfigError(f"lint: Alembic could not render the SQL offline: {exc}") from None
    finally:
        config.output_buffer = None
    return buffer.getvalue()


def render_each(config: Config, engine: str) -> list[RevisionSQL]:
    """Every revision from base to head, each rendered on its own.

    One render per revision, so a revision that cannot render offline (it
    queries the database) is named, and the others are still read.
    """
    script = ScriptDirectory.from_config(config)
    ordered = list(reversed(list(script.walk_revisions("base", "heads"))))
    out: list[RevisionSQL] = []
    for rev in ordered:
        down = rev.down_revision
        start = down[0] if isinstance(down, tuple | list) and down else down
        target = f"{start}:{rev.revision}" if start else rev.revision
        try:
            sql = render_offline(config, target)
        except Exception as exc:  # a migration may raise anything offline
            out.append(RevisionSQL(rev.revision, (), error=f"{type(exc).__name__}: {exc}"))
            continue
        mine = [r for r in split_revisions(sql, engine) if r.revision == rev.revision]
        out.append(mine[0] if mine else RevisionSQL(rev.revision, ()))
    return out


def _parse(text: str, dialect: str) -> exp.Expression | None:
    try:
        parsed = sqlglot.parse_one(text, dialect=dialect)
    except SqlglotError:
        return None
    return parsed if isinstance(parsed, exp.Expression) else None


def split_statements(sql: str, engine: str) -> list[tuple[int, Statement]]:
    """(offset, statement) for each statement of `sql`, cut at `;` tokens."""
    dialect = SQLGLOT_DIALECT[engine]
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError as exc:
        raise ConfigError(f"lint: the SQL could not be tokenized as {engine}: {exc}") from None
    out: list[tuple[int, Statement]] = []
    first: int | None = None
    last = 0
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if first is not None:
                text = sql[first : last + 1].strip()
                line = sql.count("\n", 0, first) + 1
                out.append((first, Statement(text, _parse(text, dialect), line)))
            first = None
            continue
        if first is None:
            first = token.start
        last = token.end
    return out


def _touches_version_table(statement: Statement) -> bool:
    if statement.expression is None:
        return VERSION_TABLE in statement.text
    return any(t.name == VERSION_TABLE for t in statement.expression.find_all(exp.Table))


def split_revisions(sql: str, engine: str) -> list[RevisionSQL]:
    """The render cut into revisions at Alembic's markers, in the order they run."""
    marks: list[tuple[int, str]] = []
    offset = 0
    for line in sql.splitlines(keepends=True):
        if line.startswith(_MARKER):
            marks.append((offset, line[len(_MARKER) :].split("->")[-1].strip()))
        offset += len(line)
    buckets: list[list[Statement]] = [[] for _ in marks]
    preamble: list[Statement] = []
    for start, statement in split_statements(sql, engine):
        if _touches_version_table(statement):
            continue
        index = sum(1 for mark, _ in marks if mark <= start) - 1
        (buckets[index] if index >= 0 else preamble).append(statement)
    # A BEGIN rendered before a marker opens the next revision's transaction.
    carry = [s for s in preamble if s.is_transaction_control]
    for bucket in buckets:
        bucket[:0] = carry
        carry = []
        while bucket and bucket[-1].text.strip().upper() == "BEGIN":
            carry.insert(0, bucket.pop())
    return [
        RevisionSQL(rev, tuple(bucket)) for (_, rev), bucket in zip(marks, buckets, strict=True)
    ]


def statements_of(sql: str, engine: str, revision: str = "sql") -> RevisionSQL:
    """A bare SQL text as one revision (the corpus and `--sql` use it)."""
    return RevisionSQL(revision, tuple(s for _, s in split_statements(sql, engine)))


__all__ = [
    "OFFLINE_URL",
    "SQLGLOT_DIALECT",
    "RevisionSQL",
    "Statement",
    "render_each",
    "render_offline",
    "split_revisions",
    "split_statements",
    "statements_of",
]
