"""The lint rules as one table of facts: id, engines, severity, why it hurts, the safe way.

Every finding names a rule from this table; the docs page's rules table is
this table. Severity is `blocking` (the gate refuses the migration unless the
revision carries a reviewed allowance) or `warning` (reported, never refused).

Rule families:

- portable rules (`DROP-*`, `RENAME-*`, `ADD-NOT-NULL-NO-DEFAULT`): break the
  code that is running while the migration runs, on every engine;
- `COMPAT-*`: the same breakage proven against the deployed code's models
  (`--deployed-rev` / the image's manifest);
- `PG-*`: PostgreSQL locks and rewrites, found by squawk and mapped here;
- `MY-*`: MySQL/MariaDB ALTERs that cannot run INSTANT/INPLACE with LOCK=NONE
  on the server's version (see `mysql.py` for the per-version table);
- `ALLOW-*`: a malformed allowance line.
"""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING = "blocking"
WARNING = "warning"

ALL = ("postgresql", "mysql", "mariadb", "sqlite")
PG = ("postgresql",)
MY = ("mysql", "mariadb")


@dataclass(frozen=True)
class Rule:
    """One lint rule."""

    id: str
    engines: tuple[str, ...]
    severity: str
    why: str
    safe: str


_EXPAND_CONTRACT = (
    "expand/contract: first deploy code that no longer uses it, then drop it in a later "
    "revision once that code is the deployed one (`--deployed-rev` proves it)"
)

_RULES = (
    # -- portable: breaks running code -------------------------------------------------
    Rule(
        "DROP-TABLE",
        ALL,
        BLOCKING,
        "deletes the table and its rows; code still running that reads or writes it fails",
        _EXPAND_CONTRACT,
    ),
    Rule(
        "DROP-COLUMN",
        ALL,
        BLOCKING,
        "deletes the column and its data; code still running that selects or inserts it fails",
        _EXPAND_CONTRACT,
    ),
    Rule(
        "RENAME-TABLE",
        ALL,
        BLOCKING,
        "code still running uses the old name and fails from the moment it commits",
        "create the new table, write to both, backfill, switch reads, then drop the old one",
    ),
    Rule(
        "RENAME-COLUMN",
        ALL,
        BLOCKING,
        "code still running uses the old name and fails from the moment it commits",
        "add the new column, write to both, backfill, switch reads, then drop the old one",
    ),
    Rule(
        "ADD-NOT-NULL-NO-DEFAULT",
        ALL,
        BLOCKING,
        "a NOT NULL column without a server default: PostgreSQL refuses it on a table with "
        "rows; MySQL/MariaDB fill old rows but reject the running code's INSERTs that do not "
        "set it (strict mode)",
        "add it nullable or with a server default, backfill, then set NOT NULL in a later revision",
    ),
    # -- deployed-code compatibility ---------------------------------------------------
    Rule(
        "COMPAT-DROPPED-TABLE",
        ALL,
        BLOCKING,
        "the deployed code's models map this table; its queries fail once it is gone",
        _EXPAND_CONTRACT,
    ),
    Rule(
        "COMPAT-DROPPED-COLUMN",
        ALL,
        BLOCKING,
        "the deployed code's models read this column; every query that loads the model fails",
        _EXPAND_CONTRACT,
    ),
    Rule(
        "COMPAT-RENAMED",
        ALL,
        BLOCKING,
        "the deployed code's models use the old name",
        "add the new name beside the old one, deploy code that uses it, then drop the old one",
    ),
    Rule(
        "COMPAT-NOT-NULL-INSERT",
        ALL,
        BLOCKING,
        "the deployed code inserts into this table without setting the column (its models do "
        "not have it), and the column is NOT NULL without a server default",
        "give the column a server default, or make it NOT NULL only after code that sets it "
        "is deployed",
    ),
    Rule(
        "COMPAT-NARROWED-TYPE",
        ALL,
        BLOCKING,
        "the new type holds less than the deployed code's model allows; its writes can fail "
        "or be truncated",
        "widen, never narrow, while old code runs; narrow after code that respects the new "
        "limit is deployed and the data is checked",
    ),
    # -- PostgreSQL (squawk finds them) ------------------------------------------------
    Rule(
        "PG-INDEX-NOT-CONCURRENT",
        PG,
        BLOCKING,
        "CREATE INDEX without CONCURRENTLY holds a SHARE lock: writes to the table wait for "
        "the whole build",
        "CREATE INDEX CONCURRENTLY inside `op.get_context().autocommit_block()`",
    ),
    Rule(
        "PG-DROP-INDEX-NOT-CONCURRENT",
        PG,
        BLOCKING,
        "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE: reads and writes wait",
        "DROP INDEX CONCURRENTLY inside an autocommit block",
    ),
    Rule(
        "PG-CONCURRENT-IN-TRANSACTION",
        PG,
        BLOCKING,
        "CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction: the migration fails",
        "wrap it in `op.get_context().autocommit_block()`",
    ),
    Rule(
        "PG-CONSTRAINT-NOT-VALID",
        PG,
        BLOCKING,
        "adding a CHECK constraint scans the whole table under ACCESS EXCLUSIVE",
        "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction "
        "(SHARE UPDATE EXCLUSIVE: reads and writes go on)",
    ),
    Rule(
        "PG-FK-NOT-VALID",
        PG,
        BLOCKING,
        "adding a foreign key checks every row while both tables are locked against writes",
        "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT later",
    ),
    Rule(
        "PG-UNIQUE-CONSTRAINT",
        PG,
        BLOCKING,
        "ADD UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
    ),
    Rule(
        "PG-SET-NOT-NULL",
        PG,
        BLOCKING,
        "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
        "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL "
        "(PostgreSQL 12+ uses the validated check and skips the scan)",
    ),
    Rule(
        "PG-VOLATILE-DEFAULT",
        PG,
        BLOCKING,
        "a volatile default (or any default before PostgreSQL 11) rewrites the table under "
        "ACCESS EXCLUSIVE",
        "add the column without the default, set the default, backfill in batches",
    ),
    Rule(
        "PG-TYPE-CHANGE",
        PG,
        BLOCKING,
        "changing a column's type rewrites the table (and its indexes) under ACCESS EXCLUSIVE",
        "add a column of the new type, dual-write, backfill, switch reads, drop the old one",
    ),
    Rule(
        "PG-ADD-SERIAL-PK",
        PG,
        BLOCKING,
        "adding a serial primary key rewrites the table and builds the index under "
        "ACCESS EXCLUSIVE",
        "add the column, backfill, CREATE UNIQUE INDEX CONCURRENTLY, then ADD PRIMARY KEY "
        "USING INDEX",
    ),
    Rule(
        "PG-LOCK-TIMEOUT",
        PG,
        BLOCKING,
        "a statement that needs a strong lock waits behind long transactions and every query "
        "queues behind it; without lock_timeout that wait has no end",
        "run through `dbtier migrate run` (it sets lock_timeout) or SET lock_timeout first",
    ),
    Rule(
        "PG-DROP-NOT-NULL",
        PG,
        WARNING,
        "dropping NOT NULL lets NULLs in that the deployed code may not expect",
        "check that the code reading the column handles NULL",
    ),
    Rule(
        "PG-SQUAWK",
        PG,
        WARNING,
        "another squawk finding (the message names squawk's rule)",
        "see squawk's rule documentation",
    ),
    # -- MySQL / MariaDB ---------------------------------------------------------------
    Rule(
        "MY-TYPE-CHANGE",
        MY,
        BLOCKING,
        "changing a column's type copies the table (ALGORITHM=COPY): writes are blocked for "
        "the whole copy",
        "add a column of the new type, dual-write, backfill, switch reads, drop the old one; "
        "or gh-ost / pt-online-schema-change",
    ),
    Rule(
        "MY-CHARSET-CHANGE",
        MY,
        BLOCKING,
        "converting a character set copies the table (ALGORITHM=COPY): writes are blocked",
        "gh-ost / pt-online-schema-change, or a new column filled in batches",
    ),
    Rule(
        "MY-PK-CHANGE",
        MY,
        BLOCKING,
        "dropping the primary key (without adding one in the same statement) copies the "
        "table with writes blocked",
        "drop and add the primary key in one ALTER (INPLACE, LOCK=NONE), or gh-ost",
    ),
    Rule(
        "MY-FK-ADD",
        MY,
        BLOCKING,
        "adding a foreign key to an existing table copies it with foreign_key_checks on; "
        "writes are blocked for the copy, which grows with the table (a warning only when the "
        "live database says the table is small)",
        "add the index first, then the constraint with `SET foreign_key_checks=0` "
        "(INPLACE) after checking the data, or enforce it in code",
    ),
    Rule(
        "MY-CHECK-ADD",
        MY,
        BLOCKING,
        "adding a CHECK constraint to an existing table copies it (ALGORITHM=COPY)",
        "enforce the rule in code first; add the constraint with gh-ost",
    ),
    Rule(
        "MY-LOCKING-INDEX",
        MY,
        BLOCKING,
        "a FULLTEXT or SPATIAL index is built with LOCK=SHARED: writes wait for the build",
        "build it with gh-ost / pt-online-schema-change",
    ),
    Rule(
        "MY-AUTO-INCREMENT-ADD",
        MY,
        BLOCKING,
        "adding an AUTO_INCREMENT column rebuilds the table with LOCK=SHARED (writes wait)",
        "gh-ost / pt-online-schema-change",
    ),
    Rule(
        "MY-LOCKING-CLAUSE",
        MY,
        BLOCKING,
        "the statement asks for ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE, or for an algorithm "
        "this server cannot use for it (then it fails at once)",
        "state ALGORITHM=INSTANT or INPLACE with LOCK=NONE only where the table of online "
        "DDL allows it",
    ),
    Rule(
        "MY-TABLE-REBUILD",
        MY,
        WARNING,
        "runs INPLACE with LOCK=NONE but rebuilds the table: long on a big table, with a short "
        "exclusive metadata lock at the start and end",
        "run it off-peak under `dbtier migrate run` (lock_wait_timeout bounds the MDL wait); "
        "newer versions do some of these INSTANT (the message names which)",
    ),
    Rule(
        "MY-UNKNOWN-ALTER",
        MY,
        WARNING,
        "dbtier cannot tell which algorithm this ALTER uses",
        "append `, ALGORITHM=INPLACE, LOCK=NONE` so the server refuses rather than blocks",
    ),
    Rule(
        "LINT-UNREADABLE",
        ALL,
        BLOCKING,
        "Alembic could not render this revision offline (it calls the database, e.g. "
        "`op.get_bind()`), so nothing checked what it does",
        "use `op.get_context().dialect.name` instead of `op.get_bind()` and skip side effects "
        "when `context.is_offline_mode()`; or review it and allow LINT-UNREADABLE",
    ),
    # -- allowances --------------------------------------------------------------------
    Rule(
        "ALLOW-INVALID",
        ALL,
        BLOCKING,
        "an allowance line without a reason, or naming no known rule, is not a review",
        "write `# dbtier: allow RULE-ID because <reason>` with a known rule id and a reason",
    ),
    Rule(
        "ALLOW-UNUSED",
        ALL,
        WARNING,
        "an allowance for a rule this revision does not break; it would hide a later change",
        "remove the allowance",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
# Rules an allowance can never waive.
NOT_ALLOWABLE = frozenset({"ALLOW-INVALID"})


def rule(rule_id: str) -> Rule:
    """The rule with this id (a KeyError is a bug: every finding names a known rule)."""
    return RULES[rule_id]


__all__ = ["ALL", "BLOCKING", "MY", "NOT_ALLOWABLE", "PG", "RULES", "WARNING", "Rule", "rule"]
