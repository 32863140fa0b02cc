"""`flask users create`, `flask demo`."""
import re

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.demo import ACCOUNTS, DEPARTMENTS
from app.departments.models import Department
from app.extensions import db
from app.platform.roles import Role
from app.pool.models import Respondent
from app.rounds.models import InvitationSubmission
from app.sms.models import SmsOutbox


def test_users_create_makes_an_account_that_can_log_in(runner, client):
    result = runner.invoke(args=["users", "create", "zhang", "--role", "hr", "--password", "A-Long-Password-1"])
    assert result.exit_code == 0, result.output
    response = client.post_form("/login", {"username": "zhang", "password": "A-Long-Password-1"})
    assert response.status_code == 302
    assert db.session.scalar(select(User.role).where(User.username == "zhang")) == Role.hr


def test_users_create_liaison_needs_a_known_department(runner, make_department):
    result = runner.invoke(args=["users", "create", "li", "--role", "liaison", "--password", "A-Long-Password-1"])
    assert result.exit_code != 0 and "department" in result.output
    result = runner.invoke(args=["users", "create", "li", "--role", "liaison", "--department", "NOPE",
                                 "--password", "A-Long-Password-1"])
    assert result.exit_code != 0 and "NOPE" in result.output
    make_department("SCJG", "市市场监督管理局")
    result = runner.invoke(args=["users", "create", "li", "--role", "liaison", "--department", "SCJG",
                                 "--password", "A-Long-Password-1"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "li")).department.code == "SCJG"


def test_users_create_refuses_duplicates_and_short_passwords(runner):
    assert runner.invoke(args=["users", "create", "a", "--role", "hr", "--password", "short"]).exit_code != 0
    weak = runner.invoke(args=["users", "create", "a", "--role", "hr", "--password", "Password123!"])
    assert weak.exit_code != 0 and "too easy to guess" in weak.output  # the one policy (#24 finding 5)
    assert runner.invoke(args=["users", "create", "a", "--role", "hr", "--password", "Long-Enough-Pw-1"]).exit_code == 0
    result = runner.invoke(args=["users", "create", "A", "--role", "hr", "--password", "Long-Enough-Pw-1"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_demo_seeds_every_role_and_is_idempotent(runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for account in ACCOUNTS:
        assert account.username in first.output and account.password in first.output
    counts = (db.session.scalar(select(func.count()).select_from(Department)),
              db.session.scalar(select(func.count()).select_from(User)),
              db.session.scalar(select(func.count()).select_from(AuditEntry)))
    assert counts[0] == len(DEPARTMENTS) >= 30 and counts[1] == len(ACCOUNTS)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert (db.session.scalar(select(func.count()).select_from(Department)),
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(AuditEntry))) == counts
    admin = next(a for a in ACCOUNTS if a.role == Role.admin)
    assert client.post_form("/login", {"username": admin.username, "password": admin.password}).status_code == 302
    assert "市市场监督管理局" in client.get("/admin/departments/").get_data(as_text=True)
    # the open round: 500 invitations in the outbox; the links of those who have not answered yet work
    messages = db.session.scalars(select(SmsOutbox).where(SmsOutbox.kind == "invitation")).all()
    assert len(messages) == 500 and db.session.scalar(select(func.count()).select_from(Respondent)) == 2000
    answered = set(db.session.scalars(select(InvitationSubmission.invitation_id)))
    waiting = next(m for m in messages if m.invitation_id not in answered)
    token = re.search(r"/s/([A-Za-z0-9_-]{22})", waiting.text).group(1)
    assert client.get(f"/s/{token}").headers["Location"] == "/s/survey"
