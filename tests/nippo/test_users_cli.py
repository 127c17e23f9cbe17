"""`dbtier users create`: migrates if needed, prints the token once, keeps only its hash."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from nippo_helpers import auth
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from dbtier.cli import app
from dbtier.config import Settings
from nippo.app import create_app
from nippo.auth import hash_token
from nippo.models import Mentorship, User


def _create(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["users", "create", "--database-url", url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_create_learner_and_mentor_then_use_the_tokens(database_url: URL) -> None:
    url = database_url.render_as_string(hide_password=False)
    code, learner_token, err = _create(url, "--name", "alice", "--role", "learner")
    assert code == 0, err
    learner_token = learner_token.strip()
    assert learner_token.startswith("nippo_") and "created learner 'alice'" in err
    code, mentor_token, err = _create(
        url, "--name", "bob", "--role", "mentor", "--mentor-of", "alice"
    )
    assert code == 0, err
    mentor_token = mentor_token.strip()
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            users = {u.name: u for u in connection.execute(select(User.name, User.token_hash))}
            assert users["alice"].token_hash == hash_token(learner_token)
            stored = " ".join(str(v) for row in connection.execute(select(User)) for v in row)
            assert learner_token not in stored and mentor_token not in stored
            assert connection.scalar(select(func.count()).select_from(Mentorship)) == 1
    finally:
        engine.dispose()
    with TestClient(create_app(Settings(database_url=url))) as client:
        me = client.get("/api/v1/me", headers=auth(mentor_token)).json()
        assert me["role"] == "mentor" and [lr["name"] for lr in me["learners"]] == ["alice"]
        assert client.get("/api/v1/me", headers=auth(learner_token)).json()["timezone"] == (
            "Asia/Tokyo"
        )


def test_bad_input_exits_2_and_writes_nothing(database_url: URL) -> None:
    url = database_url.render_as_string(hide_password=False)
    assert _create(url, "--name", "alice", "--role", "learner")[0] == 0
    cases = [
        (["--name", "bob", "--role", "mentor", "--mentor-of", "nobody"], "no learner named nobody"),
        (["--name", "bob", "--role", "teacher"], "--role 'teacher'"),
        (["--name", "alice", "--role", "learner"], "already exists"),
        (["--name", "eve", "--role", "learner", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--name", "eve", "--role", "learner", "--mentor-of", "alice"], "--mentor-of is for"),
    ]
    for args, named in cases:
        code, out, err = _create(url, *args)
        assert (code, out) == (2, ""), (args, err)
        assert named in err, (args, err)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(User)) == 1
    finally:
        engine.dispose()


def test_default_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["users", "create", "--data-dir", str(tmp_path), "--name", "alice", "--role", "learner"],
        env={"DBTIER_DATABASE_URL": ""},
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "dbtier.sqlite3").exists()
