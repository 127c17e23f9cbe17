"""The browser suite's fixtures: nippo served for real, Debian's Chromium driven by Playwright.

The app runs in its own process on uvicorn (a socket bound to port 0,
`nippo.faultload.Served`) on a SQLite file; the browser is /usr/bin/chromium
(Debian's package, never a downloaded build). Where Chromium is absent the
suite skips with the reason, except in CI (`CI` or DBTIER_REQUIRE_DB_SERVERS=1
set), where it fails instead.

Screenshots go to pytest's temporary directory, or to DBTIER_SCREENSHOTS
(`DBTIER_SCREENSHOTS=docs/screenshots` refreshes the committed ones).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session
from web_helpers import CHROMIUM, FLAGS, Site

from dbtier.config import Settings
from dbtier.db import make_engine
from nippo.faultload import Served
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

IN_CI = bool(os.environ.get("CI")) or os.environ.get("DBTIER_REQUIRE_DB_SERVERS") == "1"
SESSION_SECRET = "browser-suite-session-key-not-a-real-secret"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)"
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the browser suite")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """nippo on uvicorn with alice and dave (learners), erin (learner), bob (alice's
    mentor) and olga (a mentor named as operator)."""
    _require_chromium()
    root = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{root / 'nippo.sqlite3'}"
    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url))
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    try:
        with Session(engine) as session:
            for name, role, mentor_of in [
                ("alice", "learner", []),
                ("dave", "learner", []),
                ("erin", "learner", []),
                ("bob", "mentor", ["alice"]),
                ("olga", "mentor", []),
            ]:
                user = create_user(session, name, role, mentor_of=mentor_of)
                tokens[name], ids[name] = user.token, user.id
    finally:
        engine.dispose()
    settings = Settings(
        database_url=url,
        session_secret=SecretStr(SESSION_SECRET),
        operators="olga",
        migration_schedule="cron(0 3 * * ? *)",
    )
    shots = Path(os.environ.get("DBTIER_SCREENSHOTS") or root / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with Served(settings, root / "service.log") as served:
        yield Site(served.base_url, tokens, ids, shots)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the site."""
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1100, "height": 800}, locale="ja-JP"
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
