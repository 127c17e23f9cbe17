"""The benchmark's revisions, one file per (migration, way); each revises nippo's head.

The harness copies one file at a time into a version directory of its own,
so each run has exactly one pending revision on top of nippo's schema.
`NIPPO_HEAD` is read from nippo's own migrations, so a new nippo revision
moves the benchmark's base with it.
"""

from alembic.script import ScriptDirectory

from nippo.migrations import SCRIPT_LOCATION

_head = ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
if _head is None:
    raise RuntimeError(f"nippo's migrations under {SCRIPT_LOCATION} have no single head")
NIPPO_HEAD: str = _head
