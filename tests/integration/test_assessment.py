"""Scoring through the application: score → publish → frozen, corrections, scoping, comments, exports, roles."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import numpy as np
import pytest
from sqlalchemy import select, update

from app.assessment import scoring
from app.assessment.models import Assessment, AssessmentFrozen, AssessmentResult, AssessmentScheme, AssessmentStatus
from app.audit.models import AuditEntry
from app.complaints import analysis, service as complaints
from app.demo.assessment import build_round, simulate_responses
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import RespondentCategory
from app.responses.models import Response, ResponseAnswer
from app.rounds import service as rounds
from app.rounds.models import Campaign, CampaignStatus
from tests.integration.test_pool_import import csv_bytes, run_import

CATEGORIES = {"sme": 30, "large_enterprise": 20, "citizen": 14}


def make_pool() -> None:
    rows, i = [], 0
    for category, size in CATEGORIES.items():
        for _ in range(size):
            rows.append([f"成员{i}", category, "城关区", "", f"1370000{i:04d}"])
            i += 1
    plan, result = run_import(csv_bytes(rows))
    assert result is not None, plan.errors[:3]


def test_scheme(min_raters: int = 3) -> AssessmentScheme:
    scheme = scoring.new_scheme_version(
        "test", None, policy_weights={"large_enterprise": 0.3, "sme": 0.3, "citizen": 0.2, "deputy": 0.1,
                                      "supervisor": 0.05, "media": 0.05},
        channel_weights={"survey": 1.0}, grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]],
        min_raters=min_raters, rank_draws=200, rank_seed=7, comment_release="manual")
    db.session.commit()
    return scheme


test_scheme.__test__ = False  # a helper, not a test


@pytest.fixture
def closed_round(app, make_department):
    """A closed round: 64 members, 56 invited, ~70% answering, four departments plus a rarely rated one."""
    make_pool()
    departments = [make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局"),
                   make_department("GAJ", "市公安局"), make_department("ZJJ", "市住建局")]
    rare = make_department("RARE", "市少评局")
    campaign = build_round(date(2026, 10, 1), "十月评价", departments + [rare], sample_size=56, exclusion_window=0)
    rng = np.random.default_rng(1)
    simulate_responses(campaign, rng, rate=0.7, picks=3, quality={rare.id: 0.0}, comment_rate=0.5)
    # The rare department: the simulation may have picked it; keep exactly three raters.
    rare_answers = db.session.scalars(select(ResponseAnswer).where(ResponseAnswer.department_id == rare.id)).all()
    for a in rare_answers:
        db.session.delete(a)
    for response in db.session.scalars(select(Response).order_by(Response.id).limit(3)):
        db.session.add(ResponseAnswer(response_id=response.id, department_id=rare.id, question="overall", value=4,
                                      score=80.0))
        db.session.add(ResponseAnswer(response_id=response.id, department_id=rare.id, question="comment",
                                      value="只有三人评价的意见", score=None))
    rounds.close(campaign, None)
    db.session.commit()
    return campaign, departments, rare


def english(client) -> None:
    client.post_form("/language/en", {"next": "/"})


def as_role(client, make_user, login, role: str, **kw):
    user = make_user(role, **kw)
    login(user)
    english(client)
    return user


def score_via_page(client, campaign, scheme):
    return client.post_form(f"/admin/assessment/{campaign.id}/score", {"scheme_id": scheme.id, "confirm": "y"})


def publish_via_page(client, campaign):
    return client.post_form(f"/admin/assessment/{campaign.id}/publish", {"confirm": "y"})


def page_rows(html: str) -> dict[str, dict[str, str]]:
    """The ranking table as the browser shows it: department code → column → text."""
    out = {}
    for code, body in re.findall(r'<tr data-department="([^"]+)">(.*?)</tr>', html, re.S):
        out[code] = {col: re.sub(r"<[^>]+>", "", text).strip()
                     for col, text in re.findall(r'<td data-col="([^"]+)">(.*?)</td>', body, re.S)}
    return out


# --------------------------------------------------------------------------- score → publish → frozen

def test_score_publish_and_freeze(client, make_user, login, closed_round):
    campaign, departments, rare = closed_round
    scheme = test_scheme()
    as_role(client, make_user, login, "hr")
    assert score_via_page(client, campaign, scheme).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.scored
    assessment = scoring.current_assessment(campaign)
    assert assessment.status == AssessmentStatus.scored and len(assessment.input_hash) == 64
    results = {r.department_id: r for r in assessment.results}
    assert set(results) == {d.id for d in departments} | {rare.id}
    for d in departments:
        r = results[d.id]
        assert 20 <= r.score <= 100 and r.se > 0 and r.rank >= 1 and r.rank_low <= r.rank <= r.rank_high
        assert r.ci_low < r.score < r.ci_high and r.n >= 3 and r.grade in ("优秀", "良好", "一般", "较差")
        assert set(r.dimension_means) == {"attitude", "efficiency", "policy", "law", "integrity", "overall"}
    assert results[rare.id].n == 3 and results[rare.id].score == pytest.approx(80.0)

    page = client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True)
    shown = page_rows(page)
    for d in departments:
        assert shown[d.code]["score"] == f"{results[d.id].score:.2f}"
        assert shown[d.code]["n"] == str(results[d.id].n)

    assert publish_via_page(client, campaign).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.published
    frozen = scoring.current_assessment(campaign)
    assert frozen.status == AssessmentStatus.published and frozen.published_at is not None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"campaign.scored", "campaign.published"} <= actions

    # Through the pages: scoring and publishing again are refused, nothing changes.
    before = [(r.department_id, r.score) for r in frozen.results]
    response = score_via_page(client, campaign, scheme)
    assert "Only a closed round can be scored" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = publish_via_page(client, campaign)
    assert "Only a scored round can be published" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    again = scoring.current_assessment(campaign)
    assert again.id == frozen.id and [(r.department_id, r.score) for r in again.results] == before

    # At the model layer: results, the assessment and the scheme cannot be changed or deleted.
    result = again.results[0]
    result.score = 99.0
    with pytest.raises(AssessmentFrozen):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AssessmentFrozen):
        db.session.delete(db.session.get(AssessmentResult, result.id))
        db.session.flush()
    db.session.rollback()
    a = db.session.get(Assessment, again.id)
    a.input_hash = "0" * 64
    with pytest.raises(AssessmentFrozen):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AssessmentFrozen):
        db.session.execute(update(AssessmentResult).values(score=1.0))
    db.session.rollback()
    s = db.session.get(AssessmentScheme, scheme.id)
    s.min_raters = 1
    with pytest.raises(AssessmentFrozen):
        db.session.flush()
    db.session.rollback()


def test_rescoring_replaces_the_unpublished_assessment(client, make_user, login, closed_round):
    campaign, _departments, _rare = closed_round
    scheme = test_scheme()
    user = make_user("hr")
    first = scoring.score(campaign, scheme, user)
    db.session.commit()
    first_hash = first.input_hash
    other = test_scheme(min_raters=10)
    second = scoring.score(campaign, other, user)
    db.session.commit()
    assert second.scheme_id == other.id and second.input_hash == first_hash  # same inputs, same hash
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.rescore")) is not None
    assert [a.id for a in scoring.assessment_history(campaign)] == [second.id]
    # Deterministic: the same scheme on the same inputs gives the same numbers.
    figures = [(r.department_id, r.score, r.rank_low, r.rank_high) for r in second.results]
    third = scoring.score(campaign, other, user)
    assert sorted((r.department_id, r.score, r.rank_low, r.rank_high) for r in third.results) == sorted(figures)


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(client, make_user, login, closed_round):
    campaign, _departments, _rare = closed_round
    scheme = test_scheme()
    as_role(client, make_user, login, "hr")
    score_via_page(client, campaign, scheme)
    publish_via_page(client, campaign)
    db.session.expire_all()
    old = scoring.current_assessment(campaign)
    old_scores = [(r.department_id, r.score) for r in old.results]
    stricter = test_scheme(min_raters=15)

    refused = client.post_form(f"/admin/assessment/{campaign.id}/correct", {"scheme_id": stricter.id, "reason": ""})
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Reason for the correction: This field is required." in shown
    assert len(scoring.assessment_history(campaign)) == 1

    done = client.post_form(f"/admin/assessment/{campaign.id}/correct",
                            {"scheme_id": stricter.id, "reason": "Minimum raters raised by the assessment office"})
    assert "The correction is published as a new version" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.rollback()
    history = scoring.assessment_history(campaign)
    assert [(a.version, a.status) for a in history] == [(2, AssessmentStatus.published),
                                                         (1, AssessmentStatus.superseded)]
    assert [(r.department_id, r.score) for r in history[1].results] == old_scores  # kept as it was
    assert history[0].correction_reason.startswith("Minimum raters") and history[0].scheme_id == stricter.id
    page = client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True)
    assert "Assessment version 2 (Published)" in page and "<td>Superseded by a correction</td>" in page
    assert "<td>superseded</td>" not in page  # statuses read as words, not as codes
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.correct"))
    assert entry.details["reason"] == "Minimum raters raised by the assessment office"
    assert entry.details["superseded"] == old.id
    # The superseded version stays frozen too.
    history[1].results[0].score = 1.0
    with pytest.raises(AssessmentFrozen):
        db.session.flush()
    db.session.rollback()


# --------------------------------------------------------------------------- the state machine

def test_only_a_closed_round_is_scored_and_only_a_scored_one_published(app, make_department, make_user):
    make_pool()
    campaign = build_round(date(2026, 10, 1), "开放中", [make_department("SCJG", "市市场监督管理局")],
                           sample_size=40, exclusion_window=0)
    simulate_responses(campaign, np.random.default_rng(2), rate=0.8, picks=1)
    db.session.commit()
    scheme, user = test_scheme(), make_user("hr")
    assert campaign.status == CampaignStatus.open
    with pytest.raises(scoring.ScoringError):
        scoring.score(campaign, scheme, user)
    with pytest.raises(scoring.ScoringError):
        scoring.publish(campaign, user)
    rounds.close(campaign, None)
    with pytest.raises(scoring.ScoringError):
        scoring.publish(campaign, user)  # closed, not scored
    with pytest.raises(scoring.ScoringError):
        scoring.correct(campaign, scheme, user, "not yet published")
    scoring.score(campaign, scheme, user)
    scoring.publish(campaign, user)
    assert campaign.status == CampaignStatus.published


def test_a_round_without_responses_is_refused_with_a_message(app, make_department, make_user):
    make_pool()
    campaign = build_round(date(2026, 10, 1), "无人作答", [make_department()], sample_size=40, exclusion_window=0)
    rounds.close(campaign, None)
    db.session.commit()
    with pytest.raises(scoring.ScoringError):
        scoring.score(campaign, test_scheme(), make_user("hr"))
    assert campaign.status.value == "closed"


def test_a_category_without_policy_weight_is_a_clear_error(app, closed_round, make_user):
    campaign, _d, _r = closed_round
    scheme = scoring.new_scheme_version(
        "partial", None, policy_weights={"sme": 1.0}, channel_weights={"survey": 1.0},
        grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]], min_raters=3, rank_draws=200,
        rank_seed=1, comment_release="manual")
    with pytest.raises(scoring.ScoringError, match="citizen, large_enterprise"):
        scoring.score(campaign, scheme, make_user("hr"))


def test_survey_only_when_other_channels_have_no_weight_or_no_data(app, closed_round, make_user):
    campaign, _d, _r = closed_round
    survey_only = scoring.score(campaign, test_scheme(), make_user("hr"))
    assert survey_only.details["channels"] == {"survey": 1.0}
    db.session.commit()
    scores = sorted((r.department_id, r.score) for r in survey_only.results)
    with_channels = scoring.new_scheme_version(
        "channels", None, policy_weights={"large_enterprise": 0.3, "sme": 0.3, "citizen": 0.2},
        channel_weights={"survey": 0.7, "realtime": 0.3, "complaints": 1.0},
        grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]], min_raters=3, rank_draws=200,
        rank_seed=7, comment_release="manual")
    rescored = scoring.score(campaign, with_channels, None)
    # No real-time ratings or complaints in the period: the survey alone decides, at full weight.
    assert set(rescored.details["channels"]) == {"survey"}
    assert sorted((r.department_id, r.score) for r in rescored.results) == scores


# --------------------------------------------------------------------------- roles and liaisons

ROUND_PAGES = ["/admin/assessment/{id}", "/admin/assessment/{id}/charts.json", "/admin/assessment/{id}/export.xlsx",
               "/admin/assessment/{id}/export.csv", "/admin/assessment/schemes"]


@pytest.mark.parametrize("role,allowed", [("hr", True), ("admin", True), ("operator", False), ("designer", False),
                                          ("auditor", False)])
def test_roles(client, make_user, login, closed_round, role, allowed):
    campaign, _d, _r = closed_round
    scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    as_role(client, make_user, login, role)
    for path in ROUND_PAGES:
        assert client.get(path.format(id=campaign.id)).status_code == (200 if allowed else 403), path
    for path in ("publish", "score", "correct"):
        status = client.post_form(f"/admin/assessment/{campaign.id}/{path}").status_code
        assert (status == 302) if allowed else (status == 403), path
    status = client.post_form(f"/admin/assessment/{campaign.id}/release-comments").status_code
    assert status == (302 if role == "admin" else 403)


def test_posts_need_the_csrf_token(client, make_user, login, closed_round):
    campaign, _d, _r = closed_round
    as_role(client, make_user, login, "hr")
    response = client.post(f"/admin/assessment/{campaign.id}/score", data={"scheme_id": test_scheme().id})
    assert response.status_code in (400, 302)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.closed


@pytest.fixture
def published(closed_round):
    campaign, departments, rare = closed_round
    scoring.score(campaign, test_scheme(), None)
    scoring.publish(campaign, None)
    db.session.commit()
    return campaign, departments, rare


def test_a_liaison_sees_only_their_own_department(client, make_user, login, published):
    campaign, departments, _rare = published
    own, other = departments[0], departments[1]
    as_role(client, make_user, login, "liaison", department=own)
    page = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}")
    assert page.status_code == 200
    result = next(r for r in scoring.current_assessment(campaign).results if r.department_id == own.id)
    assert f"{result.score:.2f}" in page.get_data(as_text=True)
    assert client.get(f"/admin/assessment/{campaign.id}/departments/{other.id}").status_code == 404
    assert client.get(f"/admin/assessment/{campaign.id}/departments/999999").status_code == 404
    for path in ROUND_PAGES:
        assert client.get(path.format(id=campaign.id)).status_code == 403, path
    index = client.get("/admin/assessment/").get_data(as_text=True)
    assert f"/departments/{own.id}" in index and f"/departments/{other.id}" not in index


def test_a_liaison_sees_nothing_before_publication(client, make_user, login, closed_round):
    campaign, departments, _rare = closed_round
    scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    as_role(client, make_user, login, "liaison", department=departments[0])
    assert client.get(f"/admin/assessment/{campaign.id}/departments/{departments[0].id}").status_code == 404


def test_no_breakdown_below_five_raters_for_liaisons(client, make_user, login, published):
    campaign, _departments, rare = published
    as_role(client, make_user, login, "liaison", department=rare)
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{rare.id}").get_data(as_text=True)
    assert 'id="too-few"' in html and "80.00" not in html and "只有三人评价的意见" not in html
    assert 'id="department-dimensions"' not in html


def test_small_categories_and_dimensions_are_hidden_from_liaisons(client, make_user, login, published):
    campaign, departments, _rare = published
    own = departments[0]
    row = next(r for r in scoring.ranking_rows(scoring.current_assessment(campaign)) if r.department_id == own.id)
    as_role(client, make_user, login, "liaison", department=own)
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}").get_data(as_text=True)
    small = [c for c, figures in row.categories.items() if 0 < figures["n"] < 5]
    assert small, "the fixture has a small category"
    # one small category hides the whole breakdown: the others and the total would give it back
    assert 'id="department-categories"' not in html
    for category in small:
        assert f">{row.categories[category]['mean']:.2f}<" not in html


def test_comments_reach_liaisons_only_after_release(client, make_user, login, published):
    campaign, departments, _rare = published
    own = departments[0]
    comments = scoring.department_comments(campaign, own.id)
    assert comments, "the simulation writes comments"
    liaison = make_user("liaison", department=own)
    admin = make_user("admin", username="admin-2")
    login(liaison)
    english(client)
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}").get_data(as_text=True)
    assert 'id="comments-held"' in html and comments[0] not in html
    client.post_form("/logout")
    login(admin)
    assert client.post_form(f"/admin/assessment/{campaign.id}/release-comments").status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.release_comments"))
    client.post_form("/logout")
    login(liaison)
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}").get_data(as_text=True)
    assert 'id="comments"' in html and comments[0] in html


def test_hr_cannot_release_comments(client, make_user, login, published):
    campaign, _d, _r = published
    as_role(client, make_user, login, "hr")
    assert client.post_form(f"/admin/assessment/{campaign.id}/release-comments").status_code == 403
    assert not scoring.comments_released(campaign)


def test_a_liaison_cannot_recover_a_small_category_by_subtraction(app, client, make_user, login, closed_round):
    """One small category hidden while the total and the others show would give it back: hide the breakdown."""
    import re

    campaign, departments, _rare = closed_round
    dept = departments[0]
    citizens = [r for r in db.session.scalars(select(Response).where(Response.campaign_id == campaign.id))
                if r.stratum.startswith("citizen")]
    rated = [r for r in citizens if db.session.scalar(select(ResponseAnswer.id).where(
        ResponseAnswer.response_id == r.id, ResponseAnswer.department_id == dept.id).limit(1))]
    assert len(rated) > 2
    for response in rated[2:]:  # leave two citizens who rated this department
        for answer in db.session.scalars(select(ResponseAnswer).where(
                ResponseAnswer.response_id == response.id, ResponseAnswer.department_id == dept.id)):
            db.session.delete(answer)
    db.session.commit()
    scheme = test_scheme()
    as_role(client, make_user, login, "hr")
    assert score_via_page(client, campaign, scheme).status_code == 302
    assert publish_via_page(client, campaign).status_code == 302
    liaison_client = app.test_client()
    liaison = make_user("liaison", username="lly", department=dept)
    liaison_client.post_form("/login", {"username": liaison.username, "password": "correct horse battery"})
    liaison_client.post_form("/language/en", {"next": "/"})
    html = liaison_client.get(f"/admin/assessment/{campaign.id}/departments/{dept.id}").get_data(as_text=True)
    assert 'data-col="score"' in html  # the department's own total is still there
    assert 'id="department-categories"' not in html and "would give it away" in html
    hr_html = client.get(f"/admin/assessment/{campaign.id}/departments/{dept.id}").get_data(as_text=True)
    assert 'id="department-categories"' in hr_html  # HR sees the breakdown
    citizens = db.session.scalar(select(RespondentCategory).where(RespondentCategory.key == "citizen"))
    assert f'<th scope="row">{citizens.label_en}</th>' in hr_html  # the category by its label, never its key


def _complaint_closed_on(department, when: datetime):
    """A complaint substantiated against ``department`` and first closed at ``when`` (UTC)."""
    complaint, _code = complaints.submit(category="enterprise_policy", department_ids=[department.id],
                                         subject="惠企政策未兑现", description="申请的稳岗补贴超过承诺时限仍未发放。")
    complaints.accept(complaint)
    for assignment in complaints.assign(complaint, [department], local_today()):
        complaints.reply(assignment, "经核查已发放补贴，并向企业说明。")
    complaints.close(complaint, outcome="solved", satisfaction="satisfied", public_reply="补贴已发放到位。",
                     substantiated_department_ids=[department.id])
    db.session.flush()
    complaint.closed_at = when
    for event in complaint.events:
        event.at = when
    db.session.commit()
    return complaint


def test_complaints_count_in_the_month_first_closed_once_and_are_part_of_the_input_hash(app, closed_round):
    campaign, departments, _rare = closed_round  # the October 2026 round
    scheme = scoring.new_scheme_version(
        "deductions", None, policy_weights={"large_enterprise": 0.3, "sme": 0.3, "citizen": 0.2},
        channel_weights={"survey": 1.0, "complaints": 1.0},
        grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]], min_raters=3, rank_draws=200,
        rank_seed=7, comment_release="manual")
    base = scoring.score(campaign, scheme, None)
    db.session.commit()
    base_hash, base_scores = base.input_hash, {r.department_id: r.score for r in base.results}
    target = departments[0]

    # Closed in November: not the October round's business, however long the round stayed open.
    campaign.closes_on = date(2026, 11, 10)
    _complaint_closed_on(target, datetime(2026, 11, 5, 4, tzinfo=timezone.utc))
    november = scoring.score(campaign, scheme, None)
    db.session.commit()
    assert november.input_hash == base_hash
    assert {r.department_id: r.score for r in november.results} == base_scores

    # First closed in October: one point off, and the hash vouches for it.
    october = _complaint_closed_on(target, datetime(2026, 10, 20, 4, tzinfo=timezone.utc))
    scored = scoring.score(campaign, scheme, None)
    db.session.commit()
    assert scored.input_hash != base_hash
    after = {r.department_id: r.score for r in scored.results}
    assert after[target.id] == pytest.approx(base_scores[target.id] - 1.0, abs=0.01)
    assert all(after[d] == base_scores[d] for d in after if d != target.id)

    # Reopened and closed again in November: still October's deduction, never November's too.
    complaints.reopen(october, "投诉人对答复不满意，要求重新核查。")
    for assignment in complaints.assign(october, [target], local_today()):
        complaints.reply(assignment, "再次核查，补贴已足额发放。")
    complaints.close(october, outcome="solved", satisfaction="satisfied", public_reply="已再次核查并答复。",
                     substantiated_department_ids=[target.id])
    db.session.commit()
    assert analysis.deductions(date(2026, 10, 1), date(2026, 10, 31))[target.id].substantiated == 1
    november_deductions = analysis.deductions(date(2026, 11, 1), date(2026, 11, 30))
    assert november_deductions[target.id].substantiated == 1  # only the complaint first closed in November


def test_a_complaint_reopened_before_its_months_round_is_scored_is_still_deducted_once(app, closed_round):
    """Closed in October, reopened before October is scored, closed again in November: deducted in October."""
    campaign, departments, _rare = closed_round
    target = departments[0]
    complaint = _complaint_closed_on(target, datetime(2026, 10, 20, 4, tzinfo=timezone.utc))
    complaints.reopen(complaint, "投诉人对答复不满意，要求重新核查。")
    db.session.commit()
    october = (date(2026, 10, 1), date(2026, 10, 31))
    assert analysis.deductions(*october)[target.id].substantiated == 1  # reopened, but the finding stands
    for assignment in complaints.assign(complaint, [target], local_today()):
        complaints.reply(assignment, "再次核查，补贴已足额发放。")
    complaints.close(complaint, outcome="solved", satisfaction="satisfied", public_reply="已再次核查并答复。",
                     substantiated_department_ids=[target.id])
    db.session.commit()
    assert analysis.deductions(*october)[target.id].substantiated == 1
    assert target.id not in analysis.deductions(date(2026, 11, 1), date(2026, 11, 30))
