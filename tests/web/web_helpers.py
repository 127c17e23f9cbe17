"""What the browser tests share: the browser's path and flags, the served site, signing in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

CHROMIUM = Path("/usr/bin/chromium")
SEED_ORIGINAL = Path(__file__).resolve().parent.parent / "data" / "seed-original.md"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Site:
    """The served app, its users' tokens and ids, and where screenshots go."""

    base_url: str
    tokens: dict[str, str]
    ids: dict[str, int]
    shots: Path

    def url(self, path: str) -> str:
        """An absolute URL on the site."""
        return self.base_url + path


def shoot(page: Page, site: Site, name: str) -> None:
    """A full-page screenshot named after the page."""
    page.screenshot(path=str(site.shots / f"{name}.png"), full_page=True)


def sign_in(page: Page, site: Site, who: str, *, shot: bool = False) -> None:
    """Sign in through the form with the user's token."""
    page.goto("/")
    expect(page).to_have_url(site.url("/signin"))
    page.get_by_label("トークン").fill(site.tokens[who])
    if shot:
        shoot(page, site, "signin")
    page.get_by_role("button", name="サインイン").click()


__all__ = ["CHROMIUM", "FLAGS", "SEED_ORIGINAL", "Site", "shoot", "sign_in"]
