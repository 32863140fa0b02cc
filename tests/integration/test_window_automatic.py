"""免申即享 (issue 18, item 5): only items delivered without application are granted from a match; only enterprises
found eligible are listed, each with its estimate; exclusions are kept with their reasons; a batch opens one case
per enterprise awaiting its consent with the prepared decision and sends one SMS each; never a second case for one
version and enterprise; window staff see and make only their own window's batches; the pages.

The world is the matching tests' (tests/integration/test_policy_match.py) plus one published 免申即享 item with the
same two rules and a rate of 1% of revenue capped at 50 (万元): eligible are 甲 (高新区, 2500, own phone),
戊 (高新区, 5000, no phone), 己 (城关区, 4000, its pool member's phone only) and 庚 (高新区, 2100, own phone);
丙 and 丁 lack data, 乙 is not eligible.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.casework.models import CaseEvent
from app.extensions import db
from app.policy import matching
from app.policy.models import DeliveryMode, ItemStatus, PolicyItem, PolicyItemVersion, PolicyWindow
from app.policy_window import automatic
from app.policy_window.models import (
    AutomaticBatch,
    Consent,
    Decision,
    Origin,
    PolicyCase,
    Stage,
    WindowPost,
)
from app.sms.models import SmsOutbox
from tests.integration.test_policy_match import World, build, make_item

NAMES = {"甲科技有限公司", "戊材料有限公司", "己电子有限公司", "庚软件有限公司"}


@dataclass
class Automatic:
    world: World
    item: PolicyItem
    version: PolicyItemVersion
    city: PolicyWindow
    gaoxin: PolicyWindow
    chengguan: PolicyWindow


@pytest.fixture
def auto(app, make_department, monkeypatch) -> Automatic:
    world = build(make_department)
    item = make_item(world.version.department, "ZC-2026-012-03", "高新技术企业营收奖励（免申即享）",
                     mode=DeliveryMode.automatic, budget=Decimal("100"))
    db.session.commit()
    windows = {w.district: w for w in db.session.scalars(select(PolicyWindow))}
    return Automatic(world, item, item.current, windows[""], windows["高新区"], windows["城关区"])


def outbox() -> list[SmsOutbox]:
    return list(db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)))


def cases_of(version) -> dict[str, PolicyCase]:
    return {c.profile.name: c for c in db.session.scalars(
        select(PolicyCase).where(PolicyCase.item_version_id == version.id))}


def profile_id(auto: Automatic, key: str) -> int:
    return auto.world.profiles[key].id


TAG = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)
LATIN = re.compile(r"[A-Za-z]{3,}")


def english_words(page: str, username: str) -> set[str]:
    """Latin-script words a reader sees on the page, but codes marked translate="no", "SMS", the switch to English
    and the account's name in the header."""
    visible = TAG.sub(" ", re.sub(r'<code translate="no">.*?</code>', " ", page, flags=re.S))
    return set(LATIN.findall(visible)) - {"SMS", "English", *username.split("-")}


def window_staff(make_user, window: PolicyWindow, username: str):
    user = make_user("window", username=username)
    db.session.add(WindowPost(user_id=user.id, window_id=window.id))
    db.session.commit()
    return user


# --------------------------------------------------------------------------- the service

def test_only_a_published_current_automatic_version_is_granted(auto):
    with pytest.raises(automatic.AutomaticError, match="免申即享"):
        automatic.prepare(auto.world.version)  # an item applied for (申报审核)
    auto.item.status = ItemStatus.draft
    db.session.commit()
    with pytest.raises(automatic.AutomaticError, match="已发布"):
        automatic.prepare(auto.version)
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0


def test_the_list_holds_only_the_eligible_with_their_estimates(auto):
    listed = automatic.prepare(auto.version, window=auto.city)
    amounts = {c.profile.name: c.amount for c in listed.candidates}
    # 1% of revenue, capped at 50: 戊's 5000 gives 50, not more.
    assert amounts == {"甲科技有限公司": Decimal("25.00"), "戊材料有限公司": Decimal("50"),
                       "己电子有限公司": Decimal("40.00"), "庚软件有限公司": Decimal("21.00")}
    assert listed.total == Decimal("136.00")
    assert listed.counts["eligible"] == 4 and listed.counts["missing"] == 2 and listed.counts["ineligible"] == 1
    assert all(c.reason == "符合" for c in listed.candidates)
    # The match was run once for today and is reused.
    again = automatic.prepare(auto.version, window=auto.city)
    assert again.run.id == listed.run.id and listed.current


def test_likely_eligible_enterprises_are_counted_never_listed(auto, make_department):
    item = make_item(auto.world.version.department, "ZC-2026-012-04", "需人工核验的免申即享事项",
                     mode=DeliveryMode.automatic, reviews=[{"label": "近三年无重大安全事故", "legal_ref": "第五条"}])
    db.session.commit()
    listed = automatic.prepare(item.current, window=auto.city)
    assert listed.candidates == []
    assert listed.counts["likely"] == 4 and listed.counts["eligible"] == 0


def test_a_county_window_lists_its_own_county_only(auto):
    listed = automatic.prepare(auto.version, window=auto.gaoxin)
    assert {c.profile.name for c in listed.candidates} == {"甲科技有限公司", "戊材料有限公司", "庚软件有限公司"}
    assert {c.profile.name for c in automatic.prepare(auto.version, window=auto.chengguan).candidates} == {
        "己电子有限公司"}


def test_a_batch_opens_one_case_per_enterprise_awaiting_consent_with_the_prepared_decision(auto, make_user):
    officer = make_user("policy")
    listed = automatic.prepare(auto.version, officer, auto.city)
    batch = automatic.create_batch(auto.version, listed.run, auto.city,
                                   {profile_id(auto, "opted_out"): "已迁出本市，不再享受"}, officer)
    db.session.commit()
    found = cases_of(auto.version)
    assert set(found) == {"甲科技有限公司", "戊材料有限公司", "己电子有限公司"}
    for case in found.values():
        assert case.origin == Origin.automatic and case.stage == Stage.consent and case.batch_id == batch.id
        assert case.window_id == auto.city.id and case.consent is None
        assert case.decision == Decision.approved and case.decided_by_id == officer.id and case.decided_at
        assert case.eligibility == "eligible"
    assert found["甲科技有限公司"].approved_amount == Decimal("25.00")
    assert found["戊材料有限公司"].approved_amount == Decimal("50.00")
    # One SMS each to those with a number: 甲's own, 己's pool member's (as a push reaches it); 戊 has none.
    messages = outbox()
    member = found["己电子有限公司"].profile.respondent
    assert [m.phone_masked for m in messages] == ["138****0001", member.phone_masked]
    assert found["己电子有限公司"].phone_masked == member.phone_masked
    assert found["甲科技有限公司"].tracking_number in messages[0].text and "/w/" in messages[0].text
    assert batch.counts == {"eligible": 4, "likely": 0, "missing": 2, "holding": 0, "excluded": 1, "changed": 0,
                            "listed": 3, "sent": 2, "no_phone": 1, "capped": 0, "failed": 0}
    # The exclusion is kept with its reason.
    assert batch.exclusions == [{"profile_id": profile_id(auto, "opted_out"), "reason": "已迁出本市，不再享受"}]
    # Each case's history says the enterprise was asked; the batch's audit entry holds counts only.
    steps = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == found["甲科技有限公司"].id))
    assert {"applied", "consent_asked"} <= set(steps)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.automatic_batch")).one()
    assert entry.details["listed"] == 3 and entry.details["excluded"] == 1 and entry.details["batch"] == batch.id
    assert "有限公司" not in str(entry.details) and "迁出" not in str(entry.details)


def test_an_exclusion_needs_a_reason_and_an_enterprise_of_the_list(auto, make_user):
    officer = make_user("policy")
    listed = automatic.prepare(auto.version, officer, auto.city)
    with pytest.raises(automatic.AutomaticError, match="庚软件有限公司"):
        automatic.create_batch(auto.version, listed.run, auto.city, {profile_id(auto, "opted_out"): "  "}, officer)
    db.session.rollback()
    with pytest.raises(automatic.AutomaticError):
        automatic.create_batch(auto.version, listed.run, auto.city, {profile_id(auto, "ineligible"): "不符合"},
                               officer)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AutomaticBatch)) == 0
    assert outbox() == []


def test_an_accepted_offer_goes_to_the_windows_review_as_the_departments_answer(auto, make_user):
    from app.casework.models import AssignmentStatus, CaseStatus
    from app.policy_window import decisions, online

    officer = make_user("policy")
    listed = automatic.prepare(auto.version, officer, auto.city)
    automatic.create_batch(auto.version, listed.run, auto.city, {}, officer)
    db.session.commit()
    case = cases_of(auto.version)["甲科技有限公司"]
    online.consent(case, Consent.accepted)
    db.session.commit()
    # The prepared decision is, in the engine, the responsible department's answer, by whoever made the batch.
    assert case.stage == Stage.review and case.status == CaseStatus.replied
    lead = case.lead_assignment
    assert lead.department_id == auto.version.department_id and lead.status == AssignmentStatus.replied
    assert lead.replied_by_id == officer.id and "25.00" in lead.reply
    # So the window reviews it like any decision (it was refused as "not every department has answered").
    decisions.review(case, officer, True)
    db.session.commit()
    assert case.stage == Stage.approved and case.approved_amount == Decimal("25.00")


def test_no_enterprise_gets_a_second_case_for_the_same_version(auto, make_user):
    officer = make_user("policy")
    run = automatic.prepare(auto.version, officer, auto.city).run
    automatic.create_batch(auto.version, run, auto.city, {profile_id(auto, "opted_out"): "待核实"}, officer)
    db.session.commit()
    # The next list holds only the enterprise taken off before; the three asked are counted as holding a case.
    listed = automatic.prepare(auto.version, officer, auto.city)
    assert [c.profile.name for c in listed.candidates] == ["庚软件有限公司"]
    second = automatic.create_batch(auto.version, run, auto.city, {}, officer)
    db.session.commit()
    assert second.counts["holding"] == 3 and second.counts["listed"] == 1
    # A county window's batch cannot reach them again either.
    third = automatic.create_batch(auto.version, run, auto.gaoxin, {}, officer)
    db.session.commit()
    assert third.counts["listed"] == 0 and third.counts["holding"] == 3
    per_profile = db.session.execute(select(PolicyCase.profile_id, func.count()).group_by(PolicyCase.profile_id))
    assert all(n == 1 for _, n in per_profile)
    # An enterprise that declined may be asked again by a later batch; one that accepted may not.
    cases = cases_of(auto.version)
    cases["甲科技有限公司"].stage, cases["甲科技有限公司"].consent = Stage.declined, Consent.declined
    cases["戊材料有限公司"].stage, cases["戊材料有限公司"].consent = Stage.review, Consent.accepted
    db.session.commit()
    assert [c.profile.name for c in automatic.listing(auto.version, run, auto.city).candidates] == ["甲科技有限公司"]


def test_the_daily_cap_holds_back_the_sms_not_the_case(app, auto, make_user):
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 0
    officer = make_user("policy")
    run = automatic.prepare(auto.version, officer, auto.gaoxin).run
    batch = automatic.create_batch(auto.version, run, auto.gaoxin, {}, officer)
    db.session.commit()
    assert batch.counts["listed"] == 3 and batch.counts["sent"] == 0 and batch.counts["capped"] == 2
    assert batch.counts["no_phone"] == 1 and outbox() == []


def test_a_batch_is_made_from_todays_newest_match_only(auto, make_user):
    officer = make_user("policy")
    old = matching.run(auto.version, officer, today=date(2026, 12, 1))
    db.session.commit()
    with pytest.raises(automatic.AutomaticError, match="重新"):
        automatic.create_batch(auto.version, old, auto.city, {}, officer)
    today = automatic.prepare(auto.version, officer, auto.city).run
    assert today.id != old.id
    newer = matching.run(auto.version, officer)
    with pytest.raises(automatic.AutomaticError):
        automatic.create_batch(auto.version, today, auto.city, {}, officer)
    assert automatic.create_batch(auto.version, newer, auto.city, {}, officer).counts["listed"] == 4


# --------------------------------------------------------------------------- the pages

def test_the_officer_reviews_the_list_and_makes_a_batch_from_the_pages(client, login, auto, make_user):
    officer = make_user("policy")
    login(officer)
    page = client.get(f"/admin/window/automatic/items/{auto.item.id}").get_data(as_text=True)
    assert "尚未" in page  # not matched yet
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/match")
    assert response.status_code == 302
    page = client.get(f"/admin/window/automatic/items/{auto.item.id}?window={auto.city.id}").get_data(as_text=True)
    for name in NAMES:
        assert name in page
    assert "乙制造有限公司" not in page and "丙商贸有限公司" not in page
    assert "25.00" in page and "136.00" in page
    assert "可能符合" in page and "缺少信息" in page  # counted, with the words that they are not granted
    run_id = re.search(r'name="run_id" type="hidden" value="(\d+)"', page).group(1)
    form = {"run_id": run_id, "window_id": str(auto.city.id), "exclude": [str(profile_id(auto, "opted_out"))],
            f"reason-{profile_id(auto, 'opted_out')}": "已注销"}
    # Without the confirmation, nothing is done.
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/batches", form)
    assert response.status_code == 302 and db.session.scalar(select(func.count()).select_from(AutomaticBatch)) == 0
    # An exclusion without a reason is refused, naming the enterprise.
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/batches",
                                {**form, f"reason-{profile_id(auto, 'opted_out')}": "", "confirm": "y"},
                                follow_redirects=True)
    assert "庚软件有限公司" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AutomaticBatch)) == 0
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/batches", {**form, "confirm": "y"})
    batch = db.session.scalars(select(AutomaticBatch)).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/batches/{batch.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待企业确认" in page and "尚未答复" in page and "已注销" in page
    assert "甲科技有限公司" in page and "25.00" in page
    case = cases_of(auto.version)["甲科技有限公司"]
    assert case.tracking_number in page
    # The enterprise's answer shows on the batch page.
    case.consent, case.stage = Consent.accepted, Stage.review
    db.session.commit()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "同意享受" in page and "窗口复核" in page
    assert english_words(page, officer.username) == set()
    for path in ("/admin/window/automatic/", f"/admin/window/automatic/items/{auto.item.id}",
                 f"/admin/window/automatic/items/{auto.item.id}/batches"):
        assert english_words(client.get(path).get_data(as_text=True), officer.username) == set(), path


def test_an_item_applied_for_has_no_batch_form(client, login, auto, make_user):
    login(make_user("policy"))
    page = client.get(f"/admin/window/automatic/items/{auto.world.item.id}").get_data(as_text=True)
    assert "免申即享" in page and 'name="run_id"' not in page
    index = client.get("/admin/window/automatic/").get_data(as_text=True)
    assert "ZC-2026-012-03" in index and "ZC-2026-012-01" not in index


def test_county_staff_see_and_make_only_their_own_windows_batches(app, auto, make_user, make_department):
    officer = make_user("policy")
    run = automatic.prepare(auto.version, officer, auto.city).run
    chengguan = automatic.create_batch(auto.version, run, auto.chengguan, {}, officer)
    db.session.commit()
    staff = window_staff(make_user, auto.gaoxin, "window-gx")
    client = app.test_client()
    assert client.post_form("/login", {"username": staff.username, "password": "correct horse battery"}
                            ).status_code == 302
    assert client.get(f"/admin/window/automatic/batches/{chengguan.id}").status_code == 404
    page = client.get(f"/admin/window/automatic/items/{auto.item.id}").get_data(as_text=True)
    # Its own county's list only, and no choice of another window.
    assert "甲科技有限公司" in page and "己电子有限公司" not in page and "<select name=\"window\"" not in page
    assert f"/batches/{chengguan.id}" not in page
    run_id = re.search(r'name="run_id" type="hidden" value="(\d+)"', page).group(1)
    # Asking for another window's batch is refused (404) and writes nothing.
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/batches",
                                {"run_id": run_id, "window_id": str(auto.city.id), "confirm": "y"})
    assert response.status_code == 404
    response = client.post_form(f"/admin/window/automatic/items/{auto.item.id}/batches",
                                {"run_id": run_id, "window_id": str(auto.gaoxin.id), "confirm": "y"})
    own = db.session.scalars(select(AutomaticBatch).where(AutomaticBatch.window_id == auto.gaoxin.id)).one()
    assert own.created_by_id == staff.id and own.counts["listed"] == 3
    assert client.get(f"/admin/window/automatic/batches/{own.id}").status_code == 200
    listing = client.get(f"/admin/window/automatic/items/{auto.item.id}/batches").get_data(as_text=True)
    assert f"/batches/{own.id}" in listing and f"/batches/{chengguan.id}" not in listing


def test_the_departments_liaison_reads_its_items_batches_only(app, auto, make_user, make_department):
    officer = make_user("policy")
    run = automatic.prepare(auto.version, officer, auto.city).run
    batch = automatic.create_batch(auto.version, run, auto.city, {}, officer)
    db.session.commit()
    own = make_user("liaison", username="liaison-kj", department=auto.version.department)
    other = make_user("liaison", username="liaison-other")
    for user, status in ((own, 200), (other, 404)):
        client = app.test_client()
        assert client.post_form("/login", {"username": user.username, "password": "correct horse battery"}
                                ).status_code == 302
        assert client.get(f"/admin/window/automatic/batches/{batch.id}").status_code == status
        assert client.get(f"/admin/window/automatic/items/{auto.item.id}/batches").status_code == status
        index = client.get("/admin/window/automatic/").get_data(as_text=True)
        assert ("ZC-2026-012-03" in index) == (status == 200)
        # Reading only: the list and the batch are not theirs to make.
        assert client.get(f"/admin/window/automatic/items/{auto.item.id}").status_code == 403


def test_an_enterprise_whose_data_changed_since_the_match_is_not_granted(auto, make_user):
    officer = make_user("policy")
    run = automatic.prepare(auto.version, officer, auto.gaoxin).run
    auto.world.profiles["eligible"].revenue = Decimal("900")  # 甲's figures corrected after the match
    db.session.commit()
    batch = automatic.create_batch(auto.version, run, auto.gaoxin, {}, officer)
    db.session.commit()
    assert batch.counts["changed"] == 1 and batch.counts["listed"] == 2
    assert set(cases_of(auto.version)) == {"戊材料有限公司", "庚软件有限公司"}
