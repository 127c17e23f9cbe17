"""A backup's manifest: what was dumped, when, at which Alembic revision, with how many rows.

Every backup file `NAME.<ext>` has `NAME.json` beside it. The restore drill
checks a restored database against the manifest (revision and row counts per
table), so the manifest is written last: a backup without one is incomplete
and never chosen as the latest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dbtier.errors import UsageError

DRILL_LOG = "drills.jsonl"


@dataclass(frozen=True)
class Manifest:
    engine: str  # sqlite | mysql | mariadb | postgresql
    database: str  # the source, password masked
    file: str  # the backup file's name, beside the manifest
    created_at: str  # ISO 8601, UTC
    revision: str | None  # Alembic revision(s) at the time of the backup, comma-joined
    row_counts: dict[str, int]
    bytes: int
    sha256: str
    tool: str  # the program (and version) that wrote the file
    counts_exact: bool = True  # False when counted beside the dump rather than in its snapshot
    notes: list[str] = field(default_factory=list)

    def path(self, directory: Path) -> Path:
        return directory / self.file

    def write(self, directory: Path) -> Path:
        target = directory / (Path(self.file).name.split(".")[0] + ".json")
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(target)
        return target


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path` (a .json), or beside a backup file."""
    if path.suffix != ".json":
        path = path.with_name(path.name.split(".")[0] + ".json")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no backup manifest here; take one with `dbtier db backup`"
        ) from None
    except (json.JSONDecodeError, TypeError) as exc:
        raise UsageError(f"{path}: not a dbtier backup manifest ({exc})") from None


def latest(directory: Path) -> tuple[Manifest, Path]:
    """The newest complete backup in `directory` (by its manifest's time)."""
    found = []
    for path in directory.glob("*.json"):
        try:
            found.append((read_manifest(path), path))
        except UsageError:
            continue
    found = [(m, p) for m, p in found if m.path(directory).exists()]
    if not found:
        raise UsageError(f"{directory}: no backups; take one with `dbtier db backup`")
    return max(found, key=lambda item: item[0].created_at)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup_name(engine: str, database: str, now: dt.datetime | None = None) -> str:
    """`<database>-<engine>-<UTC time>`: sortable, unique to the second."""
    moment = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in database) or "db"
    return f"{safe}-{engine}-{moment}"


def record_drill(directory: Path, result: dict[str, Any]) -> None:
    """Append one drill's result to `drills.jsonl` in the backup directory."""
    with (directory / DRILL_LOG).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(result, sort_keys=True, default=str) + "\n")


def last_drill(directory: Path) -> dict[str, Any] | None:
    """The most recent drill recorded in `directory`, if any."""
    path = directory / DRILL_LOG
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


__all__ = [
    "DRILL_LOG",
    "Manifest",
    "backup_name",
    "last_drill",
    "latest",
    "read_manifest",
    "record_drill",
    "sha256_of",
]
