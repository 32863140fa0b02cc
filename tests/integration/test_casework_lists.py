"""The lists of overdue and due-soon cases (SQL) agree with what each case says of itself."""
from datetime import timedelta

from sqlalchemy import select

from app.complaints import service as complaints
from app.extensions import db
from app.platform.calendar import add_workdays, local_today
from app.realtime import service as realtime
from app.realtime.models import FollowUpTask, RealtimeRating


def _assignments(make_department, make_user, due_dates):
    """A complaint assigned to one department per due date, the dates then set as given."""
    departments = [make_department() for _day in due_dates]
    complaint, _code = complaints.submit(category="enforcement", department_ids=[d.id for d in departments],
                                         subject="审批超时", description="申请材料齐全，已超过承诺时限仍未办结。")
    complaints.accept(complaint, actor=make_user("complaints"))
    created = complaints.assign(complaint, departments, local_today())
    for assignment, day in zip(created, due_dates, strict=True):
        assignment.due_on = day
    db.session.commit()
    return created


def test_the_overdue_and_due_soon_lists_agree_with_each_assignment(app, make_department, make_user):
    today = local_today()
    days = [today - timedelta(days=3), today - timedelta(days=1), today, add_workdays(today, 2),
            add_workdays(today, 3)]
    created = _assignments(make_department, make_user, days)
    complaints.reply(created[0], "已核实并整改完毕。")  # answered, though late: no longer overdue
    db.session.commit()
    overdue = db.session.scalars(complaints.overdue_query()).all()
    due_soon = db.session.scalars(complaints.due_soon_query()).all()
    assert overdue == [a for a in created if a.overdue(today)] == [created[1]]
    assert due_soon == [a for a in created if a.due_soon(today)] == created[2:4]
    assert created[0].on_time is False


def test_the_overdue_follow_ups_agree_with_each_task(app, make_department):
    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window")
    db.session.commit()
    today = local_today()
    for n, days in enumerate((-2, 0, 2)):
        rating = RealtimeRating(service_point=point, department_id=point.department_id, overall=1,
                                         comment="等候时间过长", client_hash=f"c{n}")
        db.session.add(rating)
        db.session.flush()
        realtime.open_follow_up(rating).due_on = today + timedelta(days=days)
    db.session.commit()
    tasks = db.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id)).all()
    listed = db.session.scalars(realtime.follow_up_query(overdue=True)).all()
    assert listed == [t for t in tasks if t.overdue(today)] == tasks[:1]
    stats = realtime.follow_up_stats(today, today)
    assert stats[point.department_id].overdue == 1 and stats[None].total == 3
