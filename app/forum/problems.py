"""The enterprises' problems (诉求) as cases of the casework engine: raised through the personal link before the
meeting or recorded by the organisers at it; assigned (交办) to a lead department and co-departments with a
deadline in working days; "answered on the spot" (现场答复) by a department at the meeting; followed, answered and
closed with the enterprise's own confirmation — every step is the engine's (``app.casework.service``).

The organisers (role ``forum``) see who raised a problem; departments only when the enterprise let them
(``identity_shared``). The kind is registered with the engine at the end of this module.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.audit import service as audit
from app.casework import kinds, service as casework
from app.casework.deadlines import due_date
from app.casework.errors import CaseError
from app.casework.models import SOLVED_OUTCOMES, CaseKind, CaseStatus, Outcome, Satisfaction
from app.departments.models import Department
from app.extensions import db
from app.forum.invitations import link
from app.forum.models import ForumInvitation, ForumMeeting, ForumProblem, MeetingStatus, ProblemCategory
from app.platform.calendar import local_today
from app.platform.phones import current_vault
from app.platform.roles import Role
from app.sms.notify import send_one, within_daily_cap

TRACKING_PREFIX = "KT"
SUBJECT_LENGTH = 40
OPEN_STATES = (CaseStatus.submitted, CaseStatus.accepted, CaseStatus.assigned, CaseStatus.replied,
               CaseStatus.confirming)


# --------------------------------------------------------------------------- raising

def _subject(description: str) -> str:
    line = " ".join(description.split())
    return line if len(line) <= SUBJECT_LENGTH else line[:SUBJECT_LENGTH - 1] + "…"


def raise_problem(invitation: ForumInvitation, *, category: str, description: str, request: str = "",
                  identity_shared: bool = False, named_in_ledger: bool = False, at_meeting: bool = False,
                  actor=None) -> ForumProblem:
    """A problem of an invited enterprise: through its link before the meeting, or recorded by staff at it."""
    meeting = invitation.meeting
    allowed = (MeetingStatus.invited, MeetingStatus.held) if at_meeting else (MeetingStatus.preparing,
                                                                               MeetingStatus.invited)
    if meeting.status not in allowed:
        raise CaseError(_("Problems are submitted through the link before the meeting; at and after it the "
                          "organisers record them.") if not at_meeting
                        else _("Problems raised at the meeting are recorded once the invitations are out."))
    try:
        category = ProblemCategory(category)
    except ValueError:
        raise CaseError(_("Choose the category.")) from None
    description = (description or "").strip()
    if len(description) < 10:
        raise CaseError(_("Describe the problem (at least 10 characters)."))
    problem = ForumProblem(meeting_id=meeting.id, invitation_id=invitation.id, category=category,
                           description=description, request=(request or "").strip(), raised_at_meeting=at_meeting,
                           named_in_ledger=named_in_ledger, identity_shared=identity_shared,
                           subject=_subject(description), tracking_number="")
    casework.add_numbered(problem, TRACKING_PREFIX)
    casework.event(problem, "raised", actor=actor)
    audit.record("forum.raise", casework.target(problem), {"category": category.value, "at_meeting": at_meeting,
                                                           "identity_shared": identity_shared}, actor=actor)
    return problem


def earlier_problems(problem: ForumProblem) -> list[ForumProblem]:
    """The enterprise's earlier problems of the same category that are still open or were closed unsolved."""
    earlier = db.session.scalars(
        select(ForumProblem).join(ForumInvitation, ForumProblem.invitation_id == ForumInvitation.id)
        .where(ForumInvitation.respondent_id == problem.invitation.respondent_id,
               ForumProblem.category == problem.category, ForumProblem.id < problem.id)
        .order_by(ForumProblem.id))
    return [p for p in earlier if p.status in OPEN_STATES or (p.status == CaseStatus.closed and (
        p.outcome not in SOLVED_OUTCOMES or p.satisfaction == Satisfaction.unsatisfied))]


def times_raised(problem: ForumProblem) -> int:
    """1 for a new problem; n when the enterprise raises it again (a repeat) for the n-th time."""
    return 1 + len(earlier_problems(problem))


# --------------------------------------------------------------------------- the organisers' steps

def default_due_date() -> date:
    return due_date(local_today(), current_app.config["FORUM_DEADLINE_WORKDAYS"])


def _departments(lead_id: int, co_ids: list[int]) -> tuple[Department, list[Department]]:
    lead = db.session.get(Department, lead_id or 0)
    if lead is None or not lead.active:
        raise CaseError(_("Choose the lead department."))
    co = list(db.session.scalars(select(Department).where(Department.id.in_(set(co_ids) - {lead.id}),
                                                          Department.active.is_(True))
                                 .order_by(Department.sort_order)))
    return lead, co


def _taken_on(problem: ForumProblem, actor) -> None:
    if problem.status == CaseStatus.submitted:
        casework.accept(problem, actor=actor)


def assign(problem: ForumProblem, *, lead_id: int, co_ids: list[int], workdays: int, instructions: str = "",
           actor=None) -> None:
    """交办: a lead department, optional co-departments, a deadline in working days from today, instructions."""
    if not 1 <= workdays <= 250:
        raise CaseError(_("The deadline is 1 to 250 working days."))
    lead, co = _departments(lead_id, co_ids)
    _taken_on(problem, actor)
    casework.assign(problem, [lead, *co], due_date(local_today(), workdays), instructions, lead_id=lead.id,
                    actor=actor)


def answer_on_spot(problem: ForumProblem, *, department_id: int, answer: str, actor=None) -> None:
    """现场答复: a department answered at the meeting; its answer goes to the enterprise to confirm."""
    department, _co = _departments(department_id, [])
    if problem.meeting.status not in (MeetingStatus.held, MeetingStatus.reported):
        raise CaseError(_("A problem is answered on the spot at the meeting: mark the meeting as held first."))
    _taken_on(problem, actor)
    assignment = casework.assign(problem, [department], local_today(), _("Answered on the spot at the meeting."),
                                 lead_id=department.id, actor=actor)[0]
    casework.reply(assignment, answer, outcome=Outcome.answered_on_spot, actor=actor)
    if casework.confirm_if_answered(problem, True, actor=actor):
        notify(problem, "confirm")


def close(problem: ForumProblem, *, outcome: str, satisfaction: str, public_reply: str, sign_off_reason: str = "",
          duplicate_of: ForumProblem | None = None, redirected_to: Department | None = None, actor=None) -> None:
    """销号 by the organisers: after a phone call with the enterprise, or — unreachable after the attempts — a
    supervisor's sign-off with its reason."""
    settle = dict(outcome=outcome, public_reply=public_reply, duplicate_of=duplicate_of,
                  redirected_to=redirected_to, actor=actor)
    if satisfaction == Satisfaction.unreachable.value:
        casework.sign_off(problem, reason=sign_off_reason, **settle)
    else:
        casework.close(problem, satisfaction=satisfaction, **settle)


def reveal_phone(problem: ForumProblem, actor=None) -> str:
    """The enterprise's full number, for an organiser about to call; every reveal is audited."""
    number = phone(problem) or ""
    if number:
        audit.record("forum.phone_reveal", casework.target(problem), {}, actor=actor)
    return number


# --------------------------------------------------------------------------- the enterprise's steps

def rate(problem: ForumProblem, satisfaction: str, comment: str = "") -> None:
    """The enterprise's verdict on the answer, through its link: closes the problem (销号)."""
    try:
        casework.confirm_by_raiser(problem, satisfaction, comment)
    except ValueError as exc:
        if isinstance(exc, CaseError):
            raise
        raise CaseError(_("Choose how satisfied you are.")) from None


def reopen(problem: ForumProblem, reason: str) -> None:
    """The unsatisfied enterprise sends the problem back to the same departments (within the window)."""
    casework.reopen_by_raiser(problem, reason)


# --------------------------------------------------------------------------- the kind

def identity(case: ForumProblem) -> dict:
    """The enterprise as the organisers (and, when it agreed, the departments) see it."""
    member = case.invitation.respondent
    fields = {_("Enterprise"): member.organisation or member.name}
    if member.organisation and member.name and member.name != member.organisation:
        fields[_("Contact")] = member.name
    fields[_("Mobile phone")] = member.phone_masked
    return fields


def phone(case: ForumProblem) -> str | None:
    """The enterprise's mobile number (E.164), unless the pool erased it."""
    member = case.invitation.respondent
    if member.erased_on is not None or not member.phone:
        return None
    return current_vault().open(member.phone)


def notify(case: ForumProblem, what: str) -> bool:
    """An SMS to the enterprise: a progress update, or the answer to confirm; with its personal link.

    Not sent when its invitation never went out, the number is gone, or today's cap is reached. Audited.
    """
    invitation, number = case.invitation, phone(case)
    if invitation.sent_at is None or invitation.token_hash is None or number is None:
        return False
    if not within_daily_cap(invitation.respondent.phone_hash):
        audit.record("forum.notify", casework.target(case), {"what": what, "sent": False, "capped": True})
        return False
    config = current_app.config
    news = "已答复，请确认是否满意" if what == "confirm" else "有新的办理进展"
    sent = send_one(number, kind="forum_news", template_code=config["FORUM_SMS_NEWS_TEMPLATE_CODE"],
                    template_text=config["FORUM_SMS_NEWS_TEMPLATE_TEXT"],
                    params={"number": case.tracking_number, "news": news, "link": link(invitation)},
                    reference=f"forum-case-{case.id}")
    audit.record("forum.notify", casework.target(case), {"what": what, "sent": sent})
    return sent


# --------------------------------------------------------------------------- lists

def problems_query(meeting: ForumMeeting | None = None, status: str = "") -> Select:
    """Problems, the latest first; of one meeting, of one status."""
    query = select(ForumProblem).order_by(ForumProblem.id.desc())
    if meeting is not None:
        query = query.where(ForumProblem.meeting_id == meeting.id)
    if status in CaseStatus.__members__:
        query = query.where(ForumProblem.status == CaseStatus(status))
    return query


def overdue_query() -> Select:
    return casework.overdue_query(CaseKind.forum)


def due_soon_query() -> Select:
    return casework.due_soon_query(kind=CaseKind.forum)


def counts_by_status(meeting: ForumMeeting) -> dict[str, int]:
    return {s.value: n for s, n in db.session.execute(
        select(ForumProblem.status, func.count()).where(ForumProblem.meeting_id == meeting.id)
        .group_by(ForumProblem.status)).all()}


kinds.register(kinds.Kind(kind=CaseKind.forum, organiser_role=Role.forum, raised_template="forum/_raised.html",
                          file_endpoint="forum.attachment",
                          organiser_endpoint="forum.problem", notify=notify, identity=identity, phone=phone,
                          confirm_on_reply=True))
