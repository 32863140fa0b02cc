"""`flask retention purge`: personal data kept past its period is erased; draws still verify; opt-outs still hold."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.complaints import service as complaints
from app.casework.models import CaseAttachment
from app.complaints.models import Complaint
from app.extensions import db
from app.maintenance import retention
from app.pool import service as pool
from app.pool.models import MemberStatus, Respondent
from app.rounds import draws, service as rounds
from app.sms.models import SmsDailyCount
from tests.integration.survey_helpers import open_round
from tests.integration.test_complaints import PNG
from tests.integration.test_pool_import import csv_bytes, run_import

PHONES = ["13800000001", "13800000002", "13800000003", "13800000004"]
LATER = date.today() + timedelta(days=400)  # past the default 365 days for members
MUCH_LATER = date.today() + timedelta(days=800)  # past the default 730 days for complaints


def member(key: str) -> Respondent:
    db.session.expire_all()
    return db.session.scalar(select(Respondent).where(Respondent.key == key))


@pytest.fixture
def departed(app):
    """P000001 active, P000002 paused, P000003 opted out, P000004 opted out: all but the first left today."""
    run_import(csv_bytes([[f"成员{i}", "sme", "城关区", f"单位{i}", phone] for i, phone in enumerate(PHONES, 1)]))
    pool.set_status(member("P000002"), MemberStatus.paused, "出国一年")
    pool.set_status(member("P000003"), MemberStatus.opted_out, "回复TD退订")
    pool.set_status(member("P000004"), MemberStatus.opted_out, "本人要求")
    db.session.commit()


def test_members_who_left_long_ago_lose_name_organisation_and_phone(app, departed):
    before = {m.key: (m.name, m.phone_hash) for m in db.session.scalars(select(Respondent))}
    assert retention.purge(today=date.today() + timedelta(days=364)).members == 0  # not yet
    db.session.commit()
    counts = retention.purge(today=LATER)
    db.session.commit()
    assert (counts.members, counts.opted_out_hashes_kept) == (3, 2)
    active = member("P000001")
    assert (active.name, active.erased_on) == ("成员1", None) and active.phone
    for key in ("P000002", "P000003", "P000004"):
        gone = member(key)
        assert gone.name == retention.ERASED and gone.organisation == "" and gone.attributes == {}
        assert gone.phone == "" and gone.phone_masked == "" and gone.erased_on == LATER
        assert gone.key == key and gone.category.key == "sme" and gone.district == "城关区"  # the draw's data
    assert member("P000002").phone_hash == ""  # paused: nothing left that finds them by phone
    assert member("P000003").phone_hash == before["P000003"][1]  # opted out: kept to honour the opt-out
    assert retention.purge(today=LATER).members == 0  # once is enough


def test_an_erased_opted_out_number_is_still_not_re_enrolled(app, departed):
    retention.purge(today=LATER)
    db.session.commit()
    plan, result = run_import(csv_bytes([["新名字", "sme", "城关区", "", PHONES[2]]]))
    # "Member P000003 opted out on … and is not re-enrolled by an import"
    assert result is None and [(e.column, "P000003" in e.reason) for e in plan.errors] == [("phone", True)]
    # The paused member's number is no longer known: importing it enrols a new member, as for anyone.
    plan, result = run_import(csv_bytes([["新成员", "sme", "城关区", "", PHONES[1]]]))
    assert result is not None and result.added == 1
    assert member("P000005").status == MemberStatus.active and member("P000002").phone == ""


def test_an_erased_member_is_reactivated_only_after_their_details_are_entered_again(app, departed):
    retention.purge(today=LATER)
    db.session.commit()
    with pytest.raises(pool.PoolError):
        pool.set_status(member("P000003"), MemberStatus.active)
    assert member("P000003").status == MemberStatus.opted_out
    erased = member("P000003")
    pool.update_member(erased, name="回来的人", category_id=erased.category_id, district="城关区", organisation="",
                       phone=PHONES[2])
    pool.set_status(erased, MemberStatus.active)
    db.session.commit()
    back = member("P000003")
    assert back.status == MemberStatus.active and back.phone_masked == "138****0003"


def test_past_draws_still_verify_after_the_purge(app, make_department):
    campaign = open_round(make_department, members=12)
    draw = campaign.draws[0]
    evidence = draws.evidence_files(draw)
    assert draws.verify(draw).ok
    keys = [m.key for m in db.session.scalars(select(Respondent).order_by(Respondent.key).limit(4))]
    for key in keys:
        pool.set_status(member(key), MemberStatus.opted_out, "回复TD退订")
    db.session.commit()
    assert retention.purge(today=LATER).members == 0  # the round is still open: it may still text them
    rounds.close(campaign, None)
    db.session.commit()
    assert retention.purge(today=LATER).members == 4
    db.session.commit()
    db.session.expire_all()
    assert all(member(key).phone == "" for key in keys)
    assert draws.evidence_files(draw) == evidence and draws.verify(draw).ok


def file_complaint(department, **identity):
    complaint, _code = complaints.submit(category="enforcement", department_ids=[department.id], subject="窗口推诿",
                                         description="多次办理未果，工作人员推诿。", **identity)
    return complaint


def test_complainants_contacts_are_erased_long_after_closing(app, make_department):
    department = make_department()
    identity = {"name": "赵六", "organisation": "某公司", "phone": "13900000009", "contact": "微信 zhaoliu"}
    declined = file_complaint(department, **identity)
    complaints.decline(declined, "不属于受理范围")
    closed = file_complaint(department, **identity, files=[("身份证.png", PNG)])
    complaints.accept(closed)
    assignment, = complaints.assign(closed, [department], complaints.default_due_date())
    complaints.reply(assignment, "已经核实并整改", files=[("整改通知.png", PNG)])
    complaints.close(closed, outcome="solved", satisfaction="satisfied", public_reply="已整改完毕，感谢监督",
                     substantiated_department_ids=[department.id])
    still_open = file_complaint(department, **identity)
    anonymous = file_complaint(department)
    complaints.decline(anonymous, "不属于受理范围")
    db.session.commit()
    ids = {"declined": declined.id, "closed": closed.id, "open": still_open.id, "anonymous": anonymous.id}
    evidence, id_card = sorted(db.session.scalars(select(CaseAttachment)), key=lambda a: a.assignment_id is None)
    id_card_file = complaints.attachment_path(id_card)
    assert id_card_file.is_file()
    assert retention.purge(today=date.today() + timedelta(days=700)).complaints == 0
    counts = retention.purge(today=MUCH_LATER)
    assert (counts.complaints, counts.complainant_attachments) == (2, 1)
    db.session.commit()
    db.session.expire_all()
    # The complainant's own file goes with their identity; the department's evidence stays with the record.
    assert [a.original_name for a in db.session.scalars(select(CaseAttachment))] == ["整改通知.png"]
    assert not id_card_file.exists() and complaints.attachment_path(evidence).is_file()
    for name in ("declined", "closed"):
        erased = db.session.get(Complaint, ids[name])
        assert (erased.complainant_name, erased.complainant_organisation, erased.complainant_phone,
                erased.complainant_phone_masked, erased.complainant_phone_hash) == ("", "", "", "", None)
        assert erased.complainant_contact == retention.ERASED and not erased.anonymous  # still a named complaint
        assert erased.description and erased.tracking_number  # the complaint itself is kept
    kept = db.session.get(Complaint, ids["open"])
    assert kept.complainant_name == "赵六" and kept.complainant_phone_masked == "139****0009"
    assert db.session.get(Complaint, ids["anonymous"]).anonymous


def test_old_daily_sms_counters_are_deleted(app):
    today = date.today()
    db.session.add_all([SmsDailyCount(phone_hash="a" * 64, day=today - timedelta(days=8), count=2),
                        SmsDailyCount(phone_hash="a" * 64, day=today, count=1)])
    db.session.commit()
    assert retention.purge().sms_daily_counters == 1
    db.session.commit()
    assert db.session.scalars(select(SmsDailyCount.day)).all() == [today]


def test_the_command_counts_in_a_dry_run_then_erases_and_audits_without_personal_data(app, runner, departed):
    for key in ("P000002", "P000003"):  # left more than a year ago
        member(key).status_changed_on = date.today() - timedelta(days=366)
        db.session.commit()
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would erase: 2 departed members" in dry.output and "1 opted out" in dry.output
    assert member("P000002").name == "成员2"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    done = runner.invoke(args=["retention", "purge"])
    assert done.exit_code == 0 and "erased: 2 departed members" in done.output
    assert member("P000002").phone == "" and member("P000003").phone == "" and member("P000004").phone
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "retention.purge" and entry.details["members"] == 2
    text = json.dumps(entry.details, ensure_ascii=False)
    assert not any(secret in text for secret in ["成员2", "成员3", "P000002", "0000002", "0000003"])
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_call_back_numbers_and_expired_sms_codes_go_once_no_longer_needed(app, make_department):
    from datetime import datetime, timezone

    from app.realtime import service as realtime
    from app.realtime.models import FollowUpTask, RealtimeSmsCode
    from tests.integration.test_realtime import rate

    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window", location="市民中心")
    db.session.commit()
    for ip in ("10.0.0.1", "10.0.0.2"):
        rate(app.test_client(), point, ip=ip, overall=1, comment="办事等候时间过长，无人解释", callback_phone="13900139000")
    old, recent = db.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id)).all()
    now = datetime.now(timezone.utc)
    old.completed_at = now - timedelta(days=91)   # followed up three months ago: the call is long made
    recent.completed_at = now - timedelta(days=10)
    db.session.add_all([
        RealtimeSmsCode(service_point_id=point.id, phone_hash="a" * 64, code_hash="b" * 64,
                        expires_at=now - timedelta(days=8)),
        RealtimeSmsCode(service_point_id=point.id, phone_hash="c" * 64, code_hash="d" * 64,
                        expires_at=now + timedelta(minutes=5))])
    db.session.commit()
    assert old.callback_phone and recent.callback_phone

    counts = retention.purge()
    db.session.commit()
    assert (counts.callback_phones, counts.sms_codes) == (1, 1)
    old, recent = db.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id)).all()
    assert old.callback_phone == "" and old.callback_phone_masked == "139****9000"  # the record stays, masked
    assert recent.callback_phone  # the department may still need to call
    assert db.session.scalars(select(RealtimeSmsCode.phone_hash)).all() == ["c" * 64]


def test_real_time_raters_hashes_are_blanked_after_a_week_unless_awaiting_review(app, make_department):
    from datetime import datetime, timezone

    from app.realtime import service as realtime
    from app.realtime.models import RealtimeRating
    from tests.integration.test_realtime import rate

    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window", location="市民中心")
    db.session.commit()
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        rate(app.test_client(), point, ip=ip)
    old, flagged, recent = db.session.scalars(select(RealtimeRating).order_by(RealtimeRating.id)).all()
    for rating in (old, flagged):
        rating.created_at = datetime.now(timezone.utc) - timedelta(days=8)
    flagged.flagged = True  # a burst nobody has reviewed yet: its hashes are the evidence
    db.session.commit()
    assert all(r.client_hash for r in (old, flagged, recent))

    assert retention.purge().rating_hashes == 1
    db.session.commit()
    db.session.expire_all()
    old, flagged, recent = db.session.scalars(select(RealtimeRating).order_by(RealtimeRating.id)).all()
    assert old.client_hash == ""
    assert old.overall and flagged.client_hash and recent.client_hash  # the ratings themselves stay
