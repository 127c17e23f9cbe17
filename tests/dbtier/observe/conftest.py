"""Fixtures of the observe tests: the committed sample logs and one-call digests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbtier.observe.digest import Digest
from dbtier.observe.run import digest_sources
from dbtier.observe.sources import local_file

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "observe"

DigestOf = Callable[..., Digest]
ClassesOf = Callable[[Digest], dict[str, tuple[int, float]]]


@pytest.fixture
def samples() -> Path:
    """The folder of committed sample logs (from throwaway MariaDB and PostgreSQL servers)."""
    return SAMPLES


def _digest_of(*paths: Path, **options: Any) -> Digest:
    return digest_sources([local_file(path) for path in paths], **options)


def _classes_of(digest: Digest) -> dict[str, tuple[int, float]]:
    return {
        query_class.fingerprint.decode(): (query_class.count, round(query_class.total_s, 6))
        for query_class in digest.classes.values()
    }


@pytest.fixture
def digest_of() -> DigestOf:
    """Digest local files with the CLI's defaults."""
    return _digest_of


@pytest.fixture
def classes_of() -> ClassesOf:
    """fingerprint -> (count, total seconds rounded to microseconds)."""
    return _classes_of
