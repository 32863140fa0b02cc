"""The forum's public ledger (公开台账, no login: anyone may read it), the meeting report (a page printable to A4,
the same as XLSX, and its publication) and the next meeting's agenda (the open items of the meetings before it)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.forum import ledger, report
from app.forum.ledger_forms import PublishReportForm
from app.forum.meetings import MeetingError
from app.forum.labels import category_label, chair_label, meeting_status_label
from app.forum.ledger_labels import fate_label, stage_label
from app.forum.models import ForumMeeting, MeetingStatus, ProblemCategory
from app.platform.access import roles_required, visitors
from app.platform.actions import perform, unconfirmed
from app.platform.calendar import local_today
from app.platform.exports import download
from app.platform.roles import Role

bp = Blueprint("forum_ledger", __name__)
PER_PAGE = 50
# Who reads a meeting's report and agenda: the organisers, and the auditors (read-only).
READERS = (Role.forum, Role.auditor)


@bp.app_template_global()
def forum_ledger_labels():
    """The ledger's label functions, for its templates."""
    return {"category": category_label, "chair": chair_label, "fate": fate_label, "stage": stage_label,
            "meeting_status": meeting_status_label}


def _ledger_page(filters: ledger.LedgerFilter, meeting: ForumMeeting | None):
    today = local_today()
    page = db.paginate(ledger.ledger_query(filters, today), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    rows = [ledger.ledger_row(p, today) for p in page.items]
    narrowed = bool(filters.category or filters.department_id or filters.stage or (meeting is None
                                                                                   and filters.meeting_id))
    return render_template("forum/ledger/ledger.html", rows=rows, page=page, filters=filters, meeting=meeting,
                           narrowed=narrowed,
                           meetings=ledger.public_meetings(), departments=ledger.ledger_departments(),
                           categories=list(ProblemCategory), stages=ledger.STAGES, today=today,
                           report=ledger.meeting_report(meeting, today) if meeting is not None
                           and meeting.status == MeetingStatus.reported else None)


@bp.route("/forum/ledger")
@visitors
def index():
    """The ledger across meetings, narrowed by meeting, category, department and status."""
    return _ledger_page(ledger.LedgerFilter.from_args(request.args), None)


@bp.route("/forum/ledger/<int:meeting_id>")
@visitors
def meeting(meeting_id: int):
    """One meeting's ledger (and, once published, its report's summary and figures)."""
    item = db.get_or_404(ForumMeeting, meeting_id)
    if item.status not in ledger.PUBLIC_MEETINGS:
        abort(404)
    filters = ledger.LedgerFilter.from_args(request.args)
    filters = ledger.LedgerFilter(meeting_id=item.id, category=filters.category, department_id=filters.department_id,
                                  stage=filters.stage)
    return _ledger_page(filters, item)


def _meeting(meeting_id: int) -> ForumMeeting:
    return db.get_or_404(ForumMeeting, meeting_id)


@bp.route("/admin/forum/meetings/<int:meeting_id>/report")
@roles_required(*READERS)
def report_page(meeting_id: int):
    """The meeting report, printable to A4 from the browser."""
    item = _meeting(meeting_id)
    figures = ledger.meeting_report(item)
    return render_template("forum/ledger/report.html", meeting=item, report=figures, problems=figures.rows,
                           form=PublishReportForm(formdata=None, summary=item.report_summary),
                           may_publish=current_user.has_role(Role.forum) and item.status == MeetingStatus.held)


@bp.route("/admin/forum/meetings/<int:meeting_id>/report.xlsx")
@roles_required(*READERS)
def report_xlsx(meeting_id: int):
    """The same report as a workbook."""
    item = _meeting(meeting_id)
    return download(report.report_xlsx(ledger.meeting_report(item)), report.report_filename(item))


@bp.route("/admin/forum/meetings/<int:meeting_id>/report/publish", methods=["POST"])
@roles_required(Role.forum)
def publish_report(meeting_id: int):
    """Publish the report: the meeting becomes 报告已发布 and its summary shows on the public ledger."""
    item = _meeting(meeting_id)
    back = url_for(".report_page", meeting_id=item.id)
    return perform(PublishReportForm(), lambda form: report.publish(item, form.summary.data, actor=current_user),
                   done=_("The report is published."), back=back, refused=MeetingError, invalid=unconfirmed(back))


@bp.route("/admin/forum/meetings/<int:meeting_id>/agenda")
@roles_required(*READERS)
def agenda(meeting_id: int):
    """The meeting's agenda: it starts with the open problems of the meetings before it, the oldest first."""
    item = _meeting(meeting_id)
    return render_template("forum/ledger/agenda.html", meeting=item, items=ledger.open_items(item))


@bp.route("/admin/forum/agenda")
@roles_required(*READERS)
def next_agenda():
    """The next meeting's agenda (or, with no meeting planned, the open items of every meeting so far)."""
    upcoming = ledger.next_meeting()
    return render_template("forum/ledger/agenda.html", meeting=upcoming, items=ledger.open_items(upcoming))
