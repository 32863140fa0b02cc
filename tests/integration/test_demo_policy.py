"""The demo's policy window: a catalogue an officer can match and push from, profiles with gaps, promises overdue.

One demo for the whole module (the departments, accounts and the pool of 2,000, then the policy window); every
test only reads it, except the last, which seeds once more and finds nothing changed.
"""
import re
import shutil
from collections import Counter

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.config import TestConfig
from app.demo import ACCOUNTS, seed_accounts, seed_departments
from app.demo.pool import DISTRICTS, seed_pool
from app.demo.policy import PUSHED_ITEMS, seed_policy, seed_pushes
from app.extensions import db, limiter
from app.platform.calendar import local_today
from app.platform.phones import current_vault, mask
from app.platform.roles import Role
from app.policy.explain import rule_set
from app.policy.models import (DeliveryMode, InvestmentPromise, ItemKind, ItemStatus, Policy, PolicyItem,
                               PolicyItemVersion, PolicyLevel, PolicyNotice, PolicyPush, PolicyWindow,
                               PromiseStatus)
from app.pool.models import Respondent, RespondentCategory
from app.profiles.facts import facts_of
from app.profiles.models import EnterpriseProfile
from app.rounds.draws import eligible_frame
from app.rounds.models import Campaign
from app.sms.models import SmsOutbox
from eligibility.evaluation import Result, rule_errors
from eligibility.fields import SIZES, STALE_FIELDS
from eligibility.uscc import is_valid
from tests.conftest import Client, on_postgres, restore_postgres_tables

INDUSTRY_CODE = re.compile(r"^[A-T]\d{2}(\d{1,2})?$")


def frame_ids() -> set[int]:
    """The members a round of this month could draw (an unsaved round: nothing is written)."""
    campaign = Campaign(month=f"{local_today():%Y-%m}", title="frame", exclusion_window=0)
    return {rid for rid, _key, _stratum in eligible_frame(campaign)}


@pytest.fixture(scope="module")
def city(migrated_database, tmp_path_factory):
    if on_postgres():
        url = migrated_database
    else:
        target = tmp_path_factory.mktemp("policy_demo") / "demo.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = Client
    with app.app_context():
        limiter.reset()
        seed_departments()
        seed_accounts()
        seed_pool()
        db.session.commit()
        app.frame_before = frame_ids()
        app.members_before = db.session.scalar(select(func.count()).select_from(Respondent))
        app.demo = seed_policy()
        db.session.commit()
        seed_pushes(app.demo)
        db.session.commit()
        yield app
        db.session.remove()
        if on_postgres():
            restore_postgres_tables()
        limiter.reset()
        db.engine.dispose()


def enterprise_members() -> list[Respondent]:
    return list(db.session.scalars(
        select(Respondent).join(RespondentCategory, Respondent.category_id == RespondentCategory.id)
        .where(RespondentCategory.key.in_(("large_enterprise", "sme")))))


def test_catalogue_has_twelve_policies_and_thirty_items_of_every_kind_and_mode(city):
    policies = db.session.scalars(select(Policy)).all()
    items = db.session.scalars(select(PolicyItem)).all()
    assert len(policies) == 12 and len(items) == 30
    assert set(city.demo.items) == {i.code for i in items}
    assert {p.level for p in policies} == set(PolicyLevel)
    assert all(p.doc_number and p.issuer and p.issued_on and "第一条" in p.full_text for p in policies)
    current = [i.current for i in items]
    assert {v.kind for v in current} == set(ItemKind)
    assert {v.mode for v in current} == set(DeliveryMode)
    statuses = Counter(i.status for i in items)
    assert statuses == {ItemStatus.published: 27, ItemStatus.draft: 1, ItemStatus.expired: 1,
                        ItemStatus.repealed: 1}
    for version in current:
        assert version.department is not None and version.name
        if version.benefit_kind == "fixed":
            assert version.amount and version.budget
        elif version.benefit_kind == "rate":
            assert version.rate and version.rate_base in ("revenue", "tax_paid") and version.cap and version.budget
        else:
            assert version.benefit_text
        if version.mode != DeliveryMode.automatic:
            assert version.materials, version.name
    assert any(v.reviews for v in current) and any(not v.reviews for v in current)
    assert any(v.sizes for v in current) and any(v.industries for v in current)
    windows = db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order)).all()
    assert len(windows) == 3 and windows[0].district == "" and {w.district for w in windows[1:]} <= set(DISTRICTS)
    assert all(w.address and w.hours and w.phone for w in windows)


def test_every_rule_is_valid_and_names_its_article(city):
    versions = db.session.scalars(select(PolicyItemVersion)).all()
    for version in versions:
        assert version.rules, version.name
        for rule in version.rules:
            assert rule_errors(rule["expression"]) == [], (version.name, rule["expression"])
            assert rule["label"] and re.fullmatch(r"第[一二三四五六七八九十]+条", rule["legal_ref"])
        for review in version.reviews:
            assert review["label"] and review["legal_ref"].startswith("第")
    districts = {m for v in versions for r in v.rules for m in re.findall(r"\{district\} = '([^']+)'", r["expression"])}
    assert districts and districts <= set(DISTRICTS)


def test_two_items_were_edited_after_publication_and_keep_their_first_version(city):
    edited = [i for i in db.session.scalars(select(PolicyItem)) if len(i.versions) > 1]
    assert len(edited) == 2
    for item in edited:
        first, second = item.versions
        assert (first.number, second.number) == (1, 2) and item.current is second
        assert first.published_at < second.published_at and item.status == ItemStatus.published
        assert first.rules != second.rules  # the first version still reads the rules it was published with
    threshold = next(i for i in edited if i.current.name == "工业企业增产增效奖励")
    assert "{revenue} >= 5000" in [r["expression"] for r in threshold.versions[0].rules]
    assert "{revenue} >= 10000" in [r["expression"] for r in threshold.current.rules]
    draft = next(i for i in db.session.scalars(select(PolicyItem)) if i.status == ItemStatus.draft)
    assert draft.current.published_at is None


def test_every_pool_enterprise_has_a_valid_profile(city):
    members = enterprise_members()
    profiles = db.session.scalars(select(EnterpriseProfile)).all()
    by_member = {p.respondent_id: p for p in profiles if p.respondent_id is not None}
    assert len(members) == 1000 and set(by_member) == {m.id for m in members}
    assert all(is_valid(p.uscc) for p in profiles)
    assert len({p.uscc for p in profiles}) == len(profiles)
    for member in members:
        profile = by_member[member.id]
        assert profile.district == member.district and profile.name == member.organisation
        assert INDUSTRY_CODE.match(profile.industry), profile.industry
        assert profile.size in SIZES
        assert profile.size in (("大型", "中型", "小型") if member.category.key == "large_enterprise"
                                else ("中型", "小型", "微型"))
    qualifications = [q for p in profiles for q in p.qualifications]
    today = local_today().isoformat()
    assert any(q["valid_to"] < today for q in qualifications) and any(q["valid_to"] >= today for q in qualifications)


def test_some_profiles_lack_a_figure_and_some_are_stale(city):
    profiles = db.session.scalars(select(EnterpriseProfile)).all()
    facts = [facts_of(p) for p in profiles]
    missing = sum(1 for f in facts if f.missing)
    stale = sum(1 for f in facts if f.stale)
    complete = sum(1 for f in facts if not f.unknown)
    assert 0.05 * len(profiles) < missing < 0.2 * len(profiles)
    assert 0.05 * len(profiles) < stale < 0.2 * len(profiles)
    assert complete > 0.7 * len(profiles)
    assert all(f.stale <= STALE_FIELDS | {"size"} for f in facts)


def test_the_published_catalogue_gives_each_of_the_four_results(city):
    """The demo's push can show every result: someone fits, someone may, someone lacks data, someone does not."""
    profiles = db.session.scalars(select(EnterpriseProfile)).all()
    facts = [facts_of(p) for p in profiles]
    seen: Counter = Counter()
    for item in db.session.scalars(select(PolicyItem).where(PolicyItem.status == ItemStatus.published)):
        rules = rule_set(item.current)
        seen.update(rules.match(f).result for f in facts)
    assert set(seen) == set(Result)


def test_profiles_outside_the_pool_have_their_own_sealed_phone_and_stay_out_of_the_draw(city):
    outside = db.session.scalars(select(EnterpriseProfile).where(EnterpriseProfile.respondent_id.is_(None))).all()
    assert len(outside) == 20 and len({p.name for p in outside}) == 20
    vault = current_vault()
    pool_hashes = set(db.session.scalars(select(Respondent.phone_hash)))
    for profile in outside:
        phone = vault.open(profile.contact_phone)
        assert phone.startswith("+86") and profile.contact_phone_masked == mask(phone)
        assert profile.contact_phone_hash == vault.lookup_hash(phone) and profile.contact_phone_hash not in pool_hashes
        assert profile.contact_name
    pooled = db.session.scalars(select(EnterpriseProfile).where(EnterpriseProfile.respondent_id.is_not(None))).all()
    assert all(p.contact_phone == "" for p in pooled)  # the member's own phone is used
    # the pool and every round's frame are as before the profiles were made
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == city.members_before
    assert frame_ids() == city.frame_before


def test_investment_promises_include_two_overdue(city):
    today = local_today()
    promises = db.session.scalars(select(InvestmentPromise)).all()
    overdue = [p for p in promises if p.status == PromiseStatus.promised and p.due_on < today]
    assert len(overdue) == 2 and all(p.department and p.title for p in overdue)
    assert any(p.status == PromiseStatus.promised and p.due_on >= today for p in promises)
    assert any(p.status == PromiseStatus.delivered and p.delivered_on for p in promises)


def test_the_policy_officer_account_logs_in(city):
    account = next(a for a in ACCOUNTS if a.role == Role.policy)
    user = db.session.scalar(select(User).where(User.username == account.username))
    assert user.role == Role.policy and user.check_password(account.password)
    client = city.test_client()
    assert client.post_form("/login", {"username": account.username, "password": account.password}).status_code == 302


def test_seeding_again_changes_nothing(city):
    counts = [db.session.scalar(select(func.count()).select_from(m))
              for m in (Policy, PolicyItem, PolicyItemVersion, EnterpriseProfile, InvestmentPromise, PolicyWindow)]
    again = seed_policy()
    db.session.commit()
    assert set(again.items) == set(city.demo.items)
    assert [db.session.scalar(select(func.count()).select_from(m))
            for m in (Policy, PolicyItem, PolicyItemVersion, EnterpriseProfile, InvestmentPromise,
                      PolicyWindow)] == counts


def test_two_pushes_were_sent_to_the_matched_enterprises_and_each_link_reaches_its_page(city):
    pushes = list(db.session.scalars(select(PolicyPush).order_by(PolicyPush.id)))
    assert [p.version.name for p in pushes] == list(PUSHED_ITEMS)
    for sent in pushes:
        notices = list(db.session.scalars(select(PolicyNotice).where(PolicyNotice.push_id == sent.id)))
        assert sent.counts["sent"] == len(notices) > 0
        assert {n.result for n in notices} <= set(sent.criteria["results"])
    outbox = list(db.session.scalars(select(SmsOutbox).where(SmsOutbox.kind.in_(("policy_push", "policy_update")))))
    assert len(outbox) == sum(p.counts["sent"] for p in pushes)
    # Enterprises lacking data were asked to update their profile, with the other message.
    missing = db.session.scalar(select(func.count()).select_from(PolicyNotice).where(PolicyNotice.result == "missing"))
    assert 0 < missing == sum(1 for m in outbox if m.kind == "policy_update")
    link = re.search(r"https?://\S+(/p/\S+)", outbox[0].text).group(1)
    page = city.test_client().get(link)
    assert page.status_code == 200 and pushes[0].version.name in page.get_data(as_text=True)
    # Seeding again sends nothing more.
    seed_pushes(city.demo)
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox).where(
        SmsOutbox.kind.in_(("policy_push", "policy_update")))) == len(outbox)
