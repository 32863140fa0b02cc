"""A policy weight of 0 leaves a respondent category out of the scores (docs/ASSESSMENT.md, step 4), end to end."""
from __future__ import annotations

import csv
import io
import math

import pytest
from sqlalchemy import select

from app.assessment import scoring
from app.assessment.models import AssessmentScheme
from app.extensions import db
from app.pool.models import RespondentCategory
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import CampaignStatus
from scoring import INSUFFICIENT
from tests.integration.test_assessment import as_role, closed_round, page_rows, score_via_page  # noqa: F401

WITHOUT_CITIZENS = {"policy__large_enterprise": "0.5", "policy__sme": "0.5", "policy__citizen": "0"}


def scheme_form_data(name: str, policy: dict[str, str]) -> dict[str, str]:
    """The new-scheme form as HR fills it in; policy fields left out of ``policy`` are sent blank."""
    return {"name": name, "survey": "1", "realtime": "0", "complaints": "0", "excellent": "90", "good": "80",
            "fair": "60", "min_raters": "3", "rank_draws": "200", "rank_seed": "7", "comment_release": "manual",
            **policy}


def newest(name: str) -> AssessmentScheme | None:
    return db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.name == name)
                             .order_by(AssessmentScheme.version.desc()).limit(1))


def rated_only_by_citizens(department) -> None:
    """Replace the department's answers by three citizens' answers."""
    for answer in db.session.scalars(select(ResponseAnswer).where(ResponseAnswer.department_id == department.id)):
        db.session.delete(answer)
    citizens = [r for r in db.session.scalars(select(Response).order_by(Response.id))
                if r.stratum.split("|")[0] == "citizen"][:3]
    assert len(citizens) == 3
    for response in citizens:
        db.session.add(ResponseAnswer(response_id=response.id, department_id=department.id, question="overall",
                                      value=5, score=100.0))
    db.session.commit()


def test_a_round_is_scored_with_a_zero_weight_category_left_out(client, make_user, login, closed_round):
    campaign, departments, rare = closed_round
    rated_only_by_citizens(rare)
    as_role(client, make_user, login, "hr")
    assert client.post_form("/admin/assessment/schemes/new",
                            scheme_form_data("no-citizens", WITHOUT_CITIZENS)).status_code == 302
    scheme = newest("no-citizens")
    assert scheme is not None and scheme.policy_weights["citizen"] == 0
    citizens = db.session.scalar(select(RespondentCategory).where(RespondentCategory.key == "citizen"))
    assert f"{citizens.label_en} 0 (left out)" in client.get("/admin/assessment/schemes").get_data(as_text=True)

    assert score_via_page(client, campaign, scheme).status_code == 302
    db.session.expire_all()
    assert campaign.status == CampaignStatus.scored
    results = {r.department_id: r for r in scoring.current_assessment(campaign).results}
    citizens_rated = 0
    for d in departments:
        r = results[d.id]
        counted = {c: m for c, m in r.category_means.items() if c != "citizen"}
        share = 1 / len(counted)  # sme and large enterprises weigh 0.5 each, re-normalised over those present
        assert r.score == pytest.approx(sum(share * m["mean"] for m in counted.values()), abs=1e-9)
        assert r.se == pytest.approx(math.sqrt(sum(share**2 * m["se"] ** 2 for m in counted.values())), abs=1e-9)
        assert r.n == sum(m["n"] for m in counted.values())
        citizens_rated += r.category_means.get("citizen", {}).get("n", 0)
    assert citizens_rated > 0  # citizens did answer: their answers were left out, not missing
    # Rated by citizens alone: no score, but their breakdown is kept.
    assert results[rare.id].score is None and results[rare.id].n == 0 and results[rare.id].grade == INSUFFICIENT
    assert results[rare.id].category_means["citizen"]["n"] == 3

    shown = page_rows(client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True))
    exported = list(csv.reader(io.StringIO(
        client.get(f"/admin/assessment/{campaign.id}/export.csv").data.decode("utf-8-sig"))))
    exported_score = {row[1]: row[3] for row in exported[1:]}
    for d in departments:
        assert shown[d.code]["score"] == exported_score[d.code] == f"{results[d.id].score:.2f}"
        assert shown[d.code]["n"] == str(results[d.id].n)
    assert exported_score[rare.code] == ""


def test_a_scheme_whose_policy_weights_are_all_zero_is_refused(client, make_user, login, app):
    as_role(client, make_user, login, "hr")
    all_zero = {"policy__large_enterprise": "0", "policy__sme": "0", "policy__citizen": "0"}
    response = client.post_form("/admin/assessment/schemes/new", scheme_form_data("nothing", all_zero))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Every policy weight is 0" in page
    assert newest("nothing") is None
