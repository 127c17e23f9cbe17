"""Failed-token throttling: N bad tokens from one address in a minute → 429 with Retry-After."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nippo_helpers import People, auth
from sqlalchemy.engine import Engine

from dbtier.config import Settings
from nippo.api.throttle import FailedTokenThrottle, client_address
from nippo.app import create_app

ALB = [ipaddress.ip_network("10.0.0.0/16")]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_retry_after_counts_down() -> None:
    clock = Clock()
    throttle = FailedTokenThrottle(3, clock=clock)
    for _ in range(2):
        throttle.record_failure("a")
        clock.now += 10
    assert throttle.retry_after("a") is None
    throttle.record_failure("a")  # third failure at t=20 s; the first was at t=0
    assert throttle.retry_after("a") == 40
    assert throttle.retry_after("b") is None
    clock.now += 40.5  # the first failure leaves the window
    assert throttle.retry_after("a") is None


def test_memory_is_bounded_to_the_most_recent_addresses() -> None:
    throttle = FailedTokenThrottle(1, max_clients=2, clock=Clock())
    for client in ("a", "b", "c"):
        throttle.record_failure(client)
    assert throttle.retry_after("a") is None  # dropped, least recently failed
    assert throttle.retry_after("c") == 60


def _scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"client": (peer, 1234), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", [], "203.0.113.9"),  # proxy not trusted: the peer
        ("203.0.113.9", "1.2.3.4", ALB, "203.0.113.9"),  # peer is not a trusted proxy
        ("10.0.1.5", "198.51.100.7", ALB, "198.51.100.7"),  # behind the ALB
        ("10.0.1.5", "6.6.6.6, 198.51.100.7", ALB, "198.51.100.7"),  # spoofed left entry
        ("10.0.1.5", "198.51.100.7, 10.0.2.2", ALB, "198.51.100.7"),  # two trusted hops
        ("10.0.1.5", None, ALB, "10.0.1.5"),  # no header
    ],
)
def test_client_address_believes_only_trusted_proxies(
    peer: str, forwarded: str | None, trusted: list[Any], expected: str
) -> None:
    assert client_address(_scope(peer, forwarded), trusted) == expected


def test_settings_refuse_a_bad_trusted_proxy() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/99"):
        Settings(trusted_proxies="10.0.0.0/16, 10.0.0.0/99")
    assert Settings(trusted_proxies="10.0.0.0/16,fd00::/8").trusted_networks[1].version == 6


def test_too_many_failed_tokens_get_429_with_retry_after(engine: Engine, people: People) -> None:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, auth_failures_per_minute=5), engine=engine)
    with TestClient(app) as client:
        for attempt in range(5):
            response = client.get("/api/v1/me", headers=auth(f"guess-{attempt}"))
            assert response.status_code == 401
        blocked = client.get("/api/v1/me", headers=auth("guess-6"))
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["Retry-After"]) <= 60
        assert "more than 5 failed bearer tokens" in blocked.json()["detail"]
        # The block is per address and for requests that carry a token only.
        assert client.get("/api/v1/me", headers=auth(people.learner)).status_code == 429
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/me").status_code == 401  # no token: not throttled
    with TestClient(app, client=("198.51.100.20", 5000)) as other:
        assert other.get("/api/v1/me", headers=auth(people.learner)).status_code == 200


def test_valid_tokens_are_never_charged(engine: Engine, people: People) -> None:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, auth_failures_per_minute=2), engine=engine)
    with TestClient(app) as client:
        for _ in range(10):
            assert client.get("/api/v1/me", headers=auth(people.learner)).status_code == 200
