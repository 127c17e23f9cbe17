"""/healthz answers while the process lives; /readyz only when the schema is at the head."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from dbtier.config import Settings
from dbtier.db import make_engine
from nippo.app import create_app
from nippo.migrations import upgrade_to_head
from nippo.service.health import shipped_heads


def test_readyz_before_and_after_migration(database_url: URL) -> None:
    settings = Settings(database_url=database_url.render_as_string(hide_password=False))
    engine = make_engine(settings)
    try:
        with TestClient(create_app(engine=engine)) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            before = client.get("/readyz")
            assert before.status_code == 503
            assert before.json()["revision"] is None
            assert "not migrated" in before.json()["database"]
            upgrade_to_head(database_url)
            after = client.get("/readyz")
            assert after.status_code == 200, after.text
            assert after.json()["revision"] == after.json()["head"] == ",".join(shipped_heads())
    finally:
        engine.dispose()


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"].startswith("unreachable")


def test_openapi_documents_the_api(database_url: URL) -> None:
    settings = Settings(database_url=database_url.render_as_string(hide_password=False))
    with TestClient(create_app(settings)) as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        assert client.get("/api/v1/docs").status_code == 200
    assert {
        "/api/v1/reports",
        "/api/v1/reports/import",
        "/api/v1/reports/{report_id}",
        "/api/v1/reports/{report_id}/markdown",
        "/api/v1/reports/{report_id}/feedback",
        "/api/v1/learners/{learner_id}/reports",
        "/api/v1/learners/{learner_id}/study-time",
        "/api/v1/me",
    } <= set(paths)
    assert "text/markdown" in paths["/api/v1/reports/import"]["post"]["requestBody"]["content"]
