"""Precise push: who is sent (eligible and likely with a number, not opted out, never twice for one version), the
daily cap, a dry run, the officer's pages with preview and confirmation, and `flask policy push`."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.policy import matching, push
from app.policy.models import ItemStatus, PolicyNotice, PolicyPush
from app.pool.models import MemberStatus
from app.sms.models import SmsDailyCount, SmsOutbox
from tests.integration.test_policy_match import TODAY, add_version, officer, world  # noqa: F401  (fixtures)

LINK = re.compile(r"/p/([A-Za-z0-9_-]{32})")


def outbox() -> list[SmsOutbox]:
    return list(db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)))


def notices() -> list[PolicyNotice]:
    return list(db.session.scalars(select(PolicyNotice).order_by(PolicyNotice.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def matched(world, version=None):
    run = matching.run(version or world.version, today=TODAY)
    db.session.commit()
    return run


def test_push_sends_eligible_and_likely_with_a_number_and_skips_the_rest(world):
    run = matched(world)
    sent = push.send(run, push.Criteria())
    # eligible: 甲 (own phone), 戊 (no phone at all), 己 (the pool member's phone), 庚 (opted out)
    assert sent.counts == {"selected": 4, "sent": 2, "already": 0, "opted_out": 1, "no_phone": 1, "capped": 0,
                           "failed": 0}
    messages = outbox()
    assert len(messages) == 2
    assert {m.phone_masked for m in messages} == {"138****0001", "139****0001"}
    assert all("高新技术企业研发奖补" in m.text and LINK.search(m.text) for m in messages)
    assert {m.kind for m in messages} == {"policy_push"}
    assert {n.profile_id for n in notices()} == {world.profiles["eligible"].id, world.profiles["member"].id}
    # Only the token's hash is kept.
    token = LINK.search(messages[0].text).group(1)
    assert all(token not in n.token_hash for n in notices())
    assert push.find(token) is not None
    # The push is on record, its audit entry has counts only.
    record = db.session.scalars(select(PolicyPush)).one()
    assert record.criteria == {"results": ["eligible", "likely"], "districts": [], "ask_missing": False}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.push")).one()
    assert entry.details["sent"] == 2 and entry.details["opted_out"] == 1
    text = str(entry.details)
    assert "有限公司" not in text and "138" not in text


def test_the_same_version_is_never_sent_twice_but_a_new_version_is(world, make_department):
    run = matched(world)
    push.send(run, push.Criteria())
    second = push.send(run, push.Criteria())
    assert second.counts["already"] == 2 and second.counts["sent"] == 0
    assert len(outbox()) == 2
    # A rerun of the match does not change that either.
    third = push.send(matched(world), push.Criteria())
    assert third.counts["already"] == 2 and len(outbox()) == 2
    # A new version of the item (edited after publishing) can be pushed again.
    version = add_version(world.item, world.version.department, "高新技术企业研发奖补（2027年修订）")
    db.session.commit()
    fourth = push.send(matched(world, version), push.Criteria())
    assert fourth.counts["sent"] == 2 and len(outbox()) == 4
    assert "2027年修订" in outbox()[-1].text


def test_the_database_refuses_a_second_notice_for_one_version_and_enterprise(world):
    run = matched(world)
    push.send(run, push.Criteria())
    first = notices()[0]
    duplicate = PolicyNotice(push_id=first.push_id, item_version_id=first.item_version_id,
                             profile_id=first.profile_id, match_result_id=first.match_result_id,
                             result=first.result, token_hash="0" * 64, sent_at=first.sent_at,
                             expires_at=first.expires_at)
    db.session.add(duplicate)
    try:
        db.session.commit()
    except Exception as exc:  # IntegrityError on SQLite and PostgreSQL
        db.session.rollback()
        assert "unique" in str(exc).lower() or "duplicate" in str(exc).lower()
    else:
        raise AssertionError("a second notice was stored")


def test_districts_and_asking_missing_data_enterprises_to_update(world):
    run = matched(world)
    sent = push.send(run, push.Criteria(("eligible",), ("城关区",), ask_missing=True))
    # 城关区: 己 eligible (member's phone), 丁 missing (stale revenue); 乙 is ineligible and never chosen.
    assert sent.counts["selected"] == 2 and sent.counts["sent"] == 2
    kinds = {m.kind: m for m in outbox()}
    assert set(kinds) == {"policy_push", "policy_update"}
    assert "无法判断" in kinds["policy_update"].text and kinds["policy_update"].phone_masked == "138****0004"
    assert sorted(n.result for n in notices()) == ["eligible", "missing"]


def test_an_opted_out_or_erased_pool_member_is_not_sent(world):
    member = world.profiles["member"].respondent
    member.status = MemberStatus.opted_out
    db.session.commit()
    sent = push.send(matched(world), push.Criteria())
    assert sent.counts["sent"] == 1 and sent.counts["opted_out"] == 2
    member.status, member.erased_on = MemberStatus.paused, date(2026, 11, 1)
    db.session.commit()
    world.profiles["eligible"].push_opted_out_at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    version = add_version(world.item, world.version.department, "新版本")
    db.session.commit()
    sent = push.send(matched(world, version), push.Criteria())
    assert sent.counts["sent"] == 0 and sent.counts["no_phone"] == 2 and sent.counts["opted_out"] == 2


def test_the_daily_cap_holds_messages_back(app, world):
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 1
    first = world.profiles["eligible"]
    from app.platform.calendar import local_today
    db.session.add(SmsDailyCount(phone_hash=first.contact_phone_hash, day=local_today(), count=1))
    db.session.commit()
    run = matched(world)
    assert push.preview(run, push.Criteria())["capped"] == 1
    sent = push.send(run, push.Criteria())
    assert sent.counts["capped"] == 1 and sent.counts["sent"] == 1
    assert [m.phone_masked for m in outbox()] == ["139****0001"]
    # Held back, not sent: it goes out with a later push once the day allows.
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 3
    later = push.send(run, push.Criteria())
    assert later.counts["sent"] == 1 and later.counts["already"] == 1


def test_a_dry_run_writes_nothing(world):
    run = matched(world)
    pushes, audit = count(PolicyPush), count(AuditEntry)
    dry = push.send(run, push.Criteria(), dry_run=True)
    db.session.commit()
    assert dry.counts["sent"] == 2 and dry.counts["no_phone"] == 1
    assert count(PolicyPush) == pushes and count(AuditEntry) == audit
    assert outbox() == [] and notices() == [] and count(SmsDailyCount) == 0


def test_a_refused_gateway_message_leaves_no_notice(app, world, monkeypatch):
    monkeypatch.setattr(push, "send_one", lambda *a, **k: False)
    sent = push.send(matched(world), push.Criteria())
    assert sent.counts["failed"] == 2 and sent.counts["sent"] == 0
    assert notices() == []


def test_only_a_published_current_version_from_its_newest_match_is_pushed(world):
    old_run = matched(world)
    matched(world)
    try:
        push.send(old_run, push.Criteria())
    except push.PushError as exc:
        assert "最新" in str(exc)
    else:
        raise AssertionError("an old run was pushed")
    world.item.status = ItemStatus.draft
    db.session.commit()
    try:
        push.send(matching.latest_run(world.version), push.Criteria())
    except push.PushError as exc:
        assert "已发布" in str(exc)
    else:
        raise AssertionError("a draft was pushed")
    assert outbox() == []


def test_an_item_whose_policy_has_ended_is_not_pushed(world):
    """The officer's pages show it as expired before `flask policy expire` runs: it is not sent either."""
    from datetime import timedelta

    from app.platform.calendar import local_today

    run = matched(world)
    world.item.policy.valid_to = local_today() - timedelta(days=1)
    db.session.commit()
    try:
        push.send(run, push.Criteria())
    except push.PushError as exc:
        assert "已过有效期" in str(exc)
    else:
        raise AssertionError("an item of an ended policy was pushed")
    assert outbox() == []


# --------------------------------------------------------------------------- the officer's pages

def test_the_officer_previews_confirms_and_sees_the_push_on_record(client, world, officer):
    matched(world)
    path = f"/admin/policy/push/items/{world.item.id}"
    page = client.get(path + "?preview=1&results=eligible&results=likely").get_data(as_text=True)
    assert "将发送" in page and "发送2条带专属链接的短信" in page
    run = matching.latest_run(world.version)
    # Unticked confirmation: nothing is sent.
    response = client.post_form(path + "/send", {"run_id": run.id, "results": ["eligible", "likely"]})
    assert response.status_code == 302 and outbox() == []
    response = client.post_form(path + "/send", {"run_id": run.id, "results": ["eligible", "likely"],
                                                  "confirm": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已发送2条短信" in text
    assert len(outbox()) == 2
    page = client.get(path).get_data(as_text=True)
    assert "推送记录" in page and "policy-user" in page
    # The preview now counts them as sent before.
    page = client.get(path + "?preview=1&results=eligible&results=likely").get_data(as_text=True)
    assert "按此条件没有可发送的企业" in page


def test_a_push_of_a_run_of_another_item_is_refused(client, world, officer):
    other = matched(world, world.review_version)
    response = client.post_form(f"/admin/policy/push/items/{world.item.id}/send",
                                {"run_id": other.id, "results": ["eligible"], "confirm": "y"})
    assert response.status_code == 404 and outbox() == []


def test_pushing_needs_the_policy_role(client, world, make_user, login):
    run = matched(world)
    login(make_user("operator"))
    response = client.post_form(f"/admin/policy/push/items/{world.item.id}/send",
                                {"run_id": run.id, "results": ["eligible"], "confirm": "y"})
    assert response.status_code == 403 and outbox() == []


# --------------------------------------------------------------------------- the command line

def test_cli_push_dry_run_then_push_then_again(runner, world):
    result = runner.invoke(args=["policy", "push", "ZC-2026-012-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would send 2" in result.output
    assert count(PolicyPush) == 0 and outbox() == [] and matching.latest_run(world.version) is None
    result = runner.invoke(args=["policy", "push", "ZC-2026-012-01"])
    assert result.exit_code == 0, result.output
    assert "sent 2;" in result.output and len(outbox()) == 2
    result = runner.invoke(args=["policy", "push", "ZC-2026-012-01", "--results", "eligible,likely",
                                 "--ask-missing"])
    assert result.exit_code == 0 and "sent 2;" in result.output and "already 2" in result.output
    assert {m.kind for m in outbox()[2:]} == {"policy_update"}


def test_cli_push_refuses_bad_input(runner, world):
    assert runner.invoke(args=["policy", "push", "NO-SUCH"]).exit_code != 0
    result = runner.invoke(args=["policy", "push", "ZC-2026-012-01", "--results", "ineligible"])
    assert result.exit_code != 0 and outbox() == []
    result = runner.invoke(args=["policy", "push", "ZC-2026-012-01", "--results", "maybe"])
    assert result.exit_code != 0 and "maybe" in result.output
