"""Published assessments are frozen by the database itself: raw SQL cannot change their figures.

The model hooks (tests/integration/test_assessment.py) stop the application's own code; these tests go
around the application, as someone with a database console would, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.assessment import scoring
from app.assessment.models import Assessment, AssessmentResult, AssessmentStatus
from app.extensions import db
from tests.integration.test_assessment import closed_round, published, test_scheme  # noqa: F401 (fixtures)


def raw(statement: str, **params) -> None:
    """Run one statement in its own transaction, outside the ORM (and its hooks)."""
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def figures(assessment_id: int) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(AssessmentResult.department_id, AssessmentResult.score, AssessmentResult.rank, AssessmentResult.grade)
        .where(AssessmentResult.assessment_id == assessment_id).order_by(AssessmentResult.department_id)).all()


@pytest.mark.parametrize("statement", [
    "UPDATE assessment_results SET score = 99.5 WHERE assessment_id = :id",
    "UPDATE assessment_results SET rank = 1, grade = '优秀' WHERE assessment_id = :id",
    "DELETE FROM assessment_results WHERE assessment_id = :id",
    "INSERT INTO assessment_results (assessment_id, department_id, n, category_means, dimension_means, "
    "channel_scores, grade, change_significant) SELECT :id, id, 99, '{}', '{}', '{}', '优秀', false FROM departments "
    "WHERE code = 'LATE'",
])
def test_raw_sql_cannot_change_a_published_assessments_results(app, published, make_department, statement):
    campaign, _departments, _rare = published
    make_department("LATE", "市后来局")  # a department with no result yet: a row for it would be new
    assessment = scoring.current_assessment(campaign)
    assert assessment.status == AssessmentStatus.published
    before = figures(assessment.id)
    assert before
    with pytest.raises(DatabaseError, match="frozen"):
        raw(statement, id=assessment.id)
    assert figures(assessment.id) == before


@pytest.mark.parametrize("statement", [
    "UPDATE assessments SET input_hash = 'forged' WHERE id = :id",
    "UPDATE assessments SET status = 'scored' WHERE id = :id",
    "UPDATE assessments SET details = '{}' WHERE id = :id",
    "UPDATE assessments SET status = 'superseded', responded = responded + 1 WHERE id = :id",
    "DELETE FROM assessments WHERE id = :id",
])
def test_raw_sql_cannot_change_or_delete_a_published_assessment(app, published, statement):
    campaign, _departments, _rare = published
    assessment = scoring.current_assessment(campaign)
    snapshot = (assessment.id, assessment.status, assessment.input_hash, assessment.responded)
    with pytest.raises(DatabaseError, match="frozen"):
        raw(statement, id=assessment.id)
    db.session.expire_all()
    again = db.session.get(Assessment, assessment.id)
    assert (again.id, again.status, again.input_hash, again.responded) == snapshot


def test_the_scheme_of_a_published_assessment_cannot_be_changed(app, published):
    campaign, _departments, _rare = published
    scheme_id = scoring.current_assessment(campaign).scheme_id
    with pytest.raises(DatabaseError, match="frozen"):
        raw("UPDATE assessment_schemes SET policy_weights = '{\"sme\": 1.0}' WHERE id = :id", id=scheme_id)
    with pytest.raises(DatabaseError, match="frozen"):
        raw("DELETE FROM assessment_schemes WHERE id = :id", id=scheme_id)


def test_a_scored_assessment_can_still_be_rescored_and_published(app, closed_round):
    campaign, _departments, _rare = closed_round
    first = scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    first_id = first.id
    # Before publication the figures are not frozen: the database lets them change…
    raw("UPDATE assessment_results SET grade = 'x' WHERE assessment_id = :id", id=first_id)
    # …and re-scoring deletes the old assessment and its results and stores new ones.
    second = scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1  # the first one is gone
    assert db.session.scalar(select(func.count()).select_from(AssessmentResult)) == len(figures(second.id)) > 0
    assert "x" not in {grade for *_rest, grade in figures(second.id)}
    scoring.publish(campaign, None)
    db.session.commit()
    assert db.session.get(Assessment, second.id).status == AssessmentStatus.published


def test_a_correction_still_works_and_freezes_both_versions(app, published):
    campaign, _departments, _rare = published
    old = scoring.current_assessment(campaign)
    old_id, old_figures = old.id, figures(old.id)
    new = scoring.correct(campaign, test_scheme(min_raters=2), None, "rank threshold was wrong")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Assessment, old_id).status == AssessmentStatus.superseded
    assert db.session.get(Assessment, new.id).status == AssessmentStatus.published
    assert figures(old_id) == old_figures and figures(new.id)
    for assessment_id in (old_id, new.id):
        with pytest.raises(DatabaseError, match="frozen"):
            raw("UPDATE assessment_results SET score = 0 WHERE assessment_id = :id", id=assessment_id)
    with pytest.raises(DatabaseError, match="frozen"):  # a superseded one cannot be brought back either
        raw("UPDATE assessments SET status = 'published' WHERE id = :id", id=old_id)


# --------------------------------------------------------------------------- what the triggers cannot stop

def test_results_changed_before_publication_are_caught_by_flask_scores_verify(app, runner, closed_round):
    """Before publication the database lets figures change (re-scoring needs it); the audit log remembers them."""
    campaign, departments, _rare = closed_round
    scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    clean = runner.invoke(args=["scores", "verify", campaign.month])
    assert clean.exit_code == 0 and "1 assessment version(s) match" in clean.output

    assessment_id = scoring.current_assessment(campaign).id
    raw("UPDATE assessment_results SET score = score + 5 WHERE assessment_id = :id AND department_id = :d",
        id=assessment_id, d=departments[1].id)
    scoring.publish(campaign, None)  # published as it now stands
    db.session.commit()
    tampered = runner.invoke(args=["scores", "verify", campaign.month])
    assert tampered.exit_code == 1
    assert "version 1: results differ from those recorded by audit entry" in tampered.output
    assert "(campaign.scored)" in tampered.output and "(campaign.published)" not in tampered.output


def test_an_assessment_version_no_audited_step_created_is_caught(app, runner, published):
    campaign, _departments, _rare = published
    assert runner.invoke(args=["scores", "verify", campaign.month]).exit_code == 0
    raw("INSERT INTO assessments (campaign_id, scheme_id, version, status, input_hash, seed, invited, responded, "
        "details, correction_reason, scored_at) SELECT campaign_id, scheme_id, 2, 'scored', input_hash, seed, invited, "
        "responded, details, 'forged', scored_at FROM assessments WHERE campaign_id = :c", c=campaign.id)
    result = runner.invoke(args=["scores", "verify", campaign.month])
    assert result.exit_code == 1 and "version 2: no audit entry records its results" in result.output
