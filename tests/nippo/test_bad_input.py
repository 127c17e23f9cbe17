"""Bad input gets a 4xx that names the problem, and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ORIGINAL, People, auth, markdown
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from nippo.db import Base
from nippo.service.limits import MAX_BODY_BYTES


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def unchanged(engine: Engine, people: People) -> Iterator[None]:
    """Fail when the test changed any row count."""
    before = _row_counts(engine)
    yield
    assert _row_counts(engine) == before


SEED = SEED_ORIGINAL.read_text(encoding="utf-8")
MARKDOWN_CASES = {
    "no title": ("just a line of text\n", "line 1"),
    "duration 4hh": (SEED.replace("ハッカソン(4h)", "ハッカソン(4hh)"), "4hh"),
    "today not the sum": (SEED.replace("Today: 6h 10m", "Today: 6h"), "6h 10m"),
    "study time out of order": (
        SEED.replace("week : 19h 40m", "week : 99h").replace("Total: 31h 25m", "Total: 40h"),
        "more than total",
    ),
}


@pytest.mark.parametrize("case", list(MARKDOWN_CASES))
def test_bad_markdown_is_422_and_writes_nothing(
    client: TestClient, people: People, unchanged: None, case: str
) -> None:
    text, named = MARKDOWN_CASES[case]
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=text.encode("utf-8"),
        headers=markdown(people.learner),
    )
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]


def test_today_mismatch_names_both_figures(client: TestClient, people: People) -> None:
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=SEED.replace("Today: 6h 10m", "Today: 5h").encode("utf-8"),
        headers=markdown(people.learner),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "5h" in detail and "6h 10m" in detail and "1h10m + 1h + 4h" in detail


def test_body_over_one_mebibyte_is_413(client: TestClient, people: People, unchanged: None) -> None:
    huge = SEED + "\n## その他\n" + "x" * MAX_BODY_BYTES
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=huge.encode("utf-8"),
        headers=markdown(people.learner),
    )
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in response.json()["detail"]
    body = {"date": SEED_DATE, "title": "x", "tasks_extra": "y" * MAX_BODY_BYTES}
    assert (
        client.post("/api/v1/reports", json=body, headers=auth(people.learner)).status_code == 413
    )


def test_chunked_body_over_the_limit_is_413(
    client: TestClient, people: People, unchanged: None
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield SEED.encode("utf-8")
        for _ in range(20):
            yield b"x" * (64 * 1024)

    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=chunks(),
        headers=markdown(people.learner),
    )
    assert response.status_code == 413


def test_unknown_json_fields_are_422(client: TestClient, people: People, unchanged: None) -> None:
    body = {"date": SEED_DATE, "title": "x", "mood": "great"}
    response = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["loc"] == ["body", "mood"] and error["type"] == "extra_forbidden"
    nested = {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": 5, "h": 1}]}
    response = client.post("/api/v1/reports", json=nested, headers=auth(people.learner))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "tasks", 0, "h"]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/v1/reports/import?date=1969-12-31", "1969-12-31 is out of range"),
        ("/api/v1/reports/import?date=2999-01-01", "in the future"),
        ("/api/v1/reports/import?date=2025-02-30", "date"),
    ],
)
def test_import_date_out_of_range_is_422(
    client: TestClient, people: People, unchanged: None, url: str, named: str
) -> None:
    response = client.post(url, content=SEED.encode("utf-8"), headers=markdown(people.learner))
    assert response.status_code == 422, response.text
    assert named in response.text


def test_query_dates_out_of_range_are_422(client: TestClient, people: People) -> None:
    learner = f"/api/v1/learners/{people.learner_id}"
    cases = {
        f"{learner}/study-time?date=3000-01-01": "3000-01-01 is out of range",
        f"{learner}/reports?from=2025-05-01&to=2025-04-01": "is after to",
        f"{learner}/reports?from=2020-01-01&to=2025-04-01": "more than 366 days",
        f"{learner}/reports?from=2025-04-01": "to",
        "/api/v1/reports/99999999999": "less than or equal to 2147483647",
    }
    for url, named in cases.items():
        response = client.get(url, headers=auth(people.learner))
        assert response.status_code == 422, (url, response.text)
        assert named in response.text, (url, response.text)


def test_json_limits_are_422(client: TestClient, people: People, unchanged: None) -> None:
    cases = [
        {"date": SEED_DATE, "title": ""},
        {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": -1}]},
        {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": 1441}]},
        {"date": "1900-01-01", "title": "x"},
        {"date": SEED_DATE, "title": "x", "sections": [{"kind": "mood", "heading": "h"}]},
    ]
    for body in cases:
        response = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
        assert response.status_code == 422, (body, response.text)


def test_not_markdown_or_not_utf8_is_refused(
    client: TestClient, people: People, unchanged: None
) -> None:
    url = f"/api/v1/reports/import?date={SEED_DATE}"
    as_json = client.post(url, json={"text": SEED}, headers=auth(people.learner))
    assert as_json.status_code == 415
    latin1 = client.post(
        url, content="# caf\xe9\n".encode("latin-1"), headers=markdown(people.learner)
    )
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"]


def test_second_report_for_a_date_is_409(client: TestClient, people: People) -> None:
    body = {"date": SEED_DATE, "title": "first"}
    first = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
    assert first.status_code == 201
    second = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
    assert second.status_code == 409
    assert f"report {first.json()['id']} already exists for {SEED_DATE}" in second.json()["detail"]


def test_lax_coercions_are_refused(client: TestClient, people: People, unchanged: None) -> None:
    bodies = [
        {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": False}]},
        {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": 5.0}]},
        {"date": SEED_DATE, "title": "x", "tasks": [{"title": "t", "minutes": "5"}]},
        {"date": 0, "title": "x"},
        {"date": f"{SEED_DATE}T00:00:00", "title": "x"},
        {"date": SEED_DATE, "title": 5},
    ]
    for body in bodies:
        response = client.post("/api/v1/reports", json=body, headers=auth(people.learner))
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"], body
    learner = f"/api/v1/learners/{people.learner_id}"
    for url in (
        f"{learner}/study-time?date=0",
        f"{learner}/study-time?date=20250425",
        f"{learner}/reports?from=0&to=1",
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=yes",
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=1",
    ):
        response = client.request(
            "POST" if "import" in url else "GET",
            url,
            content=SEED.encode("utf-8") if "import" in url else None,
            headers=markdown(people.learner),
        )
        assert response.status_code == 422, (url, response.text)


def test_the_openapi_states_the_limits_and_one_problem_schema(client: TestClient) -> None:
    openapi = client.get("/api/v1/openapi.json").json()
    schemas = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["properties"]["detail"]["type"] == "string"
    task = schemas["TaskBody"]["properties"]
    assert (task["minutes"]["minimum"], task["minutes"]["maximum"]) == (0, 1440)
    assert schemas["ReportBody"]["properties"]["tasks"]["maxItems"] == 100
    assert schemas["ReportBody"]["properties"]["date"]["pattern"].startswith("^(19[7-9]")
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")) and (path, status) != ("/readyz", "503"):
                    schema = answer["content"]["application/json"]["schema"]
                    where = (method, path, status)
                    assert schema == {"$ref": "#/components/schemas/Problem"}, where
