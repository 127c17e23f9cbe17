"""The pages' session, CSRF protection and authorization, through the ASGI app (no browser)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from nippo_helpers import People, auth
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from dbtier.config import Settings
from nippo.app import create_app
from nippo.web.session import CSRF_FIELD, SESSION_COOKIE

_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


@pytest.fixture
def backend() -> str:
    """SQLite only: the pages call the service functions whose SQL runs on all three engines
    in the API's tests; what is tested here (session, CSRF, pages) is engine-free."""
    return "sqlite"


def csrf(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token a page's forms carry."""
    match = _TOKEN.search(client.get(path).text)
    assert match is not None
    return match.group(1)


def signed_in(client: TestClient, token: str) -> TestClient:
    """The client after signing in through the form."""
    answer = client.post(
        "/signin", data={CSRF_FIELD: csrf(client), "token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"
    return client


def test_the_session_cookie_is_httponly_samesite_and_secure_only_over_https(
    engine: Engine,
) -> None:
    app = create_app(engine=engine)
    with TestClient(app) as plain, TestClient(app, base_url="https://testserver") as tls:
        cookies = [c.get("/signin").headers["set-cookie"] for c in (plain, tls)]
    for cookie in cookies:
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookies[0].lower()
    assert "secure" in cookies[1].lower()


def test_the_api_sets_no_session_cookie(client: TestClient, people: People) -> None:
    answer = client.get("/api/v1/me", headers=auth(people.learner))
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers


def test_sign_in_leads_a_learner_home_and_a_mentor_to_their_learners(
    client: TestClient, people: People, engine: Engine
) -> None:
    signed_in(client, people.learner)
    home = client.get("/home", follow_redirects=False)
    assert home.headers["location"] == f"/learners/{people.learner_id}"
    page = client.get(home.headers["location"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="study-today"' in page.text
    with TestClient(create_app(engine=engine)) as mentor:
        signed_in(mentor, people.mentor)
        assert mentor.get("/home", follow_redirects=False).headers["location"] == "/learners"
        assert f'href="/learners/{people.learner_id}"' in mentor.get("/learners").text


def test_a_wrong_token_is_refused_and_counted_like_the_apis(engine: Engine) -> None:
    app = create_app(Settings(auth_failures_per_minute=2), engine=engine)
    with TestClient(app) as client:
        token = csrf(client)
        answers = [
            client.post("/signin", data={CSRF_FIELD: token, "token": "nippo_wrong"})
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert "set-cookie" not in answers[0].headers or "caller" not in answers[0].text


def test_pages_need_a_session(client: TestClient, people: People) -> None:
    for path in ("/", "/home", f"/learners/{people.learner_id}", "/learners"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/signin"


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, people: People) -> None:
    csrf(client)
    for data in ({"token": people.learner}, {"token": people.learner, CSRF_FIELD: "forged"}):
        answer = client.post("/signin", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"]
        assert "CSRF" in answer.text
    assert client.get("/home", follow_redirects=False).headers["location"] == "/signin"


def test_a_token_from_another_session_is_refused(
    client: TestClient, people: People, engine: Engine
) -> None:
    with TestClient(create_app(engine=engine)) as other:
        foreign = csrf(other)
    csrf(client)
    answer = client.post("/signin", data={CSRF_FIELD: foreign, "token": people.learner})
    assert answer.status_code == 403


def test_sign_out_ends_the_session_and_needs_the_token(client: TestClient, people: People) -> None:
    signed_in(client, people.learner)
    assert client.post("/signout", data={}).status_code == 403
    assert client.get("/home", follow_redirects=False).status_code == 303
    assert client.get("/home", follow_redirects=False).headers["location"] != "/signin"
    out = client.post("/signout", data={CSRF_FIELD: csrf(client, "/home")}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert client.get("/home", follow_redirects=False).headers["location"] == "/signin"


def test_a_learner_cannot_open_another_learners_page(client: TestClient, people: People) -> None:
    signed_in(client, people.learner)
    page = client.get(f"/learners/{people.other_learner_id}")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    api = client.get(
        f"/api/v1/learners/{people.other_learner_id}/reports?from=2025-01-01&to=2025-01-31",
        headers=auth(people.learner),
    )
    assert (
        api.status_code == 404
        and api.json()["detail"] == f"learner {people.other_learner_id} not found"
    )


def test_unknown_paths_are_pages_and_the_api_keeps_problem_bodies(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "<html" in page.text
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found", "errors": []}


def test_a_tampered_session_cookie_is_no_session(client: TestClient, people: People) -> None:
    signed_in(client, people.learner)
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert client.get("/home", follow_redirects=False).headers["location"] == "/signin"


def test_the_language_switch_keeps_english(client: TestClient, people: People) -> None:
    signed_in(client, people.learner)
    page = client.get(f"/learners/{people.learner_id}")
    assert '<html lang="ja">' in page.text and "学習時間" in page.text
    answer = client.post(
        "/language",
        data={CSRF_FIELD: csrf(client, "/home"), "lang": "en", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"
    page = client.get(f"/learners/{people.learner_id}")
    assert '<html lang="en">' in page.text and "Study time" in page.text


def _session_cookie(secret: str, data: dict[str, str]) -> str:
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(secret).sign(payload).decode()


def test_a_database_fault_gives_the_503_page_with_retry_after() -> None:
    secret = "test-secret"
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        retry_after=7,
        session_secret=SecretStr(secret),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.cookies.set(SESSION_COOKIE, _session_cookie(secret, {"caller": "0" * 64}))
        page = client.get("/home")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "7"
    assert "text/html" in page.headers["content-type"] and "127.0.0.1" not in page.text


def test_refusals_before_any_route_are_pages_too(client: TestClient) -> None:
    huge = client.post(
        "/signin", content=b"x" * 10, headers={"Content-Length": str(2 * 1024 * 1024)}
    )
    assert huge.status_code == 413 and "<html" in huge.text
    assert "larger than" in huge.text
    control = client.get("/signin?next=%01")
    assert control.status_code == 422 and "<html" in control.text
    api = client.get("/api/v1/me?x=%01")
    assert api.status_code == 422 and api.json()["errors"][0]["type"] == "unstorable_character"
