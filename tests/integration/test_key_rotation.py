"""Rotating PHONE_ENCRYPTION_KEY: the old key still reads, `flask phones rekey` moves everything to the new one,
the lookup hashes (PHONE_INDEX_KEY) never change, so opted-out and erased numbers stay refused; refusals that
keep a rotation from losing data or changing the hashes; no number in any output."""
import logging
import secrets
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from app.accounts import two_factor
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.complaints import service as complaints
from app.complaints.models import Complaint
from app.extensions import db
from app.maintenance import retention
from app.platform.phones import PhoneKeyError, PhoneVault, current_vault
from app.pool import service as pool
from app.pool.models import MemberStatus, Respondent
from app.realtime import service as realtime
from app.realtime.models import FollowUpTask
from tests.conftest import PASSWORD
from tests.integration.test_pool_import import csv_bytes, run_import
from tests.integration.test_two_factor import enrol, logged_in, next_code, password_step

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
MEMBER_ROWS = [
    ["张伟", "四上企业", "高新区", "星河电子有限公司", "13800000001"],  # opted out, then erased: only the hash is left
    ["李娜", "sme", "城关区", "李记餐饮", "13800000002"],           # active
    ["王芳", "办事群众", "东湖区", "", "13800000003"],              # opted out, number still stored
]
COMPLAINANT = "13912345678"
CALLBACK = "13900139000"
EVERY_NUMBER = [row[4] for row in MEMBER_ROWS] + [COMPLAINANT, CALLBACK]


def member(key: str) -> Respondent:
    return db.session.scalar(select(Respondent).where(Respondent.key == key))


def browser_as(app, user):
    client = app.test_client()
    response = client.post_form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def stored_values() -> dict[str, list]:
    db.session.expire_all()
    return {
        "members": db.session.execute(select(Respondent.key, Respondent.phone, Respondent.phone_hash)
                                      .order_by(Respondent.key)).all(),
        "complaints": db.session.scalars(select(Complaint.complainant_phone)).all(),
        "callbacks": db.session.scalars(select(FollowUpTask.callback_phone)).all(),
        "secrets": db.session.scalars(select(User.totp_secret).where(User.totp_secret.is_not(None))).all(),
    }


def rekey_entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "phones.rekey")))


def use_keys(app, current: str, old: str = "", index: str | None = None) -> None:
    app.config.update(PHONE_ENCRYPTION_KEY=current, PHONE_ENCRYPTION_OLD_KEYS=old, PHONE_INDEX_KEY=index)


@pytest.fixture
def sealed_under_a(app, make_user, make_department):
    """Everything the vault seals, sealed with key A: pool members (one opted out and erased, one opted out), a
    complainant's number, a call-back number, an enrolled TOTP secret; and the users who see them."""
    use_keys(app, KEY_A)
    run_import(csv_bytes(MEMBER_ROWS))
    pool.set_status(member("P000001"), MemberStatus.opted_out, "回复TD退订")
    db.session.commit()
    retention.purge(today=date.today() + timedelta(days=400))  # P000001 left long ago: erased but for its hash
    db.session.commit()
    pool.set_status(member("P000003"), MemberStatus.opted_out, "本人要求")
    db.session.commit()

    department = make_department(name="市市场监督管理局")
    complaint, _code = complaints.submit(category="enforcement", department_ids=[department.id], subject="执法检查",
                                         description="执法人员暗示需要“表示”。", phone=COMPLAINANT)
    point = realtime.create_point(department, code="W01", name="1号窗口", kind="window")
    db.session.commit()
    app.test_client().post_form(f"/r/{point.slug}", {"overall": 1, "efficiency": 1, "competence": 1, "attitude": 1,
                                                     "comment": "办事等候时间过长，无人解释", "callback_phone": CALLBACK})
    task = db.session.scalar(select(FollowUpTask))
    assert task is not None and task.callback_phone.startswith("fernet:")

    hr = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, hr))
    values = stored_values()
    assert all(v.startswith("fernet:") for v in values["complaints"] + values["callbacks"] + values["secrets"])
    return {"complaint": complaint.tracking_number, "task": task.id, "hr": hr, "totp": totp,
            "liaison": make_user("liaison", username="liaison", department=department),
            "handler": make_user("complaints", username="handler"), "operator": make_user("operator")}


def index_key_under_a(runner) -> str:
    result = runner.invoke(args=["phones", "show-index-key"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def assert_pages_read_every_number(app, world) -> None:
    """The masked numbers on the pages, and the full ones where a reveal shows them."""
    pool_page = browser_as(app, world["operator"]).get("/admin/pool/?status=").get_data(as_text=True)
    assert "138****0002" in pool_page and "138****0003" in pool_page
    handler = browser_as(app, world["handler"])
    number = world["complaint"]
    assert "139****5678" in handler.get(f"/admin/complaints/{number}").get_data(as_text=True)
    assert COMPLAINANT in handler.post_form(f"/admin/complaints/{number}/phone").get_data(as_text=True)
    liaison = browser_as(app, world["liaison"])
    assert "139****9000" in liaison.get(f"/admin/realtime/follow-ups/{world['task']}").get_data(as_text=True)
    revealed = liaison.post_form(f"/admin/realtime/follow-ups/{world['task']}/callback")
    assert CALLBACK in revealed.get_data(as_text=True)


def assert_opted_out_numbers_refused() -> None:
    """Both opted-out members (the erased one exists only as its hash) are refused; the active one is found."""
    plan, result = run_import(csv_bytes(MEMBER_ROWS))
    assert result is None
    assert sorted((e.row, e.column) for e in plan.errors) == [(2, "phone"), (4, "phone")]
    assert "P000001" in plan.errors[0].reason or "P000001" in plan.errors[1].reason
    plan, result = run_import(csv_bytes([MEMBER_ROWS[1]]))
    assert (result.added, result.unchanged) == (0, 1)  # found by its hash, not enrolled again


def test_a_rotation_keeps_every_number_readable_and_every_hash(app, runner, sealed_under_a, caplog):
    world = sealed_under_a
    caplog.set_level(logging.DEBUG)
    index_key = index_key_under_a(runner)
    assert index_key == current_vault().index_key_hex and len(index_key) == 64
    before = stored_values()

    # The new key in place, the old one kept for reading.
    use_keys(app, KEY_B, old=KEY_A, index=index_key)
    assert_pages_read_every_number(app, world)
    login = password_step(app, world["hr"]).post_form("/login/code", {"code": next_code(world["totp"])})
    assert login.headers["Location"] == "/"  # the TOTP secret sealed with A still checks codes

    dry = runner.invoke(args=["phones", "rekey", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "respondents.phone: 2 to re-encrypt" in dry.output  # P000001's number is erased
    assert "complaints.complainant_phone: 1 to re-encrypt" in dry.output
    assert "realtime_follow_ups.callback_phone: 1 to re-encrypt" in dry.output
    assert "users.totp_secret: 1 to re-encrypt" in dry.output
    assert stored_values() == before and not rekey_entries()  # the dry run changed nothing

    done = runner.invoke(args=["phones", "rekey"])
    assert done.exit_code == 0, done.output
    assert "respondents.phone: 2 re-encrypted" in done.output and "users.totp_secret: 1 re-encrypted" in done.output
    assert "remove PHONE_ENCRYPTION_OLD_KEYS" in done.output
    after = stored_values()
    only_b, only_a = PhoneVault(KEY_B, index_key=index_key), PhoneVault(KEY_A)
    sealed = [phone for _key, phone, _hash in after["members"] if phone] + after["complaints"] + after["callbacks"]
    assert sorted(only_b.open(v) for v in sealed) == sorted(f"+86{n}" for n in ("13800000002", "13800000003",
                                                                                COMPLAINANT, CALLBACK))
    assert only_b.open(after["secrets"][0]) == world["totp"].secret
    for value in sealed + after["secrets"]:
        with pytest.raises(RuntimeError):
            only_a.open(value)
    assert [h for *_, h in after["members"]] == [h for *_, h in before["members"]]  # the hashes did not change
    [entry] = rekey_entries()
    assert entry.actor_name == "cli" and entry.details["respondents.phone"] == 2
    assert entry.details["users.totp_secret"] == 1 and entry.details["still_under_an_old_key"] == 0

    again = runner.invoke(args=["phones", "rekey"])
    assert again.exit_code == 0 and "respondents.phone: 0 re-encrypted" in again.output
    assert stored_values() == after  # idempotent

    # The old key gone from the environment: everything still reads, the opt-outs still hold.
    use_keys(app, KEY_B, index=index_key)
    assert_pages_read_every_number(app, world)
    assert_opted_out_numbers_refused()

    said = dry.output + done.output + again.output + caplog.text + str([e.details for e in rekey_entries()])
    for number in EVERY_NUMBER:
        assert number not in said and number[-8:] not in said
    assert world["totp"].secret not in said and KEY_A not in said and KEY_B not in said


def test_without_an_explicit_index_key_rekey_refuses_and_changes_nothing(app, runner, sealed_under_a):
    before = stored_values()
    result = runner.invoke(args=["phones", "rekey"])
    assert result.exit_code == 1
    assert "PHONE_INDEX_KEY is not set" in result.output and "flask phones show-index-key" in result.output
    assert stored_values() == before and not rekey_entries()
    # The dry run still counts, and warns that the real run will refuse.
    dry = runner.invoke(args=["phones", "rekey", "--dry-run"])
    assert dry.exit_code == 0 and "respondents.phone: 0 to re-encrypt, 0 clear-text values to encrypt, " \
                                  "2 already under the current key" in dry.output
    assert "PHONE_INDEX_KEY is not set" in dry.stderr


def test_a_new_key_without_an_index_key_is_refused_rather_than_changing_the_hashes(app, runner, sealed_under_a):
    use_keys(app, KEY_B, old=KEY_A)
    with pytest.raises(PhoneKeyError, match="PHONE_INDEX_KEY is not"):
        current_vault()
    for args in (["phones", "rekey"], ["phones", "show-index-key"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "PHONE_INDEX_KEY is not" in result.output, args
    # Derived from key B, the hashes would no longer find the opted-out members: with key A's, they do.
    assert PhoneVault(KEY_B).lookup_hash("+8613800000001") != member("P000001").phone_hash
    assert PhoneVault(KEY_A).lookup_hash("+8613800000001") == member("P000001").phone_hash


def test_values_no_configured_key_decrypts_stop_the_rekey_naming_the_rows(app, runner, sealed_under_a):
    index_key = index_key_under_a(runner)
    use_keys(app, KEY_B, old=Fernet.generate_key().decode(), index=index_key)  # key A forgotten
    before = stored_values()
    result = runner.invoke(args=["phones", "rekey"])
    assert result.exit_code == 1 and "No configured key decrypts these values" in result.output
    ids = ", ".join(str(i) for i in db.session.scalars(select(Respondent.id).where(Respondent.phone != "")
                                                           .order_by(Respondent.id)))
    assert f"respondents.phone (ids {ids})" in result.output and "users.totp_secret (ids" in result.output
    assert stored_values() == before and not rekey_entries()
    for number in EVERY_NUMBER:
        assert number not in result.output


def test_clear_text_left_from_before_encryption_gets_encrypted(app, runner, make_user):
    hr = make_user("hr", username="khb")
    secret = two_factor.start_enrolment(hr)
    db.session.commit()
    assert db.session.scalar(select(User.totp_secret)) == secret  # no key yet: stored as is
    use_keys(app, KEY_A, index=secrets.token_hex(32))
    result = runner.invoke(args=["phones", "rekey"])
    assert result.exit_code == 0, result.output
    assert "users.totp_secret: 0 re-encrypted, 1 clear-text values encrypted" in result.output
    stored = db.session.scalar(select(User.totp_secret))
    assert stored.startswith("fernet:") and PhoneVault(KEY_A).open(stored) == secret
    assert two_factor.pending_secret(db.session.get(User, hr.id)) == secret  # the service still reads it


@pytest.mark.parametrize("settings,named", [
    ({"PHONE_INDEX_KEY": "not-hex"}, "PHONE_INDEX_KEY must be 64 hexadecimal digits"),
    ({"PHONE_INDEX_KEY": "ab" * 16}, "PHONE_INDEX_KEY must be 64 hexadecimal digits"),
    ({"PHONE_ENCRYPTION_OLD_KEYS": f"{KEY_B}, not-a-key"}, "PHONE_ENCRYPTION_OLD_KEYS (key 2) is not a Fernet key"),
    ({"PHONE_ENCRYPTION_KEY": "not-a-key"}, "PHONE_ENCRYPTION_KEY is not a Fernet key"),
])
def test_unusable_key_settings_are_named_without_their_value(app, runner, settings, named):
    app.config.update(PHONE_ENCRYPTION_KEY=KEY_A, PHONE_INDEX_KEY=secrets.token_hex(32))
    app.config.update(settings)
    result = runner.invoke(args=["phones", "rekey"])
    assert result.exit_code == 1 and named in result.output
    assert "not-hex" not in result.output and "not-a-key" not in result.output
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "phones.rekey")) == 0
