"""The Markdown import has the JSON API's limits, names the line, never stalls the loop."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient
from nippo_helpers import SEED_DATE, People, markdown
from sqlalchemy.engine import Engine

from dbtier.testing.unhurried import unhurried_settings
from nippo.app import create_app
from nippo.durations import format_duration
from nippo.limits import (
    MAX_BODY_BYTES,
    MAX_LINE_CHARS,
    MAX_NOTE_DEPTH,
    MAX_NOTES,
    MAX_NOTES_PER_LIST,
    MAX_TASKS,
)
from nippo.markdown import MarkdownError, parse_report

HEAD = "# 今日学んだこと\n\n## 取り組んだ課題一覧\n"


def _expect(text: str, line: int, named: str) -> None:
    with pytest.raises(MarkdownError) as caught:
        parse_report(text)
    assert caught.value.line == line, caught.value
    assert named in str(caught.value)


def test_too_many_tasks_names_the_first_one_over() -> None:
    tasks = "".join(f"- task {i}（1m）\n" for i in range(MAX_TASKS + 1))
    _expect(HEAD + tasks, 4 + MAX_TASKS, f"at most {MAX_TASKS} tasks")


def test_too_many_bullets_in_one_list() -> None:
    notes = "".join(f"- note {i}\n" for i in range(MAX_NOTES_PER_LIST + 1))
    _expect(HEAD + "- t（1m）\n\n## わかったこと\n" + notes, 7 + MAX_NOTES_PER_LIST, "one list")


def test_nesting_deeper_than_the_limit() -> None:
    nested = "".join("  " * depth + "- n\n" for depth in range(MAX_NOTE_DEPTH + 1))
    _expect(HEAD + "- t（1m）\n\n## わかったこと\n" + nested, 7 + MAX_NOTE_DEPTH, "nest deeper")


def test_a_line_over_the_limit_is_refused_before_parsing() -> None:
    _expect(
        HEAD + "- t（1m）\n" + "x" * (MAX_LINE_CHARS + 1) + "\n", 5, f"limit is {MAX_LINE_CHARS}"
    )


def test_too_many_bullets_in_the_document_is_refused_before_parsing() -> None:
    lists = "".join(
        f"\n## other {n}\n" + "- b\n" * MAX_NOTES_PER_LIST for n in range(MAX_NOTES // 100)
    )
    with pytest.raises(MarkdownError, match="bullets"):
        parse_report(HEAD + "- t（1m）\n" + lists)


@pytest.mark.parametrize(
    ("char", "named"),
    [("\x00", "U+0000 (NUL)"), ("\x1b", "U+001B"), ("\x0b", "U+000B"), ("\x0c", "U+000C")],
)
def test_unstorable_characters_name_the_line(char: str, named: str) -> None:
    _expect(HEAD + f"- t（1m）\n    - a{char}b\n", 5, named)


def test_tab_and_crlf_are_accepted() -> None:
    doc = parse_report(HEAD.replace("\n", "\r\n") + "- t\tx（1m）\r\n")
    assert doc.tasks[0].title == "t\tx"


def test_the_import_refuses_a_nul_with_422_naming_the_line(
    client: TestClient, people: People
) -> None:
    response = client.post(
        f"/api/v1/reports/import?date={SEED_DATE}",
        content=(HEAD + "- t\x00（1m）\n").encode(),
        headers=markdown(people.learner),
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("line 4: U+0000 (NUL)")


def largest_import() -> str:
    """A document at the limits: every task, every bullet, and verbatim text up to 1 MiB."""
    tasks = "".join(f"- task {i}（1m）\n" for i in range(MAX_TASKS))
    lists = "".join(
        f"\n## notes {n}\n" + "".join(f"- bullet {n}.{i}\n" for i in range(100))
        for n in range(MAX_NOTES // 100)
    )
    # The tasks' sum as study time, so there is nothing to warn of; a line, not a bullet,
    # since the bullets are at their limit.
    study = f"\n## 学習時間\nToday: {format_duration(MAX_TASKS)}\n"
    text = HEAD + tasks + study + lists
    filler_line = "x" * 1000 + "\n"
    room = MAX_BODY_BYTES - len(text.encode()) - 64
    per_section = 150_000 // len(filler_line)
    sections: list[str] = []
    while room > len(filler_line) * 2:
        lines = min(per_section, room // len(filler_line) - 1)
        sections.append(f"\n## verbatim {len(sections)}\n" + filler_line * lines)
        room -= len(sections[-1].encode())
    return text + "".join(sections)


@pytest.mark.slow
def test_healthz_answers_while_the_largest_accepted_import_runs(
    engine: Engine, people: People
) -> None:
    body = largest_import().encode()
    assert MAX_BODY_BYTES - 4096 < len(body) <= MAX_BODY_BYTES

    async def scenario() -> tuple[int, int, int]:
        # The subject is the event loop staying free, not the request deadline.
        transport = httpx.ASGITransport(app=create_app(unhurried_settings(), engine=engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            done = asyncio.Event()
            answered_during = 0

            async def poll() -> None:
                nonlocal answered_during
                while not done.is_set():
                    response = await client.get("/healthz")
                    assert response.status_code == 200
                    answered_during += 0 if done.is_set() else 1
                    await asyncio.sleep(0.01)

            poller = asyncio.create_task(poll())
            await asyncio.sleep(0)
            url = f"/api/v1/reports/import?date={SEED_DATE}"
            response = await client.post(url, content=body, headers=markdown(people.learner))
            done.set()
            await poller
            notes = sum(len(s["notes"]) for s in response.json().get("sections", []))
            return response.status_code, answered_during, notes

    status, answered_during, notes = asyncio.run(scenario())
    assert status == 201
    assert notes == MAX_NOTES
    # The import ran in a worker thread: the loop kept answering /healthz meanwhile.
    assert answered_during >= 3
