"""Database users: the master bootstraps, the migrator owns the schema, the app reads and writes.

    facts.py      each engine's statements, one table of facts per engine
    grants.py     the application user and its DML-only grants (run by the migration job)
    bootstrap.py  the master's one job: the database and the owner/migrator
    rotation.py   multi-user (alternating users) rotation, as AWS's hosted function does it
    publish.py    where a new password goes: a Secrets Manager secret or a local file
    local.py      `dbtier up --admin-url`: the same three users on a local server

See docs/security.md for who may do what, and why.
"""

from __future__ import annotations

from dbtier.dbusers.bootstrap import bootstrap_migrator, ensure_database
from dbtier.dbusers.facts import CLONE_SUFFIX, check_name, clone_of
from dbtier.dbusers.grants import GrantReport, ensure_app_user, user_exists
from dbtier.dbusers.publish import FileSink, SecretSink, SecretsManagerSink
from dbtier.dbusers.rotation import rotate_secret, rotate_user

__all__ = [
    "CLONE_SUFFIX",
    "FileSink",
    "GrantReport",
    "SecretSink",
    "SecretsManagerSink",
    "bootstrap_migrator",
    "check_name",
    "clone_of",
    "ensure_app_user",
    "ensure_database",
    "rotate_secret",
    "rotate_user",
    "user_exists",
]
