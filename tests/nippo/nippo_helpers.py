"""Helpers the nippo tests share: who the test users are, how to authenticate, the seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_ORIGINAL = DATA / "seed-original.md"
SEED_ENGLISH = DATA / "seed.md"
SEED_DATE = "2025-04-25"  # the seed's diagram is 20250425.png; a Friday


@dataclass(frozen=True)
class People:
    """Tokens and ids: a learner, their mentor, a mentor of nobody, another learner."""

    learner: str
    learner_id: int
    mentor: str
    mentor_id: int
    stranger: str
    other_learner: str
    other_learner_id: int


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def markdown(token: str) -> dict[str, str]:
    """Headers for a Markdown import."""
    return auth(token) | {"Content-Type": "text/markdown; charset=utf-8"}


__all__ = ["DATA", "SEED_DATE", "SEED_ENGLISH", "SEED_ORIGINAL", "People", "auth", "markdown"]
