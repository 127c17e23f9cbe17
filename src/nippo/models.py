"""nippo's tables: users and mentorships, reports with their tasks and sections, feedback,
and opening-balance adjustments of study time.

A report is stored as its document (`nippo.document.ReportDocument`): one row per
report, one row per task and one per section, with nested notes as JSON, so the
Markdown export reproduces what was imported. Every query the API makes has an
index; `tests/nippo/test_models.py` checks that every foreign key leads one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from nippo.db import Base
from nippo.limits import MAX_TIMEZONE

# MySQL's TEXT holds 64 KiB; an imported document may be up to 1 MiB.
LongText: TypeEngine[str] = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

# utf8mb4 so the seed's Japanese (and any emoji) round-trips on MySQL/MariaDB.
MYSQL_TABLE_ARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_engine": "InnoDB",
}

ROLES = ("learner", "mentor")
DEFAULT_TIMEZONE = "Asia/Tokyo"


def _now() -> dt.datetime:
    # Whole seconds: MySQL's DATETIME keeps none below, so every backend reads what was written.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A UTC instant on every backend: SQLite and MySQL keep no offset, so store UTC, read UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class User(Base):
    """A learner or a mentor; `token_hash` is the SHA-256 of their bearer token."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'mentor')", name="role"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(MAX_TIMEZONE), default=DEFAULT_TIMEZONE)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now)


class Mentorship(Base):
    """A mentor assigned to a learner."""

    __tablename__ = "mentorships"
    __table_args__ = (
        Index("ix_mentorships_learner_id", "learner_id"),
        MYSQL_TABLE_ARGS,
    )

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Report(Base):
    """One learner's report for one date; declared_* hold the document's study-time lines,
    `minutes_through` the learner's running total of task minutes through this date."""

    __tablename__ = "reports"
    __table_args__ = (
        # Also the index of listing a date range and of the study-time query.
        UniqueConstraint("learner_id", "report_date"),
        CheckConstraint("language IN ('ja', 'en')", name="language"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    report_date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    tasks_extra: Mapped[str] = mapped_column(LongText, default="")
    declared_today_minutes: Mapped[int | None] = mapped_column(Integer)
    declared_week_minutes: Mapped[int | None] = mapped_column(Integer)
    declared_total_minutes: Mapped[int | None] = mapped_column(Integer)
    # The learner's task minutes on every report up to and including this one's date: the
    # running total the study-time statement seeks (`nippo.service.running_total` keeps it).
    minutes_through: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    tasks: Mapped[list[ReportTask]] = relationship(
        order_by="ReportTask.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    sections: Mapped[list[ReportSection]] = relationship(
        order_by="ReportSection.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ReportTask(Base):
    """A task worked on: title, minutes, nested notes (a JSON tree of {text, children})."""

    __tablename__ = "report_tasks"
    __table_args__ = (
        UniqueConstraint("report_id", "position"),
        CheckConstraint("minutes >= 0", name="minutes"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    minutes: Mapped[int] = mapped_column(Integer)
    notes: Mapped[list[Any]] = mapped_column(JSON)


class ReportSection(Base):
    """A section other than tasks and study time: learned, felt, next or other."""

    __tablename__ = "report_sections"
    __table_args__ = (
        UniqueConstraint("report_id", "position"),
        CheckConstraint("kind IN ('learned', 'felt', 'next', 'other')", name="kind"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    heading: Mapped[str] = mapped_column(String(500))
    notes: Mapped[list[Any]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(LongText, default="")


class ReportSource(Base):
    """An imported report's Markdown as it was sent, for a byte-for-byte export.

    `digest` is the SHA-256 of the canonical rendering of the document the
    import parsed; the export serves `markdown` only while the stored report
    still renders to that digest and the database's study time agrees with the
    lines the document declared (`nippo.service.sources`). No row when the
    document was already in the canonical format; a replaced report drops it.
    """

    __tablename__ = "report_sources"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    markdown: Mapped[str] = mapped_column(LongText)


class Feedback(Base):
    """A mentor's feedback on a report."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_report_id_created_at", "report_id", "created_at"),
        Index("ix_feedback_mentor_id", "mentor_id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now)


class StudyTimeAdjustment(Base):
    """An explicit opening balance: minutes added to the week and total from a date on.

    Created when an imported document declares more study time than the
    database records (a learner moving from Markdown diaries), so the totals
    are kept without inventing reports.
    """

    __tablename__ = "study_time_adjustments"
    __table_args__ = (
        Index(
            "ix_study_time_adjustments_learner_id_effective_date", "learner_id", "effective_date"
        ),
        CheckConstraint("week_minutes >= 0 AND total_minutes >= 0", name="minutes"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    week_minutes: Mapped[int] = mapped_column(Integer)
    total_minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=_now)


__all__ = [
    "DEFAULT_TIMEZONE",
    "ROLES",
    "Feedback",
    "Mentorship",
    "Report",
    "ReportSection",
    "ReportSource",
    "ReportTask",
    "StudyTimeAdjustment",
    "User",
]
