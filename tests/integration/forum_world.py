"""A fixed forum for the ledger, report and agenda tests: three meetings and problems in every fate, built with the
engine's own workflow (accept, assign, reply, close, reopen) and dated by hand so that the figures can be counted
by hand.

    meeting 1 (2026-06-10, report published): p1 solved, p2 partly solved, p3 explained, p4 duplicate of p1,
        p5 answered on the spot, p6 overdue, p7 in progress, p8 closed unsatisfied and reopened, p9 not accepted
        yet (on the agenda and in the report, never in the public ledger)
    meeting 2 (2026-08-12, held): q1 financing solved (lead A, co B), q2 financing in progress (lead A),
        q3 land overdue (lead B); invitations: 2 chosen, 2 drawn; 3 answered, 2 coming, 2 attended (1 + 1)
    meeting 3 (2026-12-20, invitations sent): nothing raised yet
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import select

from app.casework import service as casework
from app.casework.models import CaseStatus, Outcome
from app.extensions import db
from app.forum.models import (
    Chair,
    ForumInvitation,
    ForumMeeting,
    ForumProblem,
    InvitationSource,
    MeetingStatus,
    ProblemCategory,
)
from app.pool.models import Respondent
from tests.integration.test_draws import seed_pool

TODAY = date(2026, 12, 1)
NAMED = "红星机械制造有限公司"
SECRET = "保密精工科技有限公司"
SECRET_SUBJECT = "保密精工新厂房用地指标迟迟不落实"


def at(day: date, hour: int = 4) -> datetime:
    """A UTC moment on that local day (noon in Shanghai)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


@dataclass
class ForumWorld:
    dept_a: object
    dept_b: object
    members: list
    meetings: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)


def meeting(held_on: date, status: MeetingStatus, chair: Chair, theme: str) -> ForumMeeting:
    item = ForumMeeting(held_on=held_on, venue="市民中心三楼会议室", chair=chair, theme=theme, status=status)
    db.session.add(item)
    db.session.flush()
    return item


def invite(item: ForumMeeting, member: Respondent, source: InvitationSource, attending=None,
           attended=None) -> ForumInvitation:
    invitation = ForumInvitation(meeting=item, respondent=member, source=source, attending=attending,
                                 attended=attended)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def raise_problem(invitation: ForumInvitation, category: ProblemCategory, raised: date, subject: str = "融资难",
                  named: bool = False) -> ForumProblem:
    problem = ForumProblem(meeting_id=invitation.meeting_id, invitation_id=invitation.id, category=category,
                           subject=subject,
                           description=subject + "，请协调解决。", request="协调解决", named_in_ledger=named,
                           submitted_at=at(raised))
    casework.add_numbered(problem, "QY")
    return problem


def assigned(problem: ForumProblem, lead, due_on: date, co=()) -> ForumProblem:
    """Accepted and assigned (the deadline set by hand: the engine refuses one in the past)."""
    casework.accept(problem)
    for assignment in casework.assign(problem, [lead, *co], TODAY.replace(year=2099), lead_id=lead.id):
        assignment.due_on = due_on
    return problem


def closed(problem: ForumProblem, lead, outcome: Outcome, on: date, co=(), satisfaction="satisfied",
           duplicate_of=None) -> ForumProblem:
    """Assigned, answered by every department, closed after a phone call on ``on``."""
    assigned(problem, lead, on, co)
    for assignment in problem.current_assignments:
        casework.reply(assignment, "已办理完毕，情况已向企业说明。")
        assignment.replied_at = at(on)
    casework.close(problem, outcome=outcome, satisfaction=satisfaction, public_reply="经协调，已答复企业。",
                   duplicate_of=duplicate_of)
    problem.closed_at = at(on)
    return problem


def build(make_department) -> ForumWorld:
    seed_pool({"四上企业": 6})
    members = list(db.session.scalars(select(Respondent).order_by(Respondent.id)))
    members[0].organisation, members[1].organisation = NAMED, SECRET
    w = ForumWorld(make_department("FA", "市甲局"), make_department("FB", "市乙局"), members)
    a, b = w.dept_a, w.dept_b

    m1 = meeting(date(2026, 6, 10), MeetingStatus.reported, Chair.secretary, "优化营商环境")
    i1 = invite(m1, members[0], InvitationSource.chosen, True, True)
    i2 = invite(m1, members[1], InvitationSource.drawn, True, True)
    raised = date(2026, 6, 10)
    p = w.problems
    p["p1"] = closed(raise_problem(i1, ProblemCategory.financing, raised, "贷款审批慢", named=True), a,
                     Outcome.solved, date(2026, 7, 1))
    p["p2"] = closed(raise_problem(i1, ProblemCategory.labour, raised, "招工难"), a, Outcome.partly_solved,
                     date(2026, 7, 20))
    p["p3"] = closed(raise_problem(i2, ProblemCategory.policy, raised, "补贴标准"), b, Outcome.explained,
                     date(2026, 7, 5))
    p["p4"] = closed(raise_problem(i2, ProblemCategory.financing, raised, "贷款审批慢（重复）"), a,
                     Outcome.duplicate, date(2026, 6, 20), duplicate_of=p["p1"])
    p["p5"] = closed(raise_problem(i2, ProblemCategory.approval, raised, "审批流程咨询"), b,
                     Outcome.answered_on_spot, raised)
    p["p6"] = assigned(raise_problem(i2, ProblemCategory.land, date(2026, 6, 1), SECRET_SUBJECT), b,
                       date(2026, 7, 1))
    p["p7"] = assigned(raise_problem(i1, ProblemCategory.infrastructure, raised, "道路破损"), a, date(2099, 1, 1))
    p["p8"] = closed(raise_problem(i1, ProblemCategory.inspection, raised, "重复检查"), a, Outcome.solved,
                     date(2026, 7, 10), satisfaction="unsatisfied")
    p["p9"] = raise_problem(i1, ProblemCategory.other, date(2026, 6, 12), "尚未受理的诉求")
    db.session.flush()
    # Reopened by the unsatisfied enterprise within the window (the closing is moved back here afterwards).
    p["p8"].closed_at = datetime.now(timezone.utc)
    casework.reopen_by_raiser(p["p8"], "问题没有解决，检查仍然频繁。")
    for assignment in p["p8"].current_assignments:
        assignment.due_on = date(2099, 1, 1)

    m2 = meeting(date(2026, 8, 12), MeetingStatus.held, Chair.mayor, "民营经济发展")
    j1 = invite(m2, members[2], InvitationSource.chosen, True, True)
    invite(m2, members[3], InvitationSource.chosen, False)
    j3 = invite(m2, members[4], InvitationSource.drawn, True, True)
    invite(m2, members[5], InvitationSource.drawn)
    raised = date(2026, 8, 12)
    p["q1"] = closed(raise_problem(j1, ProblemCategory.financing, raised, "担保费率高"), a, Outcome.solved,
                     date(2026, 9, 1), co=[b])
    p["q2"] = assigned(raise_problem(j3, ProblemCategory.financing, raised, "续贷难"), a, date(2099, 1, 1))
    p["q3"] = assigned(raise_problem(j3, ProblemCategory.land, raised, "土地证办理慢"), b, date(2026, 9, 30))
    p["q2"].raised_at_meeting = True

    m3 = meeting(date(2026, 12, 20), MeetingStatus.invited, Chair.secretary, "科技创新")
    w.meetings = [m1, m2, m3]
    db.session.commit()
    assert p["p8"].status == CaseStatus.assigned and p["p8"].reopen_count == 1
    return w
