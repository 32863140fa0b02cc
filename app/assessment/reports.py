"""What people read of an assessment: the ranking rows (pages and exports share them), a department's page with the
small-group rule applied, answer distributions, trends and the charts' data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import g
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessment.comments import comments_released, department_comments
from app.assessment.inputs import item_table
from app.assessment.models import Assessment, AssessmentResult, AssessmentStatus
from app.assessment.redaction import redact
from app.assessment.versions import current_assessment
from app.departments.models import Department
from app.extensions import db
from app.platform import small_groups
from app.platform.i18n import select_locale
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Campaign
from questionnaire import schema


def _r(value, digits: int = 2):
    """A figure rounded as published; None stays None."""
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class RankingRow:
    """One department's line of the ranking, rounded as published (2 decimals): pages and exports share it."""

    department_id: int
    code: str
    name: str
    rank: int | None
    score: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    rank_low: int | None
    rank_high: int | None
    grade: str
    n: int
    change: float | None
    change_significant: bool
    dimensions: dict[str, dict]
    categories: dict[str, dict]


def department_labels(assessment: Assessment) -> dict[int, tuple[str, str]]:
    """Per department of the assessment, the (code, name) it is shown with: a published (frozen) assessment keeps
    those stored when it was published, whatever the departments are called now; a scored draft follows the live
    names (issue 24, finding 3)."""
    live = None
    out = {}
    for r in assessment.results:
        if assessment.frozen and r.department_name is not None and r.department_code is not None:
            out[r.department_id] = (r.department_code, r.department_name)
            continue
        if live is None:
            live = {d.id: (d.code, d.name) for d in db.session.scalars(select(Department))}
        out[r.department_id] = live[r.department_id]
    return out


def ranking_rows(assessment: Assessment) -> list[RankingRow]:
    """The assessment's results in rank order (unranked departments last), rounded to 2 decimals, labelled as
    ``department_labels`` says."""
    labels = department_labels(assessment)
    out = []
    for r in assessment.results:
        code, name = labels[r.department_id]
        out.append(RankingRow(
            r.department_id, code, name, r.rank, _r(r.score), _r(r.se), _r(r.ci_low), _r(r.ci_high),
            r.rank_low, r.rank_high, r.grade, r.n, _r(r.change), r.change_significant,
            {k: {"mean": _r(v["mean"]), "se": _r(v["se"]), "n": v["n"]} for k, v in r.dimension_means.items()},
            {k: {"mean": _r(v["mean"]), "se": _r(v["se"]), "n": v["n"]} for k, v in r.category_means.items()}))
    return out


def dimension_keys(campaign: Campaign) -> list[str]:
    """The round's dimensions, in the questionnaire's order."""
    version = campaign.questionnaire_version
    return item_table(version.document).dimensions if version else []


def dimension_labels(campaign: Campaign) -> dict[str, str]:
    """What people read for the round's dimensions, in the reader's language: the questionnaire version's labels
    (a published version never changes, so a published assessment reads the labels it was asked with)."""
    version = campaign.questionnaire_version
    return schema.dimension_labels(version.document, select_locale()) if version else {}


def dimension_label(campaign: Campaign, key: str) -> str:
    """One dimension's label (its key only if the version has no question for it)."""
    cache = g.setdefault("dimension_labels", {})
    if campaign.id not in cache:
        cache[campaign.id] = dimension_labels(campaign)
    return cache[campaign.id].get(key, key)


def assessment_dimensions(assessment: Assessment) -> list[str]:
    """The dimensions an assessment is shown with: those stored when it was published, else the round's."""
    stored = (assessment.labels or {}).get("dimensions")
    if assessment.frozen and stored is not None:
        return list(stored)
    return dimension_keys(assessment.campaign)


def answer_distribution(campaign: Campaign, department_id: int | None = None) -> dict[str, dict[str, int]]:
    """Per dimension: how many answers gave each score (100 … 20) and how many said "not familiar"."""
    version = campaign.questionnaire_version
    if version is None:
        return {}
    table = item_table(version.document)
    query = (select(ResponseAnswer.question, ResponseAnswer.score, func.count())
             .join(Response, Response.id == ResponseAnswer.response_id)
             .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id.is_not(None),
                    ResponseAnswer.question.in_(list(table.weight) or [""]))
             .group_by(ResponseAnswer.question, ResponseAnswer.score))
    if department_id is not None:
        query = query.where(ResponseAnswer.department_id == department_id)
    out = {dim: {} for dim in table.dimensions}
    for question, value, count in db.session.execute(query):
        label = "na" if value is None else f"{float(value):g}"
        bucket = out[table.dimension[question]]
        bucket[label] = bucket.get(label, 0) + count
    return out


def department_distribution(distribution: dict[str, dict[str, int]], k: int) -> dict[str, dict[str, int] | None]:
    """The answer distribution as a department's liaison may read it: a dimension's row with any count of 1 … k−1
    (a score or "not familiar") is withheld whole (None). Blanking the small cells alone would not do: the
    dimension's mean and count on the same page give a single blanked cell, or a pair, back."""
    return {d: None if small_groups.suppress(counts, k).cells else counts for d, counts in distribution.items()}


def trend(department_id: int | None = None) -> dict[str, Any]:
    """Published scores by month: {"months": [...], "series": {department name: [score or None, ...]}}."""
    query = (select(Campaign.month, Department.name, AssessmentResult.score, AssessmentResult.n)
             .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
             .join(Campaign, Campaign.id == Assessment.campaign_id)
             .join(Department, Department.id == AssessmentResult.department_id)
             .where(Assessment.status == AssessmentStatus.published, AssessmentResult.score.is_not(None))
             .order_by(Campaign.month, Department.sort_order))
    if department_id is not None:
        query = query.where(AssessmentResult.department_id == department_id)
    rows = db.session.execute(query).all()
    k = small_groups.k()
    months = sorted({m for m, *_rest in rows})
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list] = {}
    for month, name, value, n in rows:
        if department_id is not None and not small_groups.enough(n, k):
            continue
        series.setdefault(name, [None] * len(months))[index[month]] = _r(value)
    return {"months": months, "series": series}


def chart_data(campaign: Campaign) -> dict[str, Any]:
    """What the round's charts draw: scores with intervals, answer distributions, trends."""
    assessment = current_assessment(campaign)
    ranking_ = [] if assessment is None else [
        {"name": r.name, "score": r.score, "low": r.ci_low, "high": r.ci_high, "rank": r.rank, "n": r.n}
        for r in ranking_rows(assessment) if r.score is not None]
    return {"ranking": ranking_, "distribution": answer_distribution(campaign), "trend": trend(),
            "dimension_labels": dimension_labels(campaign), "not_familiar": _("Not familiar")}


class DepartmentReport(NamedTuple):
    """A department's page: its row as the reader may see it (``redaction``), and what goes with it."""

    row: RankingRow
    enough: bool
    k: int
    dimensions: list[str]
    hide_categories: bool
    hide_dimensions: bool
    distribution: dict[str, dict[str, int]]
    comments: list[str] | None  # None: withheld
    comments_released: bool
    trend: dict[str, Any]


def department_report(campaign: Campaign, assessment: Assessment, department_id: int, *,
                      liaison: bool) -> DepartmentReport | None:
    """One department's results for its page, small groups redacted for a liaison; None if it has no result."""
    row = next((r for r in ranking_rows(assessment) if r.department_id == department_id), None)
    if row is None:
        return None
    dimensions = assessment_dimensions(assessment)
    released = comments_released(campaign)
    shown = redact(row, dimensions, liaison=liaison, comments_released=released)
    distribution = answer_distribution(campaign, department_id) if shown.enough and not shown.hide_dimensions else {}
    if liaison:
        distribution = department_distribution(distribution, small_groups.k())
    return DepartmentReport(
        shown.row, shown.enough, small_groups.k(), dimensions, shown.hide_categories, shown.hide_dimensions,
        distribution,
        department_comments(campaign, department_id) if shown.show_comments else None, released,
        trend(department_id))
