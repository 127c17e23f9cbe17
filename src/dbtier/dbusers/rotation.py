"""Multi-user (alternating users) rotation, as AWS's hosted rotation function does it.

The secret names one of two users, `app` or `app_clone`. A rotation never
changes the password of the user the service is using now:

1. create a new password for the *other* user (createSecret);
2. with the master's connection, create that user if it does not exist yet,
   with the same rights (MySQL/MariaDB: the current user's grants copied;
   PostgreSQL: membership in the application role), or else set its password
   (setSecret);
3. log in as it (testSecret);
4. make the secret name it (finishSecret).

Connections the service already holds stay logged in as the previous user,
whose password still works until the next rotation; a connection opened with
the cached, now outdated credentials is refused only after that next
rotation, and `dbtier.db` then re-reads the secret once. No request fails.
`rotate_secret` is the local profile's rotation; on AWS the hosted function
(`SecretsManagerRDS{MySQL,PostgreSQL}RotationMultiUser`) does the same steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from dbtier.dbusers.facts import base_of, clone_of, facts_for
from dbtier.dbusers.grants import Runner, new_password, set_password, user_exists
from dbtier.dbusers.publish import SecretSink
from dbtier.secrets import DatabaseCredentials, SecretSource


def rotate_user(admin: Connection, current: DatabaseCredentials) -> DatabaseCredentials:
    """Steps 1-2: the other user of the pair, with a new password and the same rights."""
    facts = facts_for(admin)
    pending = clone_of(current.username)
    password = new_password()
    if user_exists(admin, pending):
        set_password(admin, pending, password)
        return dataclasses.replace(current, username=pending, password=password)
    run = Runner(admin, facts)
    run(facts.create_user, user=facts.user(pending), password=password)
    if facts.clone_member is not None:
        app = facts.user(base_of(current.username))
        run(facts.clone_member, user=app, member=facts.user(pending))
    else:
        for row in admin.execute(text(f"SHOW GRANTS FOR {facts.user(current.username)}")):
            grant = str(row[0]).split(" TO ", 1)[0]
            if not grant.startswith("GRANT USAGE ON *.*"):
                run.statement(f"{grant} TO {facts.user(pending)}")
    admin.commit()
    return dataclasses.replace(current, username=pending, password=password)


def check_login(credentials: DatabaseCredentials, **connect_args: Any) -> None:
    """Step 3: connect as the new user and run a query; raises when refused."""
    engine = create_engine(credentials.url(), connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def rotate_secret(
    admin: Connection,
    source: SecretSource,
    sink: SecretSink,
    **connect_args: Any,
) -> DatabaseCredentials:
    """All four steps: read the secret, rotate to the other user, test it, switch the secret."""
    data = source.fetch()
    current = DatabaseCredentials.from_secret(data, where=source.description)
    pending = rotate_user(admin, current)
    check_login(pending, **connect_args)
    sink.publish({**data, "username": pending.username, "password": pending.password})
    return pending


__all__ = ["check_login", "rotate_secret", "rotate_user"]
