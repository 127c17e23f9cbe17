"""nippo's service layer: every use case as a function of a session, a caller and plain values.

The HTTP layer (`nippo.api`) and the CLI (`dbtier users`) only translate their
input and call these; nothing here knows about HTTP.
"""

from __future__ import annotations

from nippo.service.feedback import FeedbackItem, add_feedback, list_feedback
from nippo.service.markdown_io import (
    ExportedMarkdown,
    ImportResult,
    UnacceptedWarnings,
    export_markdown,
    export_report,
    import_report,
    preview_import,
)
from nippo.service.reports import (
    ReportSummary,
    create_report,
    delete_report,
    get_report,
    list_reports,
    update_report,
    visible_learner,
)
from nippo.service.study import learner_today, study_time_on
from nippo.service.users import NewUser, Profile, create_user, profile, set_timezone
from nippo.study_time import StudyTime, study_time

__all__ = [
    "ExportedMarkdown",
    "FeedbackItem",
    "ImportResult",
    "NewUser",
    "Profile",
    "ReportSummary",
    "StudyTime",
    "UnacceptedWarnings",
    "add_feedback",
    "create_report",
    "create_user",
    "delete_report",
    "export_markdown",
    "export_report",
    "get_report",
    "import_report",
    "learner_today",
    "list_feedback",
    "list_reports",
    "preview_import",
    "profile",
    "set_timezone",
    "study_time",
    "study_time_on",
    "update_report",
    "visible_learner",
]
