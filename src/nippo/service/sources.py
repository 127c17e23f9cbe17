"""The imported Markdown, kept so an unchanged report exports byte for byte.

Two exports, decided per request:

- **as imported**: the document exactly as it was sent (its own headings,
  indents, `(4h)` and `week :`, a BOM and CRLFs included), while the report is
  unchanged: the stored document still renders to the digest taken at import,
  and every study-time line it declares still equals the database's figure.
- **canonical**: the seed's format rendered from the stored report
  (`nippo.markdown.render_report`) with the database's study time, otherwise:
  after a replace (which drops the source), or once a report added earlier in
  the week makes the declared week or total differ from the database's.

The digest is the SHA-256 of the canonical rendering, so "unchanged" means
unchanged in everything the canonical export shows. A document that is already
canonical keeps no source (its export is the same bytes), so the cost is one
copy of each non-canonical import, at most the 1 MiB body limit.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete
from sqlalchemy.orm import Session

from nippo.document import DeclaredStudyTime, ReportDocument
from nippo.markdown import render_report
from nippo.models import Report, ReportSource
from nippo.study_time import StudyTime


def digest_of(doc: ReportDocument) -> str:
    """The SHA-256 (hex) of a document's canonical rendering."""
    return hashlib.sha256(render_report(doc).encode("utf-8")).hexdigest()


def keep_source(session: Session, report: Report, text: str, doc: ReportDocument) -> None:
    """Keep an import's Markdown unless it is already the canonical rendering of its document."""
    canonical = render_report(doc)
    if text == canonical:
        return
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    session.add(ReportSource(report_id=report.id, digest=digest, markdown=text))
    session.flush()


def forget_source(session: Session, report_id: int) -> None:
    """Drop a report's imported Markdown (its content is being replaced)."""
    session.execute(delete(ReportSource).where(ReportSource.report_id == report_id))


def _declared_agree(declared: DeclaredStudyTime, figures: StudyTime) -> bool:
    pairs = (
        (declared.today_minutes, figures.today_minutes),
        (declared.week_minutes, figures.week_minutes),
        (declared.total_minutes, figures.total_minutes),
    )
    return all(said is None or said == recorded for said, recorded in pairs)


def source_if_unchanged(
    session: Session, report: Report, stored: ReportDocument, figures: StudyTime
) -> str | None:
    """The imported Markdown while the report is unchanged since the import, else None."""
    source = session.get(ReportSource, report.id)
    if source is None or not _declared_agree(stored.study_time, figures):
        return None
    return source.markdown if digest_of(stored) == source.digest else None


__all__ = ["digest_of", "forget_source", "keep_source", "source_if_unchanged"]
