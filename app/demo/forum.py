"""The entrepreneurs' forum in the demo city: three past meetings and an upcoming one. Idempotent.

Each meeting goes through the real steps — planned (the chair alternating by default), enterprises chosen by the
organisers and drawn at random with a recorded seed, invitations sent by SMS to the outbox, answers, problems
submitted through the links and recorded at the meeting, assignment to departments, progress, answers and
closing — and the problems of the past meetings end in every state and outcome the engine knows: solved (by the
enterprise's own rating), partly solved, explained, duplicate, redirected, answered on the spot, overdue,
reopened by an unsatisfied enterprise, closed by a supervisor's sign-off. Since all of it happens in one run,
each problem's dates are then moved back to when its story took place (raised, assigned, answered, closed).
The first two meetings' reports are published; the third waits for the organiser to publish it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import current_app, url_for
from sqlalchemy import select

from app.accounts.models import User
from app.casework import service as casework
from app.casework.deadlines import due_date
from app.casework.models import AssignmentStatus, Outcome
from app.departments.models import Department
from app.extensions import db
from app.forum import draws, invitations, meetings, problems, report
from app.forum.models import ForumInvitation, ForumMeeting, ForumProblem, MeetingStatus
from app.platform.calendar import local_date, local_today, local_zone
from app.pool.models import Respondent
from app.sms.models import SmsOutbox

VENUE = "市民中心三楼第一会议室"
LINK = re.compile(r"https?://[^\s/]+/f/")
# (days from today, theme, enterprises chosen, to draw)
MEETINGS = [
    (-150, "融资难融资贵专题", 2, 4),
    (-90, "项目用地与审批提速", 2, 4),
    (-30, "稳岗用工与政策兑现", 2, 4),
    (21, "科技创新企业专场", 2, 4),
]
SUMMARIES = {
    0: "本次恳谈会围绕融资难融资贵，现场听取企业诉求，交办相关部门限期办理，办理结果在公开台账逐件公开。",
    1: "本次恳谈会聚焦项目用地和审批提速，诉求已全部交办，逾期事项由市营商环境办督办。",
}
REPLY = "经核实并协调相关单位，已按企业诉求办理完毕，情况已向企业当面说明。"


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _department(code: str) -> Department:
    return db.session.scalar(select(Department).where(Department.code == code))


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), local_zone())


def _enterprises(count: int, taken: set[int]) -> list[Respondent]:
    """Enterprises of the pool nobody has invited in the demo yet (so that no number gets two texts a day)."""
    found = [m for m in db.session.scalars(draws.enterprise_members().order_by(Respondent.key).limit(200))
             if m.id not in taken][:count]
    taken.update(m.id for m in found)
    return found


def _meeting(index: int, taken: set[int], organiser) -> ForumMeeting:
    offset, theme, chosen, drawn = MEETINGS[index]
    held_on = local_today() + timedelta(days=offset)
    meeting = meetings.create(held_on=held_on, venue=VENUE, theme=theme, draw_size=drawn, exclude_last=3,
                              actor=organiser)
    invitations.choose(meeting, [m.id for m in _enterprises(chosen, taken)], actor=organiser)
    draws.freeze(meeting, actor=organiser)
    draws.draw(meeting, seed=f"demo-forum-{held_on.isoformat()}", actor=organiser)
    db.session.flush()
    taken.update(i.respondent_id for i in meeting.invitations)
    invitations.send(meeting, actor=organiser)
    return meeting


# --------------------------------------------------------------------------- the story of one problem

class Story:
    """One problem's handling, told with the engine's steps; ``dates`` are moved back afterwards."""

    def __init__(self, problem: ForumProblem, raised: date, organiser):
        self.problem, self.raised, self.organiser = problem, raised, organiser
        self.assigned_on: date | None = None
        self.ended_on: date | None = None
        self.due_on: date | None = None

    def assign(self, lead: str, co: tuple[str, ...] = (), after: int = 1, workdays: int = 15,
               due_on: date | None = None) -> "Story":
        problems.assign(self.problem, lead_id=_department(lead).id, co_ids=[_department(c).id for c in co],
                        workdays=workdays, instructions="请牵头部门会同配合部门限期办理，办理进展及时更新。",
                        actor=self.organiser)
        self.assigned_on = self.raised + timedelta(days=after)
        self.due_on = due_on or due_date(self.assigned_on, workdays)
        return self

    def progress(self, text: str = "已与企业对接，正在协调相关单位办理。") -> "Story":
        lead = self.problem.lead_assignment
        casework.acknowledge(lead)
        casework.progress(lead, text)
        return self

    def answer(self, outcome: Outcome, text: str = REPLY, confirm: bool = True) -> "Story":
        """Every department answers; the lead's outcome and answer go to the enterprise to confirm (a duplicate
        or a redirection is settled by the organisers instead, who name the kept problem or where it went)."""
        for assignment in self.problem.current_assignments:
            if assignment.status == AssignmentStatus.pending:
                casework.reply(assignment, text if assignment.lead else "已配合牵头部门完成相关工作。",
                               outcome=outcome if assignment.lead else None)
        casework.confirm_if_answered(self.problem, confirm)
        return self

    def rated(self, satisfaction: str, after: int) -> "Story":
        problems.rate(self.problem, satisfaction, "感谢相关部门。" if satisfaction != "unsatisfied" else "")
        self.ended_on = self.raised + timedelta(days=after)
        return self

    def closed_by_call(self, outcome: Outcome, satisfaction: str, after: int, **settle) -> "Story":
        problems.close(self.problem, outcome=outcome.value, satisfaction=satisfaction, public_reply=REPLY,
                       actor=self.organiser, **settle)
        self.ended_on = self.raised + timedelta(days=after)
        return self

    def signed_off(self, outcome: Outcome, after: int) -> "Story":
        for _attempt in range(current_app.config["CASEWORK_CONTACT_ATTEMPTS"]):
            casework.record_attempt(self.problem, "电话无人接听", actor=self.organiser)
        problems.close(self.problem, outcome=outcome.value, satisfaction="unreachable", public_reply=REPLY,
                       sign_off_reason="三次电话均无人接听，短信未回复，经分管领导审核同意销号。", actor=self.organiser)
        self.ended_on = self.raised + timedelta(days=after)
        return self

    def backdate(self) -> None:
        """Move the problem's dates back to its story: raised, assigned, answered, closed."""
        problem = self.problem
        problem.submitted_at = _at(self.raised, 9)
        if problem.accepted_at is not None:
            problem.accepted_at = _at(self.assigned_on or self.raised, 9)
        last = self.ended_on or local_today()
        for assignment in problem.assignments:
            assignment.assigned_at = _at(self.assigned_on or self.raised, 10)
            if assignment.cycle == problem.cycle and self.due_on is not None:
                assignment.due_on = self.due_on
            elif self.due_on is not None:
                assignment.due_on = min(self.due_on, self.ended_on or self.due_on)
            if assignment.acknowledged_at is not None:
                assignment.acknowledged_at = _at(self.assigned_on or self.raised, 15)
            if assignment.replied_at is not None:
                assignment.replied_at = _at(max(self.raised, last - timedelta(days=2)), 16)
        if problem.closed_at is not None:
            problem.closed_at = _at(last, 11)
        events = list(problem.events)
        span = max((last - self.raised).days, 0)
        for n, step in enumerate(events):
            step.at = _at(self.raised + timedelta(days=span * n // max(len(events) - 1, 1)), 9 + n % 8)


def _raise(invitation: ForumInvitation, category: str, description: str, *, named: bool = False,
           shared: bool = True, at_meeting: bool = False, organiser=None) -> ForumProblem:
    return problems.raise_problem(invitation, category=category, description=description,
                                  request="请相关部门协调解决。", identity_shared=shared, named_in_ledger=named,
                                  at_meeting=at_meeting, actor=organiser if at_meeting else None)


# --------------------------------------------------------------------------- the meetings

def _answers(meeting: ForumMeeting, answers: list[bool | None]) -> None:
    """The enterprises' answers through their links (None: no answer)."""
    for invitation, attending in zip(meeting.invitations, answers):
        if attending is not None:
            invitations.answer(invitation, attending)


def _held(meeting: ForumMeeting, organiser, attended: list[int]) -> None:
    """The meeting took place; who came (by the invitation's place in the list)."""
    meetings.mark_held(meeting, actor=organiser)
    invitations.record_attendance(meeting, [meeting.invitations[i].id for i in attended], actor=organiser)


def _first(organiser, taken) -> tuple[list[Story], ForumMeeting, ForumProblem]:
    """150 days ago, 融资: everything is settled — or reopened — by now."""
    meeting = _meeting(0, taken, organiser)
    inv = meeting.invitations
    _answers(meeting, [True, True, True, False, True, None])
    day = meeting.held_on
    before = day - timedelta(days=7)
    kept = _raise(inv[0], "financing", "企业申请的技术改造贷款贴息已提交三个月，至今未获审批结果。", named=True)
    dup = _raise(inv[1], "financing", "技术改造贷款贴息审批进度缓慢，希望加快办理。")
    redirected = _raise(inv[2], "other", "园区周边公交线路班次太少，员工上下班不便。")
    _held(meeting, organiser, [0, 1, 2, 4])
    spot = _raise(inv[4], "policy", "想了解高新技术企业认定的奖补政策和申报时间。", at_meeting=True, organiser=organiser)
    reopened = _raise(inv[0], "financing", "应收账款质押融资登记在银行端办理不畅。", at_meeting=True,
                      organiser=organiser)
    stories = [
        Story(kept, before, organiser).assign("CZJ", ("FGW",), after=8).progress().answer(Outcome.solved)
        .rated("satisfied", 40),
        Story(dup, before, organiser).assign("CZJ", after=8).answer(Outcome.duplicate, confirm=False)
        .closed_by_call(Outcome.duplicate, "basically", 20, duplicate_of=kept),
        Story(redirected, before, organiser).assign("ZJJ", after=8).answer(Outcome.redirected, confirm=False)
        .closed_by_call(Outcome.redirected, "basically", 25, redirected_to=_department("JTJ")),
    ]
    problems.answer_on_spot(spot, department_id=_department("KJJ").id,
                            answer="高新技术企业认定奖补按省市政策执行，申报时间为每年5月至6月，科技局可上门辅导。")
    stories.append(Story(spot, day, organiser).rated("satisfied", 3))
    stories[-1].assigned_on, stories[-1].due_on = day, day
    story = Story(reopened, day, organiser).assign("SCJG", ("CZJ",), after=2).progress().answer(Outcome.solved) \
        .rated("unsatisfied", 35)
    stories.append(story)
    return stories, meeting, reopened


def _second(organiser, taken) -> tuple[list[Story], ForumMeeting]:
    """90 days ago, 用地与审批: explained, partly solved, a sign-off, and two overdue."""
    meeting = _meeting(1, taken, organiser)
    inv = meeting.invitations
    _answers(meeting, [True, False, True, True, True, True])
    day = meeting.held_on
    before = day - timedelta(days=5)
    explained = _raise(inv[0], "land", "希望将厂区旁的一块农用地调整为工业用地用于扩建。", named=True)
    partly = _raise(inv[2], "approval", "新建厂房的施工许可和消防审验前后需要四个多月。")
    late = _raise(inv[3], "land", "厂房已竣工一年，不动产权证仍未办下来，影响抵押融资。")
    _held(meeting, organiser, [0, 2, 3, 4, 5])
    unreachable = _raise(inv[4], "inspection", "同一个月内被不同部门上门检查四次，内容大同小异。", at_meeting=True,
                         organiser=organiser)
    late_zjj = _raise(inv[5], "infrastructure", "园区道路破损严重，大货车进出困难。", at_meeting=True,
                      organiser=organiser)
    return [
        Story(explained, before, organiser).assign("ZRZY", after=6).progress().answer(Outcome.explained,
            "该地块属永久基本农田，依法不能调整为工业用地，已向企业说明并推荐园区内可用地块。")
        .rated("basically", 30),
        Story(partly, before, organiser).assign("XZSP", ("ZJJ",), after=6).progress().answer(Outcome.partly_solved)
        .closed_by_call(Outcome.partly_solved, "basically", 45),
        Story(late, before, organiser).assign("BDC", ("ZRZY",), after=6).progress("已调取档案，正在核实土地出让手续。"),
        Story(unreachable, day, organiser).assign("SCJG", ("CGJ",), after=2).answer(Outcome.solved)
        .signed_off(Outcome.solved, 28),
        Story(late_zjj, day, organiser).assign("ZJJ", after=2),
    ], meeting


def _third(organiser, taken) -> tuple[list[Story], ForumMeeting]:
    """30 days ago, 用工与政策兑现: still being handled; the report is not published yet."""
    meeting = _meeting(2, taken, organiser)
    inv = meeting.invitations
    _answers(meeting, [True, True, True, True, None, False])
    day = meeting.held_on
    before = day - timedelta(days=4)
    subsidy = _raise(inv[0], "policy", "去年申报的稳岗补贴至今未到账，多次询问没有明确答复。", named=True)
    workers = _raise(inv[1], "labour", "技术工人招聘困难，希望组织专场招聘会。")
    _held(meeting, organiser, [0, 1, 2, 3])
    solved = _raise(inv[2], "financing", "首贷续贷需要的担保手续繁琐，希望简化。", at_meeting=True,
                    organiser=organiser)
    waiting = _raise(inv[3], "labour", "外地员工子女入学需要的材料太多。", at_meeting=True, organiser=organiser)
    return [
        Story(subsidy, before, organiser).assign("RSJ", ("CZJ",), after=5, workdays=40)
        .progress("已核对申报材料，补贴正在拨付流程中。"),
        Story(workers, before, organiser).assign("RSJ", after=5).progress().answer(Outcome.solved)
        .rated("satisfied", 20),
        Story(solved, day, organiser).assign("CZJ", after=1).answer(Outcome.solved).rated("satisfied", 18),
        Story(waiting, day, organiser),  # recorded at the meeting, not yet accepted
    ], meeting


def _upcoming(organiser, taken) -> ForumMeeting:
    """In three weeks: invitations out, some answered, one problem already submitted through a link."""
    meeting = _meeting(3, taken, organiser)
    inv = meeting.invitations
    invitations.answer(inv[0], True)
    invitations.answer(inv[2], True)
    invitations.answer(inv[3], False)
    _raise(inv[0], "approval", "研发中心的实验室环评审批材料要求不清楚，希望提供一次性告知清单。", named=True)
    return meeting


def seed_forum(base_url: str) -> None:
    """The demo's forum, once; later runs only move the invitations' links in the outbox to ``base_url``."""
    if db.session.scalar(select(ForumMeeting.id).limit(1)) is not None:
        _move_links(base_url)
        return
    # The SMS carry links built as for a request to the demo's address (PUBLIC_BASE_URL wins when it is set).
    with current_app.test_request_context(base_url=base_url):
        _seed(_user("forum"))


def _move_links(base_url: str) -> None:
    """Point the forum's messages in the outbox at ``base_url`` (the demo served on another port)."""
    for message in db.session.scalars(select(SmsOutbox).where(SmsOutbox.kind.like("forum%"))):
        message.text = LINK.sub(base_url + "/f/", message.text)


def _seed(organiser) -> None:
    taken: set[int] = set()
    first, m1, reopened = _first(organiser, taken)
    second, m2 = _second(organiser, taken)
    third, m3 = _third(organiser, taken)
    _upcoming(organiser, taken)
    # The enterprise reopens its unsatisfied problem (within the window, so before its dates move back).
    problems.reopen(reopened, "银行端仍要求线下重复提交材料，问题没有实际解决。")
    for story in first + second + third:
        story.backdate()
    reopen_story = first[-1]
    # The reopened cycle started ten days after the closing and is in progress again.
    for assignment in reopened.current_assignments:
        assignment.assigned_at = _at(reopen_story.ended_on + timedelta(days=1))
        assignment.due_on = local_today() + timedelta(days=12)
    _renumber()
    db.session.flush()
    for index, meeting in enumerate((m1, m2)):
        report.publish(meeting, SUMMARIES[index], actor=organiser)


def _renumber() -> None:
    """Tracking numbers carry the day a problem was raised, as if each had been numbered on its day."""
    per_day: dict[date, int] = {}
    numbered = list(db.session.scalars(select(ForumProblem).order_by(ForumProblem.submitted_at, ForumProblem.id)))
    for problem in numbered:  # out of the way first: a new number may be an old one of another problem
        problem.tracking_number = f"demo-{problem.id}"
    db.session.flush()
    for problem in numbered:
        day = local_date(problem.submitted_at)
        per_day[day] = per_day.get(day, 0) + 1
        problem.tracking_number = f"{problems.TRACKING_PREFIX}{day:%Y%m%d}-{per_day[day]:04d}"


def upcoming_link(base_url: str) -> str | None:
    """The personal link of an invitation to the upcoming meeting not answered yet, as its SMS carries it."""
    invitation = db.session.scalar(
        select(ForumInvitation).join(ForumInvitation.meeting)
        .where(ForumMeeting.status == MeetingStatus.invited, ForumMeeting.held_on >= local_today(),
               ForumInvitation.sent_at.is_not(None), ForumInvitation.attending.is_(None))
        .order_by(ForumInvitation.id).limit(1))
    if invitation is None:
        return None
    with current_app.test_request_context():
        return base_url + url_for("forum.open_link", token=invitations.link_token(invitation))

