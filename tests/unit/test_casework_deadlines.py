"""Casework deadlines and figures as a department sees them: when a case is due, overdue, due soon, on time."""
from datetime import date, datetime, timezone

import pytest

from app.casework.deadlines import answered_on_time, due_date
from app.casework.figures import CaseFigures, figures_by_department

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)
SATURDAY, SUNDAY, MONDAY = date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)
TUESDAY, WEDNESDAY = date(2026, 12, 1), date(2026, 12, 2)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def kinds(app):
    """One case of each kind: a complaint assignment and a follow-up of a dissatisfied rating."""
    from app.casework.models import AssignmentStatus, CaseAssignment
    from app.realtime.models import FollowUpStatus, FollowUpTask

    def assignment(due_on, department_id=1, replied_at=None):
        status = AssignmentStatus.pending if replied_at is None else AssignmentStatus.replied
        return CaseAssignment(due_on=due_on, department_id=department_id, status=status, replied_at=replied_at)

    def follow_up(due_on, department_id=1, completed_at=None):
        status = FollowUpStatus.open if completed_at is None else FollowUpStatus.done
        return FollowUpTask(due_on=due_on, department_id=department_id, status=status, completed_at=completed_at)

    return [assignment, follow_up]


def test_a_case_due_on_friday_is_overdue_from_saturday_while_it_waits(kinds):
    for make in kinds:
        case = make(FRIDAY)
        assert not case.overdue(THURSDAY) and not case.overdue(FRIDAY)
        assert case.overdue(SATURDAY) and case.overdue(SUNDAY)
        assert case.on_time is None


def test_a_case_answered_on_its_due_date_is_never_overdue_and_counts_as_on_time(kinds):
    for make in kinds:
        case = make(FRIDAY, **{"replied_at" if make is kinds[0] else "completed_at": utc(FRIDAY, 3)})
        assert not case.overdue(SUNDAY) and case.answered and case.on_time is True


def test_on_time_is_judged_by_the_local_day_of_the_answer(app):
    # 23:30 in Shanghai on the due date is on time; 00:30 the next morning is late, though both are Friday in UTC.
    assert answered_on_time(utc(FRIDAY, 15, 30), FRIDAY) is True
    assert answered_on_time(utc(FRIDAY, 16, 30), FRIDAY) is False
    assert answered_on_time(None, FRIDAY) is None


def test_the_due_date_counts_working_days_from_the_local_day(app):
    app.config["WORKDAY_HOLIDAYS"], app.config["WORKDAY_EXTRA_WORKDAYS"] = "", ""
    assert due_date(FRIDAY, 1) == MONDAY
    assert due_date(THURSDAY, 1) == FRIDAY
    # 00:30 on Friday in Shanghai is still Thursday in UTC: the deadline runs from Friday.
    assert due_date(utc(THURSDAY, 16, 30), 1) == MONDAY
    app.config["WORKDAY_HOLIDAYS"] = MONDAY.isoformat()
    assert due_date(FRIDAY, 1) == TUESDAY


def test_due_soon_means_due_within_two_working_days(app, kinds):
    app.config["WORKDAY_HOLIDAYS"], app.config["WORKDAY_EXTRA_WORKDAYS"] = "", ""
    for make in kinds:
        assert make(FRIDAY).due_soon(FRIDAY) and make(TUESDAY).due_soon(FRIDAY)
        assert not make(WEDNESDAY).due_soon(FRIDAY) and not make(THURSDAY).due_soon(FRIDAY)


def test_the_on_time_rate_counts_what_was_answered_by_its_due_date(kinds):
    assignment = kinds[0]
    cases = [
        assignment(THURSDAY, 1, replied_at=utc(THURSDAY, 2)),   # on time
        assignment(THURSDAY, 1, replied_at=utc(FRIDAY, 2)),     # late
        assignment(THURSDAY, 1),                                 # overdue on Friday
        assignment(MONDAY, 1),                                   # still within its time: not judged yet
        assignment(MONDAY, 2, replied_at=utc(FRIDAY, 2)),       # another department, on time
    ]
    figures = figures_by_department(cases, FRIDAY)
    first = figures[1]
    assert (first.total, first.answered, first.on_time, first.late, first.overdue) == (4, 2, 1, 1, 1)
    assert first.on_time_rate == pytest.approx(1 / 3)
    assert figures[2].on_time_rate == 1.0
    assert (figures.city.total, figures.city.on_time) == (5, 2) and figures.city.on_time_rate == 0.5
    assert set(figures) == {1, 2}


def test_no_rate_before_any_deadline_has_been_put_to_the_test():
    assert CaseFigures().on_time_rate is None
    assert CaseFigures(total=3).on_time_rate is None
