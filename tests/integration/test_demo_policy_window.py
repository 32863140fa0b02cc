"""The demo's policy window, part 2: applications in every state at three windows, a 免申即享 batch, payments
against the budgets, an overdue department and a closed delivery check.

One demo for the whole module (departments, accounts, pool, catalogue, then the window's cases); every test only
reads it, except the last, which seeds once more and finds nothing changed.
"""
import shutil
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import url_for
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.callbacks import delivery
from app.callbacks.models import CallbackCall, CallbackCheck, CallbackDeliveryAnswer, CheckStatus, Purpose
from app.casework import service as casework
from app.casework.models import CaseAssignment
from app.config import TestConfig
from app.demo import seed_accounts, seed_departments
from app.demo.policy import seed_policy, seed_pushes
from app.demo.policy_window import AUTOMATIC, GIANT, seed_window_cases, seed_window_staff
from app.demo.pool import seed_pool
from app.extensions import db, limiter
from app.platform.calendar import local_today
from app.policy.models import PolicyItem, PolicyWindow
from app.policy_window import budget, scope
from app.policy_window.decisions import conditions
from app.policy_window.models import (AutomaticBatch, Channel, Consent, Consultation, Decision, Origin, PolicyCase,
                                      PolicyPayment, Receipt, Stage)
from tests.conftest import Client, on_postgres, restore_postgres_tables


@pytest.fixture(scope="module")
def city(migrated_database, tmp_path_factory):
    if on_postgres():
        url = migrated_database
    else:
        target = tmp_path_factory.mktemp("window_demo") / "demo.sqlite3"
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
        seed_pushes(seed_policy())
        db.session.commit()
        seed_window_staff()
        db.session.commit()
        seed_window_cases()
        db.session.commit()
        yield app
        db.session.remove()
        if on_postgres():
            restore_postgres_tables()
        limiter.reset()
        db.engine.dispose()


def all_cases() -> list[PolicyCase]:
    return list(db.session.scalars(select(PolicyCase).order_by(PolicyCase.id)))


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def test_every_stage_is_present_and_every_window_has_cases(city):
    found = all_cases()
    stages = Counter(c.stage for c in found)
    assert set(stages) == set(Stage), set(Stage) - set(stages)
    windows = {w.district: w for w in db.session.scalars(select(PolicyWindow))}
    by_window = Counter(c.window.district for c in found)
    assert all(by_window[d] >= 3 for d in windows), by_window
    # 补正 with its one list; the paid ones partly and fully; delivered confirmed both ways.
    assert all(c.supplement_list and c.supplement_requests == 1 for c in found if c.stage == Stage.supplement)
    assert any(c.stage == Stage.approved and 0 < c.paid_total < c.approved_amount for c in found)
    assert {c.receipt for c in found if c.stage == Stage.delivered} == {Receipt.link, Receipt.phone}
    assert any(c.delivery_note and c.stage in (Stage.paid, Stage.delivered) for c in found)
    # Spread over the last two months, not all today.
    days = {c.submitted_at.date() for c in found}
    assert len(days) > 20 and min(days) >= local_today() - timedelta(days=62)


def test_a_rejection_names_its_failed_condition_and_article(city):
    rejected = [c for c in all_cases() if c.decision == Decision.rejected]
    assert rejected
    for case in rejected:
        condition = conditions(case.version)[case.failed_rule]
        assert condition.legal_ref.startswith("第") and len(case.decision_note) >= 5


def test_county_staff_see_their_windows_cases_only(city):
    lj = user("window-lj")
    seen = list(db.session.scalars(scope.cases(lj)))
    assert seen and {c.window.district for c in seen} == {"临江县"}
    assert len(list(db.session.scalars(scope.cases(user("policy"))))) == len(all_cases())
    city_staff = list(db.session.scalars(scope.cases(user("window-city"))))
    assert city_staff and {c.window.district for c in city_staff} == {""}
    client = city.test_client()
    assert client.post_form("/login", {"username": lj.username, "password": "Linjiang-2026-demo"}).status_code == 302
    other = next(c for c in all_cases() if c.window.district == "")
    mine = next(c for c in seen)
    with city.test_request_context():
        theirs_url = url_for("policy_window.case", number=other.tracking_number)
        mine_url = url_for("policy_window.case", number=mine.tracking_number)
    assert client.get(theirs_url).status_code == 404
    page = client.get(mine_url)
    assert page.status_code == 200 and mine.tracking_number in page.get_data(as_text=True)


def test_one_overdue_assignment_waits_in_the_scjg_liaisons_inbox(city):
    liaison = user("liaison")
    overdue = [a for a in db.session.scalars(casework.overdue_query())]
    assert len(overdue) == 1 and overdue[0].department_id == liaison.department_id
    assert overdue[0].case.stage == Stage.handling
    inbox = list(db.session.scalars(casework.inbox(liaison.department_id)))
    assert inbox[0].id == overdue[0].id and inbox[0].due_on < local_today()


def test_the_batch_has_every_consent_answer_and_some_paid(city):
    batch = db.session.scalar(select(AutomaticBatch))
    assert batch.version.name == AUTOMATIC
    members = [c for c in all_cases() if c.batch_id == batch.id]
    assert {c.consent for c in members} == {Consent.accepted, Consent.declined, Consent.correction, None}
    assert any(c.stage == Stage.consent for c in members)
    assert sum(1 for c in members if c.payments) >= 2
    assert all(e["reason"] for e in batch.exclusions)  # the rest of the list left for a later batch, with the reason


def test_payments_never_exceed_the_approved_amount_and_draw_budgets_down(city):
    for case in all_cases():
        if case.payments:
            assert case.paid_total <= case.approved_amount
    giant = next(i for i in db.session.scalars(select(PolicyItem)) if i.current.name == GIANT)
    assert budget.total(giant) * Decimal("0.8") <= budget.used(giant) < budget.total(giant)  # near, not past
    used = [i for i in db.session.scalars(select(PolicyItem)) if budget.total(i) and budget.used(i) > 0]
    assert len(used) >= 4
    assert all(p.over_budget_reason == "" for p in db.session.scalars(select(PolicyPayment)))

def test_the_delivery_check_is_closed_with_answers_and_a_follow_up_list(city):
    check = db.session.scalar(select(CallbackCheck).where(CallbackCheck.purpose == Purpose.delivery))
    assert check.status == CheckStatus.closed and check.selected_count > 5
    answers = list(db.session.scalars(select(CallbackDeliveryAnswer).where(CallbackDeliveryAnswer.check_id == check.id)))
    assert len(answers) >= 5 and {a.received.value for a in answers} >= {"yes", "no"}
    follow = db.session.scalar(select(func.count()).select_from(CallbackCall).where(
        CallbackCall.check_id == check.id, CallbackCall.follow_up_requested.is_(True)))
    assert follow >= 1
    assert len(delivery.follow_ups(check)) == follow


def test_consultations_at_the_windows_one_turned_into_an_application(city):
    found = list(db.session.scalars(select(Consultation)))
    assert any(c.answer for c in found) and any(not c.answer for c in found)
    assert any(c.case_id for c in found)
    assert {c.window.district for c in found} >= {"", "临江县"}
    asked_online = [c for c in found if c.channel == Channel.online]
    assert any(c.answer for c in asked_online) and any(not c.answer for c in asked_online)
    assert all(c.phone_masked and c.token_hash for c in asked_online)


def test_the_enterprises_own_steps_came_online(city):
    found = all_cases()
    assert any(c.origin == Origin.online and c.stage == Stage.draft for c in found)
    assert any(c.origin == Origin.online and c.stage == Stage.handling and c.visits == 0 for c in found)


def test_seeding_again_changes_nothing(city):
    models = (PolicyCase, PolicyPayment, Consultation, AutomaticBatch, CallbackCheck, CaseAssignment)
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in models]
    seed_window_staff()
    seed_window_cases()
    db.session.commit()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in models] == counts
