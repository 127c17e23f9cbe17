"""Study time without a date is today's in the learner's time zone; a learner sets that zone.

The learner is put in a zone whose date differs from UTC's right now (one of
UTC+14 and UTC-11 always does), so a default taken from UTC or from the
server's clock gives the other date and the other report's minutes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from nippo_helpers import People, auth

# UTC+14 and UTC-11 (neither observes DST): at every instant one of them is on another date
# than UTC, and the other zones make the pick the one farthest from its own midnight.
_ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Tongatapu", "Pacific/Honolulu")


def _zone_off_utc_date() -> str:
    """A zone whose date differs from UTC's now, the one farthest from its own midnight."""
    now = dt.datetime.now(dt.UTC)

    def margin(zone: str) -> float:
        local = now.astimezone(ZoneInfo(zone))
        since = dt.timedelta(hours=local.hour, minutes=local.minute).total_seconds()
        return min(since, 86400 - since)

    off = [zone for zone in _ZONES if now.astimezone(ZoneInfo(zone)).date() != now.date()]
    assert off, f"no zone of {_ZONES} is on another date than UTC at {now.isoformat()}"
    return max(off, key=margin)


def _today(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def _report(client: TestClient, token: str, day: dt.date, minutes: int) -> None:
    body = {"date": day.isoformat(), "title": "day", "tasks": [{"title": "t", "minutes": minutes}]}
    response = client.post("/api/v1/reports", json=body, headers=auth(token))
    assert response.status_code == 201, response.text


def test_study_time_defaults_to_today_in_the_learners_zone(
    client: TestClient, people: People
) -> None:
    zone = _zone_off_utc_date()
    changed = client.patch("/api/v1/me", json={"timezone": zone}, headers=auth(people.learner))
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == zone
    learners_day, utc_day = _today(zone), dt.datetime.now(dt.UTC).date()
    assert learners_day != utc_day
    minutes = {learners_day: 30, utc_day: 45}
    for day, value in minutes.items():
        _report(client, people.learner, day, value)

    # The learner, and their mentor (in Asia/Tokyo), both get the learner's day.
    for token in (people.learner, people.mentor):
        before = _today(zone)
        response = client.get(
            f"/api/v1/learners/{people.learner_id}/study-time", headers=auth(token)
        )
        after = _today(zone)
        assert response.status_code == 200, response.text
        body = response.json()
        day = dt.date.fromisoformat(body["date"])
        assert day in {before, after}
        assert body["today_minutes"] == minutes.get(day, 0)
        assert body["week_start"] == (day - dt.timedelta(days=day.weekday())).isoformat()

    # A date given is still the date used.
    given = client.get(
        f"/api/v1/learners/{people.learner_id}/study-time?date={utc_day.isoformat()}",
        headers=auth(people.learner),
    )
    assert (given.json()["date"], given.json()["today_minutes"]) == (utc_day.isoformat(), 45)


def test_study_time_without_a_date_is_scoped_like_with_one(
    client: TestClient, people: People
) -> None:
    path = f"/api/v1/learners/{people.learner_id}/study-time"
    assert client.get(path, headers=auth(people.stranger)).status_code == 404
    assert client.get(path, headers=auth(people.other_learner)).status_code == 404
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth("nippo_not-a-token")).status_code == 401


def test_an_unknown_time_zone_is_refused(client: TestClient, people: People) -> None:
    for zone, status in [
        ("Mars/Olympus_Mons", 422),  # well-formed, unknown to zoneinfo
        ("localtime", 422),  # the machine's zone, not one a learner lives in
        ("../../etc/passwd", 422),  # not a zone name at all (the schema's pattern)
        ("", 422),
        ("A" * 65, 422),
    ]:
        response = client.patch("/api/v1/me", json={"timezone": zone}, headers=auth(people.learner))
        assert response.status_code == status, (zone, response.text)
        assert response.json()["detail"]
    refused = client.patch(
        "/api/v1/me", json={"timezone": "Mars/Olympus_Mons"}, headers=auth(people.learner)
    )
    assert "not an IANA time zone" in refused.json()["detail"]
    assert "Asia/Tokyo" in refused.json()["detail"]  # what to write instead
    unchanged = client.get("/api/v1/me", headers=auth(people.learner))
    assert unchanged.json()["timezone"] == "Asia/Tokyo"  # the default, since the seed is Japanese
    extra = client.patch(
        "/api/v1/me", json={"timezone": "UTC", "role": "mentor"}, headers=auth(people.learner)
    )
    assert extra.status_code == 422
    assert client.patch("/api/v1/me", json={"timezone": "UTC"}).status_code == 401
