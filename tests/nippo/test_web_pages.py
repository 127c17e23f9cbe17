"""The pages' forms and authorization through the ASGI app: the API's checks, errors beside
the field, nothing stored on a refusal, the same 404s as the API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, SEED_ORIGINAL, People, auth
from sqlalchemy.engine import Engine

from dbtier.config import Settings
from nippo.app import create_app
from nippo.web.session import CSRF_FIELD

_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
_REPORT = re.compile(r"^/reports/(\d+)$")


@pytest.fixture
def backend() -> str:
    """SQLite only: the pages call the service functions whose SQL the API's tests run on
    all three engines; the forms and their mapping of errors are engine-free."""
    return "sqlite"


def browser(engine: Engine, token: str, settings: Settings | None = None) -> TestClient:
    """A client signed in through the sign-in form."""
    client = TestClient(create_app(settings, engine=engine))
    answer = client.post(
        "/signin", data={CSRF_FIELD: csrf(client), "token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    return client


def csrf(client: TestClient, path: str = "/signin") -> str:
    match = _TOKEN.search(client.get(path).text)
    assert match is not None, path
    return match.group(1)


def report_form(client: TestClient, **fields: str) -> dict[str, str]:
    """A new report's form: two tasks, the three sections, overridden by `fields`."""
    data = {
        CSRF_FIELD: csrf(client, "/reports/new"),
        "date": "2025-04-24",
        "title": "今日学んだこと",
        "language": "ja",
        "task-0-title": "LT会",
        "task-0-duration": "1h10m",
        "task-0-notes": "- ECS on Fargate\n  - スライド",
        "task-1-title": "ハッカソン",
        "task-1-duration": "4h",
        "task-1-notes": "",
        "task-2-title": "",
        "task-2-duration": "",
        "task-2-notes": "",
        "section-0-kind": "learned",
        "section-0-heading": "わかったこと",
        "section-0-notes": "- パラメータ設計とは",
        "section-1-kind": "felt",
        "section-1-heading": "感じたこと",
        "section-1-notes": "",
    }
    return data | fields


def created(client: TestClient, **fields: str) -> int:
    answer = client.post("/reports/new", data=report_form(client, **fields), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    match = _REPORT.match(answer.headers["location"])
    assert match is not None
    return int(match.group(1))


def test_a_report_form_is_stored_as_the_api_would_store_it(
    engine: Engine, people: People, client: TestClient
) -> None:
    with browser(engine, people.learner) as page:
        report_id = created(page)
        shown = page.get(f"/reports/{report_id}")
    assert shown.status_code == 200 and 'id="study-today">5h 10m<' in shown.text
    stored = client.get(f"/api/v1/reports/{report_id}", headers=auth(people.learner)).json()
    assert [(t["title"], t["minutes"]) for t in stored["tasks"]] == [
        ("LT会", 70),
        ("ハッカソン", 240),
    ]
    assert stored["tasks"][0]["notes"] == [
        {"text": "ECS on Fargate", "children": [{"text": "スライド", "children": []}]}
    ]
    assert [s["kind"] for s in stored["sections"]] == ["learned"]  # the empty one is not written


@pytest.mark.parametrize(
    ("fields", "where", "says"),
    [
        ({"task-1-duration": "4hh"}, "task-1-duration", "is not a duration"),
        ({"title": "x" * 1000}, "title", "at most"),
        ({"task-0-notes": "- a\x00b"}, "task-0-notes", "NUL"),
        ({"date": "2025-02-30"}, "date", "not a calendar date"),
        ({"date": "2999-01-01"}, "date", "in the future"),
        ({"section-0-kind": "rant"}, "section-0-kind", "Input should be"),
    ],
)
def test_a_refused_field_shows_beside_it_and_nothing_is_stored(
    engine: Engine,
    people: People,
    client: TestClient,
    fields: dict[str, str],
    where: str,
    says: str,
) -> None:
    with browser(engine, people.learner) as page:
        answer = page.post("/reports/new", data=report_form(page, **fields))
    assert answer.status_code == 422
    error = re.search(rf'<p class="error" id="{where}-error">([^<]*)</p>', answer.text)
    assert error is not None, answer.text
    assert says in error.group(1)
    assert f'id="{where}" name="{where}" aria-invalid="true"' in answer.text
    every = client.get(
        f"/api/v1/learners/{people.learner_id}/reports?from=2025-01-01&to=2025-12-31",
        headers=auth(people.learner),
    )
    assert every.json() == []


def test_a_learners_page_lists_a_year_and_links_the_year_before(
    engine: Engine, people: People
) -> None:
    with browser(engine, people.learner) as page:
        report_id = created(page)  # 2025-04-24
        recent = page.get(f"/learners/{people.learner_id}").text
        assert re.search(r'href="/learners/\d+\?until=[0-9-]+"', recent)
        assert (
            f'href="/reports/{report_id}"'
            in page.get(f"/learners/{people.learner_id}?until=2025-12-31").text
        )
        assert page.get(f"/learners/{people.learner_id}?until=2025-13-01").status_code == 422


def test_what_a_learner_wrote_is_escaped_on_a_mentors_page(engine: Engine, people: People) -> None:
    with browser(engine, people.learner) as page:
        report_id = created(
            page,
            title="<script>alert(1)</script>",
            **{
                "section-0-body": '<img src=x onerror="alert(2)">\n\n![x](https://example.com/t.png)'
            },
        )
    with browser(engine, people.mentor) as mentor:
        shown = mentor.get(f"/reports/{report_id}").text
    assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown
    assert "<img" not in shown and "&lt;img src=x" in shown
    # A Markdown image is its alt text and address, as text: not fetched, not a link.
    assert '<span class="image">x (https://example.com/t.png)</span>' in shown
    assert 'href="https://example.com/t.png"' not in shown


def test_a_second_report_for_a_date_is_refused_beside_the_date(
    engine: Engine, people: People
) -> None:
    with browser(engine, people.learner) as page:
        created(page)
        again = page.post("/reports/new", data=report_form(page))
    assert again.status_code == 422
    assert re.search(r'id="date-error">[^<]*already exists for 2025-04-24', again.text)


def test_editing_follows_the_apis_rules(engine: Engine, people: People) -> None:
    with browser(engine, people.learner) as page:
        report_id = created(page)
        form = page.get(f"/reports/{report_id}/edit").text
        assert 'value="1h10m"' in form and "- ECS on Fargate\n  - スライド</textarea>" in form
        edited = page.post(
            f"/reports/{report_id}/edit",
            data=report_form(page, **{"task-1-duration": "2h"}),
            follow_redirects=False,
        )
        assert edited.status_code == 303
        assert 'id="study-today">3h 10m<' in page.get(f"/reports/{report_id}").text
    with browser(engine, people.mentor) as mentor:
        assert mentor.get(f"/reports/{report_id}/edit").status_code == 200  # a mentor reads
        refused = mentor.post(f"/reports/{report_id}/edit", data=report_form(mentor))
        assert refused.status_code == 403 and "<html" in refused.text
    with browser(engine, people.other_learner) as other:
        assert other.get(f"/reports/{report_id}").status_code == 404
        assert other.get(f"/reports/{report_id}/edit").status_code == 404
        assert other.post(f"/reports/{report_id}/edit", data=report_form(other)).status_code == 404


def test_import_previews_then_saves_the_seed(
    engine: Engine, people: People, client: TestClient
) -> None:
    seed = SEED_ORIGINAL.read_bytes()
    with browser(engine, people.learner) as page:
        token = csrf(page, "/reports/import")
        preview = page.post(
            "/reports/import/preview",
            data={CSRF_FIELD: token, "date": SEED_DATE, "keep": "true", "markdown": ""},
            files={"file": ("seed.md", seed, "text/markdown")},
        )
        assert preview.status_code == 200
        assert 'id="preview-tasks">6h 10m<' in preview.text
        assert (
            client.get(
                f"/api/v1/learners/{people.learner_id}/reports?from=2025-04-01&to=2025-04-30",
                headers=auth(people.learner),
            ).json()
            == []
        )  # a preview stores nothing
        source = re.search(r'name="source" value="([^"]+)"', preview.text)
        assert source is not None
        fields = {CSRF_FIELD: token, "date": SEED_DATE, "keep": "true", "source": source.group(1)}
        saved = page.post("/reports/import", data=fields, follow_redirects=False)
        assert saved.status_code == 303
        shown = page.get(saved.headers["location"])
        assert 'id="study-today">6h 10m<' in shown.text
        download = page.get(saved.headers["location"] + "/markdown")
        assert download.content == seed  # the uploaded bytes, through preview and save
        assert download.headers["Nippo-Export-Format"] == "as-imported"
        again = page.post("/reports/import", data=fields)
        assert again.status_code == 422 and 'id="date-error"' in again.text
        bad = page.post(
            "/reports/import/preview",
            data={CSRF_FIELD: token, "markdown": "no heading at all"},
        )
        assert bad.status_code == 422 and 'id="markdown-error"' in bad.text


def test_import_warnings_are_shown_and_must_be_accepted(engine: Engine, people: People) -> None:
    text = "# 今日学んだこと\n\n## 今日の感想\n- たのしかった\n"
    with browser(engine, people.learner) as page:
        token = csrf(page, "/reports/import")
        preview = page.post(
            "/reports/import/preview",
            data={CSRF_FIELD: token, "date": "2025-04-20", "markdown": text},
        )
        assert preview.status_code == 200 and 'id="warnings"' in preview.text
        assert "今日の感想" in preview.text and 'name="accept"' in preview.text
        source = re.search(r'name="source" value="([^"]+)"', preview.text)
        assert source is not None
        fields = {CSRF_FIELD: token, "date": "2025-04-20", "source": source.group(1)}
        refused = page.post("/reports/import", data=fields)
        assert refused.status_code == 422 and 'id="markdown-error"' in refused.text
        accepted = page.post(
            "/reports/import", data=fields | {"accept": "true"}, follow_redirects=False
        )
        assert accepted.status_code == 303


def test_feedback_download_and_who_may_do_what(
    engine: Engine, people: People, client: TestClient
) -> None:
    with browser(engine, people.learner) as page:
        report_id = created(page)
        assert (
            page.post(
                f"/reports/{report_id}/feedback",
                data={CSRF_FIELD: csrf(page, "/home"), "body": "me"},
            ).status_code
            == 403
        )
        download = page.get(f"/reports/{report_id}/markdown")
    assert download.headers["content-disposition"] == 'attachment; filename="nippo-2025-04-24.md"'
    exported = client.get(f"/api/v1/reports/{report_id}/markdown", headers=auth(people.learner))
    assert download.content == exported.content
    with browser(engine, people.mentor) as mentor:
        token = csrf(mentor, f"/reports/{report_id}")
        empty = mentor.post(f"/reports/{report_id}/feedback", data={CSRF_FIELD: token, "body": " "})
        assert empty.status_code == 422 and 'id="feedback-error"' in empty.text
        sent = mentor.post(
            f"/reports/{report_id}/feedback",
            data={CSRF_FIELD: token, "body": "よくできました"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
    with browser(engine, people.stranger) as stranger:
        token = csrf(stranger, "/home")
        answer = stranger.post(
            f"/reports/{report_id}/feedback", data={CSRF_FIELD: token, "body": "x"}
        )
        assert answer.status_code == 404
        assert stranger.get(f"/learners/{people.learner_id}").status_code == 404
    with browser(engine, people.learner) as page:
        assert "よくできました" in page.get(f"/reports/{report_id}").text


def test_the_operator_page_is_for_operators_only(engine: Engine, people: People) -> None:
    settings = Settings(operators="bob")
    with browser(engine, people.mentor, settings) as operator:
        page = operator.get("/operator")
        assert page.status_code == 200
        assert 'id="readiness">準備完了<' in page.text and 'id="firings"' in page.text
    with browser(engine, people.learner, settings) as learner:
        assert learner.get("/operator").status_code == 404
