"""Past demo rounds with simulated responses, scored and published, so the dashboards show trends.

``build_round`` and ``simulate_responses`` are also what the tests and the
benchmark use to make a realistic closed round quickly: responses are written
in bulk with the same fields ``app.survey.answering.submit`` stores.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert, select

from app.assessment import scoring as scoring_service
from app.demo import city_model
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import random_id
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.responses.models import Response, ResponseAnswer
from app.rounds import draws, service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission, LinkMode

PAST_ROUNDS = 6
TITLE = "%s 营商环境“背靠背”月度评价（演示，往期）"
COMMENTS = ["窗口服务热情，办事效率高。", "希望进一步简化审批材料。", "政策宣传还不够到位。", "排队时间较长，建议增加窗口。",
            "工作人员业务熟练，解释清楚。", "网上办理系统偶尔卡顿。"]


def _months_before(today: date, count: int) -> list[date]:
    out, year, month = [], today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(date(year, month, 1))
    return list(reversed(out))


def build_round(month: date, title: str, departments: list[Department], *, sample_size: int = 500,
                seed: str | None = None, minimum_per_stratum: int = 0, exclusion_window: int = 1) -> Campaign:
    """A round drawn from the pool with the published questionnaire, moved to open (no SMS sent)."""
    version = db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.published).order_by(QuestionnaireVersion.id)).first()
    campaign = Campaign(month=month.strftime("%Y-%m"), title=title, sample_size=sample_size,
                        minimum_per_stratum=minimum_per_stratum, exclusion_window=exclusion_window)
    db.session.add(campaign)
    db.session.flush()
    text = "【市营商环境办】${name}您好，请于${deadline}前完成评价：https://pj.example.gov.cn/s/${token} 回复TD退订"
    rounds.configure(campaign, None, version=version, departments=departments, opens_on=month,
                     closes_on=month + timedelta(days=13), link_mode=LinkMode.link, sms_template_code="SMS_DEMO_001",
                     sms_template_text=text, reminder_template_text=text, max_reminders=2, reminder_spacing_days=3)
    draw = draws.freeze(campaign, None)
    draws.set_seed(draw, None, seed or f"演示 {campaign.month}")
    draws.draw_sample(draw, None)
    rounds.move(campaign, CampaignStatus.sending)
    rounds.move(campaign, CampaignStatus.open)
    db.session.flush()
    return campaign


def simulate_responses(campaign: Campaign, rng: np.random.Generator, *, rate: float = 0.6, picks: float = 5.0,
                       quality: dict[int, float] | None = None, not_familiar: float = 0.07,
                       comment_rate: float = 0.15, days: list[date] | None = None) -> int:
    """Write responses for a random ``rate`` of the invitations: each rates ~``picks`` departments.

    ``quality`` is a department's mean level on the 1–5 scale (random when absent); ``days`` are the
    days the responses are spread over (by default the 4th of the round's month). Returns how many
    responses were written. The caller commits.
    """
    items = scoring_service.item_table(campaign.questionnaire_version.document)
    keys = list(items.weight)
    comment_keys = list(items.comments)
    departments = [d.id for d in campaign.departments]
    quality = quality or {}
    level_of = np.array([quality.get(d, rng.uniform(3.3, 4.5)) for d in departments])
    invitations = db.session.execute(select(Invitation.id, Invitation.stratum, Invitation.inclusion_probability)
                                     .where(Invitation.campaign_id == campaign.id).order_by(Invitation.id)).all()
    answering = [inv for inv in invitations if rng.random() < rate]
    days = days or [date.fromisoformat(f"{campaign.month}-01") + timedelta(days=3)]
    responses, answers = [], []
    for _inv_id, stratum, pi in answering:
        rid = random_id()
        day = days[int(rng.integers(len(days)))] if len(days) > 1 else days[0]
        responses.append({"id": rid, "campaign_id": campaign.id,
                          "questionnaire_version_id": campaign.questionnaire_version_id, "stratum": stratum,
                          "inclusion_probability": pi, "submitted_on": day})
        k = int(min(len(departments), max(1, rng.poisson(picks))))
        for j in rng.choice(len(departments), size=k, replace=False):
            levels = np.clip(np.rint(rng.normal(level_of[j], 0.85, size=len(keys))), 1, 5).astype(int)
            missing = rng.random(len(keys)) < not_familiar
            for key, level, miss in zip(keys, levels.tolist(), missing.tolist()):
                answers.append({"id": random_id(), "response_id": rid, "department_id": departments[j],
                                "question": key, "value": "na" if miss else level,
                                "score": None if miss else 20.0 * level})
            if comment_keys and rng.random() < comment_rate:
                answers.append({"id": random_id(), "response_id": rid, "department_id": departments[j],
                                "question": comment_keys[0], "value": str(rng.choice(COMMENTS)), "score": None})
    if responses:
        db.session.execute(insert(Response), responses)
        db.session.execute(insert(ResponseAnswer), answers)
        db.session.execute(insert(InvitationSubmission), [{"invitation_id": inv[0]} for inv in answering])
    return len(responses)


def seed_past_rounds(today: date | None = None, count: int = PAST_ROUNDS) -> list[Campaign]:
    """Past monthly rounds (six by default), simulated from ``city_model``, scored and published with the default
    scheme; once only. Month ``count`` of the model is the open round's (``app.demo.rounds``)."""
    months = _months_before(today or local_today(), count)
    departments = list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))
    scheme = scoring_service.default_scheme()
    if not departments or scheme is None:
        return []
    rng = np.random.default_rng(city_model.SEED)
    made = []
    for step, month in enumerate(months):
        title = TITLE % month.strftime("%Y-%m")
        if db.session.scalar(select(Campaign.id).where(Campaign.title == title)) is not None:
            continue
        campaign = build_round(month, title, departments, sample_size=500, minimum_per_stratum=30)
        simulate_responses(campaign, rng, rate=0.6, quality=city_model.levels(departments, step))
        rounds.close(campaign, None)
        scoring_service.score(campaign, scheme, None)
        scoring_service.publish(campaign, None)
        made.append(campaign)
    db.session.flush()
    return made
