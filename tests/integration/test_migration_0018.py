"""Migration 0018 (issue 16): complaints become cases of the casework engine without losing a complaint, an
assignment, an event or a file — in every state of the lifecycle — and the way back restores them as they were."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

NOW = "2026-11-02 02:00:00+00:00"
LATER = "2026-11-09 03:30:00+00:00"
# (id, number, status, satisfaction, reopen_count, closed_at): one complaint per state, two closed ones (a verdict,
# and a complainant who could not be reached), and one reopened after its first cycle.
COMPLAINTS = [
    (11, "TS20261102-0001", "submitted", None, 0, None),
    (12, "TS20261102-0002", "declined", None, 0, None),
    (13, "TS20261102-0003", "accepted", None, 0, None),
    (14, "TS20261102-0004", "assigned", None, 0, None),
    (15, "TS20261102-0005", "replied", None, 0, None),
    (16, "TS20261102-0006", "closed", "satisfied", 0, LATER),
    (17, "TS20261102-0007", "closed", "unreachable", 0, LATER),
    (18, "TS20261102-0008", "accepted", None, 1, None),
]
# (id, complaint, department, cycle, status, reply, replied_at, substantiated)
ASSIGNMENTS = [
    (101, 14, 1, 1, "pending", "", None, None),
    (102, 14, 2, 1, "withdrawn", "", None, None),
    (103, 15, 1, 1, "replied", "已核查并整改完毕。", LATER, None),
    (104, 16, 1, 1, "replied", "已核查属实并处理。", LATER, True),
    (105, 16, 2, 1, "replied", "经核查不属实。", LATER, False),
    (106, 17, 2, 1, "replied", "已答复。", LATER, False),
    (107, 18, 1, 1, "replied", "处罚依据充分。", LATER, None),
]
# (id, complaint, kind, department, public, note)
EVENTS = [(1001, c[0], "submitted", None, True, "") for c in COMPLAINTS] + [
    (1101, 12, "declined", None, True, "已进入诉讼程序"), (1102, 16, "substantiated", 1, False, ""),
    (1103, 18, "reopened", None, True, "投诉人不满意"), (1104, 14, "withdrawn", 2, False, "交办错误")]
EVENTS = [(i + n, *rest) for n, (i, *rest) in enumerate(EVENTS)]
# (id, complaint, assignment, stored name, shared): the complainant's file, and a department's evidence
ATTACHMENTS = [(201, 16, None, "a" * 32 + ".png", False), (202, 16, 104, "b" * 32 + ".pdf", True)]


def _seed(connection) -> None:
    run = lambda sql, **values: connection.execute(text(sql), values)  # noqa: E731
    for number, (code, name) in enumerate([("SCJG", "市场监管局"), ("ZJJ", "住建局")], start=1):
        run("INSERT INTO departments (id, code, name, kind, active, sort_order, created_at, updated_at) "
            "VALUES (:id, :code, :name, 'service', :yes, :id, :now, :now)", id=number, code=code, name=name, yes=True,
            now=NOW)
    for id_, number, status, satisfaction, reopened, closed_at in COMPLAINTS:
        run("INSERT INTO complaints (id, tracking_number, query_code_hash, category, subject, description, district, "
            "complainant_name, complainant_organisation, complainant_phone, complainant_phone_masked, "
            "complainant_contact, status, submitted_at, decline_reason, public_reply, closed_at, satisfaction, "
            "reopen_count) VALUES (:id, :number, 'scrypt$x', 'enforcement', :subject, '执法人员多次上门检查', '东城区', "
            "'张三', '', 'sealed', '138****8000', '', :status, :now, :decline, :reply, :closed_at, :satisfaction, "
            ":reopened)", id=id_, number=number, subject=f"投诉{id_}", status=status, now=NOW,
            decline="已进入诉讼程序" if status == "declined" else "", reply="已办结" if closed_at else "",
            closed_at=closed_at, satisfaction=satisfaction, reopened=reopened)
    run("INSERT INTO complaint_departments (complaint_id, department_id) VALUES (16, 1), (16, 2)")
    for id_, complaint, department, cycle, status, reply, replied_at, substantiated in ASSIGNMENTS:
        run("INSERT INTO complaint_assignments (id, complaint_id, department_id, cycle, instructions, assigned_at, "
            "due_on, status, reminder_count, reply, replied_at, substantiated) VALUES (:id, :complaint, "
            ":department, :cycle, '请核实', :now, '2026-11-16', :status, 1, :reply, :replied_at, :substantiated)",
            id=id_, complaint=complaint, department=department, cycle=cycle, status=status, reply=reply,
            replied_at=replied_at, substantiated=substantiated, now=NOW)
    for id_, complaint, kind, department, public, note in EVENTS:
        run("INSERT INTO complaint_events (id, complaint_id, at, kind, department_id, note, public) VALUES (:id, "
            ":complaint, :now, :kind, :department, :note, :public)", id=id_, complaint=complaint, kind=kind,
            department=department, note=note, public=public, now=NOW)
    for id_, complaint, assignment, stored_name, shared in ATTACHMENTS:
        run("INSERT INTO complaint_attachments (id, complaint_id, assignment_id, stored_name, original_name, "
            "content_type, size, sha256, uploaded_at, shared) VALUES (:id, :complaint, :assignment, :stored, "
            "'证据', 'image/png', 10, :sha, :now, :shared)", id=id_, complaint=complaint, assignment=assignment,
            stored=stored_name, sha="c" * 64, now=NOW, shared=shared)


def _old_rows(connection) -> dict:
    """Everything the complaints centre held before 0018, as plain tuples."""
    query = lambda sql: sorted(tuple(row) for row in connection.execute(text(sql)))  # noqa: E731
    return {
        "complaints": query("SELECT id, tracking_number, subject, status, satisfaction, reopen_count, decline_reason, "
                            "public_reply, complainant_name, district FROM complaints"),
        "assignments": query("SELECT id, complaint_id, department_id, cycle, status, reply, substantiated, "
                             "reminder_count FROM complaint_assignments"),
        "events": query("SELECT id, complaint_id, kind, department_id, public, note FROM complaint_events"),
        "attachments": query("SELECT id, complaint_id, assignment_id, stored_name, shared FROM complaint_attachments"),
        "departments": query("SELECT complaint_id, department_id FROM complaint_departments"),
    }


def test_0018_keeps_every_complaint_assignment_event_and_file_and_comes_back(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0017")
            with db.engine.begin() as connection:
                _seed(connection)
                before = _old_rows(connection)
            upgrade(revision="0018")
            assert not {"complaint_assignments", "complaint_events", "complaint_attachments"} & set(
                inspect(db.engine).get_table_names())
            _check_through_the_models(before)
            downgrade(revision="0017")
            with db.engine.connect() as connection:
                after = _old_rows(connection)
            assert after == before
        finally:
            db.session.remove()
            db.engine.dispose()


def _check_through_the_models(before: dict) -> None:
    from app.casework.models import AssignmentStatus, CaseAssignment, CaseAttachment, CaseEvent, CaseKind, \
        CaseStatus, Confirmation
    from app.complaints.models import Complaint

    found = {c.id: c for c in db.session.scalars(select(Complaint))}
    assert sorted(found) == [c[0] for c in COMPLAINTS]
    for id_, number, status, satisfaction, reopened, closed_at in COMPLAINTS:
        complaint = found[id_]
        assert (complaint.kind, complaint.tracking_number, complaint.status.value, complaint.reopen_count) == \
            (CaseKind.complaint, number, status, reopened)
        assert (complaint.satisfaction.value if complaint.satisfaction else None) == satisfaction
        assert complaint.complainant_name == "张三" and complaint.subject == f"投诉{id_}"
        # No outcome was recorded before 0018; a verdict was a handler's call, an unreachable one is no confirmation.
        assert complaint.outcome is None
        assert complaint.confirmation == (Confirmation.staff_call if satisfaction == "satisfied" else None)
    assert found[12].decline_reason == "已进入诉讼程序" and [d.code for d in found[16].departments] == ["SCJG", "ZJJ"]
    assignments = {a.id: a for a in db.session.scalars(select(CaseAssignment))}
    assert sorted((a.id, a.case_id, a.department_id, a.status.value, a.substantiated) for a in assignments.values()) \
        == sorted((row[0], row[1], row[2], row[4], row[6]) for row in before["assignments"])
    assert all(a.lead for a in assignments.values())
    assert assignments[103].acknowledged_at is not None and assignments[101].acknowledged_at is None
    assert [a.id for a in found[14].current_assignments] == [101]
    assert found[18].current_assignments == []  # reopened: its first cycle's assignment is history
    assert assignments[101].status == AssignmentStatus.pending
    events = db.session.scalars(select(CaseEvent)).all()
    assert sorted((e.id, e.case_id, e.kind) for e in events) == sorted((row[0], row[1], row[2])
                                                                       for row in before["events"])
    files = {f.id: f for f in db.session.scalars(select(CaseAttachment))}
    assert files[202].assignment.id == 104 and files[202].case.id == 16 and files[201].assignment is None
    db.session.remove()


def test_0018_the_engine_works_on_the_moved_complaints(empty_database_url):  # noqa: F811
    """The replied complaint closes through the engine, and a complaint filed after gets the next id."""
    from app.casework.models import CaseStatus
    from app.complaints import service as complaints
    from app.complaints.models import Complaint

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0017")
            with db.engine.begin() as connection:
                _seed(connection)
            upgrade(revision="0018")
            found = {c.id: c for c in db.session.scalars(select(Complaint))}
            complaints.close(found[15], outcome="solved", satisfaction="satisfied",
                             public_reply="已整改完毕，感谢监督。",
                             substantiated_department_ids=[])
            new, _code = complaints.submit(category="enforcement", department_ids=[1], subject="迁移后的投诉",
                                           description="迁移后提交的投诉应得到新的编号。")
            db.session.commit()
            assert new.id > max(found) and found[15].status == CaseStatus.closed
        finally:
            db.session.remove()
            db.engine.dispose()
