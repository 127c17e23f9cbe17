"""Who sees what: the learner, their mentor, a mentor of nobody, another learner, no token.

Anything a caller may not see answers 404, never 403, so ids do not leak.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ORIGINAL, People, auth, markdown


def _import_seed(client: TestClient, people: People) -> int:
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=SEED_ORIGINAL.read_bytes(),
        headers=markdown(people.learner),
    )
    assert response.status_code == 201, response.text
    report_id: int = response.json()["id"]
    return report_id


def _reads(report_id: int, learner_id: int) -> list[str]:
    return [
        f"/api/v1/reports/{report_id}",
        f"/api/v1/reports/{report_id}/markdown",
        f"/api/v1/reports/{report_id}/feedback",
        f"/api/v1/learners/{learner_id}/reports?from=2025-04-01&to=2025-04-30",
        f"/api/v1/learners/{learner_id}/study-time?date={SEED_DATE}",
    ]


def test_learner_reads_and_writes_own_reports(client: TestClient, people: People) -> None:
    report_id = _import_seed(client, people)
    for url in _reads(report_id, people.learner_id):
        assert client.get(url, headers=auth(people.learner)).status_code == 200, url
    body = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.learner)).json()
    body = {k: body[k] for k in ("date", "title", "language", "tasks_extra")} | {
        "tasks": [{"title": "t", "minutes": 30}],
        "sections": [],
    }
    put = client.put(f"/api/v1/reports/{report_id}", json=body, headers=auth(people.learner))
    assert put.status_code == 200, put.text
    feedback = client.post(
        f"/api/v1/reports/{report_id}/feedback", json={"body": "self"}, headers=auth(people.learner)
    )
    assert feedback.status_code == 403  # the learner can see it; only mentors write feedback
    delete = client.delete(f"/api/v1/reports/{report_id}", headers=auth(people.learner))
    assert delete.status_code == 204
    gone = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.learner))
    assert gone.status_code == 404


def test_mentor_reads_their_learners_reports_and_leaves_feedback(
    client: TestClient, people: People
) -> None:
    report_id = _import_seed(client, people)
    for url in _reads(report_id, people.learner_id):
        assert client.get(url, headers=auth(people.mentor)).status_code == 200, url
    posted = client.post(
        f"/api/v1/reports/{report_id}/feedback",
        json={"body": "RDS のパラメータ設計、良い着眼点です"},
        headers=auth(people.mentor),
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["mentor_name"] == "bob"
    for token in (people.learner, people.mentor):
        listed = client.get(f"/api/v1/reports/{report_id}/feedback", headers=auth(token)).json()
        assert [f["body"] for f in listed] == ["RDS のパラメータ設計、良い着眼点です"]
    # Reading is not writing: the mentor cannot change or delete the report.
    assert (
        client.delete(f"/api/v1/reports/{report_id}", headers=auth(people.mentor)).status_code
        == 403
    )
    me = client.get("/api/v1/me", headers=auth(people.mentor)).json()
    assert me["learners"] == [{"id": people.learner_id, "name": "alice"}]


def test_mentor_of_nobody_and_other_learner_see_nothing(client: TestClient, people: People) -> None:
    report_id = _import_seed(client, people)
    for token in (people.stranger, people.other_learner):
        for url in _reads(report_id, people.learner_id):
            response = client.get(url, headers=auth(token))
            assert response.status_code == 404, (url, response.text)
            assert "not found" in response.json()["detail"]
        writes = [
            client.put(
                f"/api/v1/reports/{report_id}",
                json={"date": SEED_DATE, "title": "x"},
                headers=auth(token),
            ),
            client.delete(f"/api/v1/reports/{report_id}", headers=auth(token)),
            client.post(
                f"/api/v1/reports/{report_id}/feedback", json={"body": "x"}, headers=auth(token)
            ),
        ]
        assert [w.status_code for w in writes] == [404, 404, 404]
    # A missing id and a hidden one answer alike.
    missing = client.get("/api/v1/reports/999999", headers=auth(people.stranger))
    hidden = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.stranger))
    assert (missing.status_code, hidden.status_code) == (404, 404)
    # The report is still there and unchanged for its learner.
    kept = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.learner)).json()
    assert len(kept["tasks"]) == 3


def test_no_token_or_unknown_token_is_401(client: TestClient, people: People) -> None:
    report_id = _import_seed(client, people)
    for headers in ({}, auth("nippo_not-a-real-token"), {"Authorization": "Basic abc"}):
        for url in [*_reads(report_id, people.learner_id), "/api/v1/me"]:
            response = client.get(url, headers=headers)
            assert response.status_code == 401, (url, headers, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
        imported = client.post(
            f"/api/v1/reports/import?date={SEED_DATE}",
            content=SEED_ORIGINAL.read_bytes(),
            headers=headers | {"Content-Type": "text/markdown"},
        )
        assert imported.status_code == 401


def test_mentor_cannot_write_reports(client: TestClient, people: People) -> None:
    created = client.post(
        "/api/v1/reports",
        json={"date": SEED_DATE, "title": "mentor's own"},
        headers=auth(people.mentor),
    )
    assert created.status_code == 403
    assert "only learners write reports" in created.json()["detail"]


def test_a_mentor_sees_only_their_own_learners(client: TestClient, people: People) -> None:
    """The mentor of one learner sees nothing of another learner who has a mentor too.

    Regression: the mentorship test in `nippo.auth.sees_learner` is a subquery two
    levels deep; uncorrelated, it asked "does this mentor mentor anyone who has a
    report" instead of "this report's learner", so every mentor with one learner
    saw every learner's reports, feedback and study time.
    """
    _import_seed(client, people)  # the mentor's own learner has reports
    other = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}&keep_declared_totals=true",
        content=SEED_ORIGINAL.read_bytes(),
        headers=markdown(people.other_learner),
    )
    assert other.status_code == 201, other.text
    other_report = int(other.json()["id"])
    for url in _reads(other_report, people.other_learner_id):
        response = client.get(url, headers=auth(people.mentor))
        assert response.status_code == 404, (url, response.text)
    feedback = client.post(
        f"/api/v1/reports/{other_report}/feedback", json={"body": "x"}, headers=auth(people.mentor)
    )
    assert feedback.status_code == 404, feedback.text
    # ... while their own learner's reports stay readable.
    own = client.get(
        f"/api/v1/learners/{people.learner_id}/study-time?date={SEED_DATE}",
        headers=auth(people.mentor),
    )
    assert own.status_code == 200, own.text
