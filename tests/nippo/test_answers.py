"""`json_answer` writes what pydantic writes for each model, byte for byte."""

from __future__ import annotations

import datetime as dt

from nippo.api.answers import json_answer
from nippo.schemas import FeedbackOut, StudyTimeOut

UTC = dt.UTC


def _feedback(n: int) -> FeedbackOut:
    return FeedbackOut(
        id=n,
        report_id=7,
        mentor_id=2,
        mentor_name="メンター",
        body='good work, "quoted" ✓\nnext line',
        created_at=dt.datetime(2026, 11, 30, 11, 50, n, tzinfo=UTC),
    )


def test_a_list_is_the_models_own_json_joined() -> None:
    items = [_feedback(n) for n in range(3)]
    answer = json_answer(items)
    expected = "[" + ",".join(item.model_dump_json() for item in items) + "]"
    assert answer.body == expected.encode()
    assert answer.media_type == "application/json"
    assert json_answer([]).body == b"[]"


def test_a_model_is_its_own_json() -> None:
    value = StudyTimeOut(
        learner_id=1,
        date=dt.date(2026, 11, 29),
        week_start=dt.date(2026, 11, 23),
        today_minutes=135,
        week_minutes=945,
        total_minutes=49275,
    )
    answer = json_answer(value, status_code=201)
    assert answer.body == value.model_dump_json().encode()
    assert answer.status_code == 201
