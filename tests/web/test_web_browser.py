"""The pages in a real browser: issue 13's "Must show" list, with a screenshot of each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from web_helpers import Site, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_sign_in_shows_the_learner_home(page: Page, site: Site) -> None:
    sign_in(page, site, "alice", shot=True)
    expect(page).to_have_url(site.url(f"/learners/{site.ids['alice']}"))
    expect(page.locator("#study-today")).to_have_text("0m")
    expect(page.get_by_role("heading", name="週ごとの学習時間 (直近 8 週)")).to_be_visible()
    shoot(page, site, "home-learner")
