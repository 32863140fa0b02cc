"""The meeting report: its workbook (XLSX through ``app.platform.exports``, Chinese sheet names and headers from the
catalogs) and its publication, which moves the meeting to 报告已发布."""
from __future__ import annotations

from flask_babel import gettext as _

from app.audit import service as audit
from app.casework.labels import outcome_label, status_label
from app.forum.ledger import FATES, MeetingReport
from app.forum.labels import category_label, chair_label
from app.forum.ledger_labels import fate_label
from app.forum.meetings import MeetingError, target
from app.forum.models import ForumMeeting, MeetingStatus
from app.platform.columns import utcnow
from app.platform.exports import Sheet, sheet_title, xlsx_bytes


def _fate_headers() -> list[str]:
    return [fate_label(f) for f in FATES]


def report_sheets(report: MeetingReport) -> list[Sheet]:
    """The report as sheets: attendance, by category, by department, the previous meetings, the problems."""
    used: set[str] = set()
    meeting, a = report.meeting, report.attendance
    attendance_rows = [
        [_("Item"), _("Count")],
        [_("Meeting date"), meeting.held_on.isoformat()],
        [_("Chair"), chair_label(meeting.chair)],
        [_("Theme"), meeting.theme],
        [_("Enterprises invited"), a.invited],
        [_("Chosen by the organisers"), a.chosen],
        [_("Drawn at random"), a.drawn],
        [_("Answered the invitation"), a.answered],
        [_("Said they would come"), a.accepted],
        [_("Attended"), a.attended],
        [_("Attended, chosen"), a.attended_chosen],
        [_("Attended, drawn"), a.attended_drawn],
        [_("Problems raised"), report.problems],
        [_("Of which raised at the meeting"), report.raised_at_meeting],
    ]
    category_rows = [[_("Category"), _("Number of problems"), *_fate_headers()]]
    category_rows += [[category_label(c), f.total, *f.values()] for c, f in report.by_category]
    department_rows = [[_("Department"), _("As lead department"), _("As co-department"), _("Overdue")]]
    department_rows += [[line.department.name, line.lead, line.co, line.overdue] for line in report.by_department]
    previous_rows = [[_("Meeting date"), _("Theme"), _("Number of problems"), *_fate_headers()]]
    previous_rows += [[p.meeting.held_on.isoformat(), p.meeting.theme, p.fates.total, *p.fates.values()]
                      for p in report.previous]
    previous_rows.append([_("Total"), "", report.previous_total.total, *report.previous_total.values()])
    problem_rows = [[_("Tracking number"), _("Category"), _("Lead department"), _("Co-departments"), _("Deadline"),
                     _("Status"), _("Outcome"), _("Days taken"), _("Enterprise")]]
    for row in report.rows:
        problem_rows.append([row.number, category_label(row.category), "、".join(row.lead), "、".join(row.co),
                             row.due_on.isoformat() if row.due_on else "",
                             status_label(row.status) + (" · " + fate_label("overdue") if row.overdue else ""),
                             outcome_label(row.outcome) if row.outcome else "", row.days,
                             row.enterprise or _("Not named")])
    return [
        Sheet(sheet_title(_("Attendance"), used), attendance_rows, widths=(28, 40)),
        Sheet(sheet_title(_("Problems by category"), used), category_rows, widths=(20,) + (12,) * 6),
        Sheet(sheet_title(_("Problems by department"), used), department_rows, widths=(32, 14, 14, 12)),
        Sheet(sheet_title(_("Previous meetings' problems"), used), previous_rows, widths=(14, 32) + (12,) * 6),
        Sheet(sheet_title(_("Problems of this meeting"), used), problem_rows,
              widths=(18, 14, 28, 32, 12, 24, 20, 10, 24)),
    ]


def report_xlsx(report: MeetingReport) -> bytes:
    return xlsx_bytes(report_sheets(report))


def report_filename(meeting: ForumMeeting) -> str:
    return _("forum-report-%(day)s.xlsx", day=meeting.held_on.isoformat())


def publish(meeting: ForumMeeting, summary: str, actor=None) -> None:
    """Publish the report of a held meeting: its summary is kept and the meeting becomes 报告已发布."""
    if meeting.status != MeetingStatus.held:
        raise MeetingError(_("Only the report of a meeting that has been held can be published."))
    meeting.report_summary = (summary or "").strip()
    meeting.status, meeting.report_published_at = MeetingStatus.reported, utcnow()
    audit.record("forum.report_publish", target(meeting), {"held_on": meeting.held_on.isoformat()}, actor=actor)
