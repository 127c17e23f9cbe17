"""`dbtier review`: one design document that walks the seed's database-design lifecycle.

    review = build_review(evidence)        # sections of pass / warn / fail items
    to_markdown(review), to_html(review)   # for a repository, and for a browser

The evidence is gathered by `gather()` from what the reviewer has: a workload
profile, a live database, a synthesized template, slow logs, a backup
directory. Each section says where its evidence came from, and a section
without evidence says what to give it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dbtier.review.model import STATUS_ORDER, Item, Review, Section, Status
from dbtier.review.render import to_html, to_markdown
from dbtier.review.sections import SECTIONS, Evidence


def build_review(evidence: Evidence, title: str) -> Review:
    """Every section of the lifecycle, from `evidence`."""
    inputs = {
        "profile": str(evidence.profile_path) if evidence.profile_path else "—",
        "database": evidence.engine.url.render_as_string(hide_password=True)
        if evidence.engine is not None
        else "—",
        "template": str(evidence.template.path) if evidence.template else "—",
        "slow logs": ", ".join(evidence.slow_logs) or "—",
        "backups": str(evidence.backup_dir) if evidence.backup_dir else "—",
    }
    return Review(
        title=title,
        sections=[make(evidence) for make in SECTIONS],
        inputs=inputs,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def gather(
    *,
    profile_path: Path | None,
    engine: Any = None,
    template_path: Path | None = None,
    slow_logs: list[Path] | None = None,
    backup_dir: Path | None = None,
    top: int = 5,
) -> Evidence:
    """Read every input that was given; leave out what was not."""
    from dbtier.backup.manifest import last_drill

    ev = Evidence(profile_path=profile_path, engine=engine, backup_dir=backup_dir)
    storage = None
    if profile_path is not None:
        from dbtier.params import design, load_profile

        ev.profile = load_profile(profile_path)
        ev.design = design(ev.profile)
        storage = float(ev.profile.storage.size_gib)
    if engine is not None:
        _gather_database(ev, engine, storage)
    if template_path is not None:
        from dbtier.review.template import load_template

        ev.template = load_template(template_path)
    if slow_logs:
        ev.slow_classes, ev.slow_logs = _digest(slow_logs, top)
    if backup_dir is not None:
        ev.last_drill = last_drill(backup_dir)
    return ev


def _gather_database(ev: Evidence, engine: Any, storage: float | None) -> None:
    from dbtier.review.session import database_users, session_facts
    from dbtier.schema import review_schema
    from dbtier.schema.models import load_models

    ev.schema = review_schema(engine, models=load_models("nippo"), storage_gib=storage)
    ev.session = session_facts(engine)
    ev.users = database_users(engine)
    if engine.url.get_backend_name() in ("mysql", "mariadb", "postgresql"):
        from dbtier.observe.check import check_server

        ev.check = check_server(
            engine, engine.url.render_as_string(hide_password=True), ev.profile_path
        )


def _digest(paths: list[Path], top: int) -> tuple[list[Any], list[str]]:
    from dbtier.observe.digest import Digest, top_classes
    from dbtier.observe.run import digest_source
    from dbtier.observe.sources import local_file

    digest = Digest()
    for path in paths:
        digest_source(local_file(path), digest)
    return top_classes(digest, "total", top), [p.name for p in paths]


__all__ = [
    "STATUS_ORDER",
    "Evidence",
    "Item",
    "Review",
    "Section",
    "Status",
    "build_review",
    "gather",
    "to_html",
    "to_markdown",
]
