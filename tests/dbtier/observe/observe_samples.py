"""Helpers for the observe tests: the committed sample logs and a one-call digest."""

from __future__ import annotations

from pathlib import Path

from dbtier.observe.digest import Digest
from dbtier.observe.run import digest_sources
from dbtier.observe.sources import local_file

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "observe"


def digest_of(*paths: Path, **options: object) -> Digest:
    """Digest local files with the CLI's defaults."""
    return digest_sources([local_file(path) for path in paths], **options)  # type: ignore[arg-type]


def by_fingerprint(digest: Digest) -> dict[str, tuple[int, float]]:
    """fingerprint -> (count, total seconds rounded to microseconds)."""
    return {
        query_class.fingerprint.decode(): (query_class.count, round(query_class.total_s, 6))
        for query_class in digest.classes.values()
    }
