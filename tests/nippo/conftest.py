"""Fixtures for the reference service: a migrated database, users with tokens, an API client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import People
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.testing.unhurried import unhurried_settings
from nippo.app import create_app
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user


@pytest.fixture
def migrated_url(database_url: URL) -> URL:
    """A fresh database at the Alembic head."""
    upgrade_to_head(database_url)
    return database_url


@pytest.fixture
def engine(migrated_url: URL) -> Iterator[Engine]:
    """An engine on the migrated database, built as the service builds it."""
    engine = make_engine(Settings(database_url=migrated_url.render_as_string(hide_password=False)))
    yield engine
    engine.dispose()


@pytest.fixture
def people(engine: Engine) -> People:
    """alice (learner), bob (alice's mentor), carol (mentor of nobody), dave (learner)."""
    with Session(engine) as session:
        alice = create_user(session, "alice", "learner")
        dave = create_user(session, "dave", "learner", timezone="Europe/Paris")
        bob = create_user(session, "bob", "mentor", mentor_of=["alice"])
        carol = create_user(session, "carol", "mentor")
    return People(alice.token, alice.id, bob.token, bob.id, carol.token, dave.token, dave.id)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The API on the migrated database, its deadlines beyond a loaded machine's reach."""
    with TestClient(create_app(unhurried_settings(), engine=engine)) as client:
        yield client
