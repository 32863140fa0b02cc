"""Issue 24, finding 3: a published assessment keeps the department names and codes, the scheme and the dimensions
it was published with. Renaming — or swapping the names and codes of — departments afterwards changes neither its
page nor its XLSX/CSV; `flask scores verify` checks the stored labels against the audit log; migration 0015
backfills them on a database that already holds a published assessment.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.assessment import scoring
from app.assessment.models import Assessment, AssessmentResult
from app.audit.models import AuditEntry
from app.departments.models import Department
from app.extensions import db
from tests.integration.test_assessment import as_role, closed_round, published, test_scheme  # noqa: F401


def raw(statement: str, **params) -> None:
    """One statement in its own transaction, outside the ORM and its hooks (as from a database console)."""
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def unfrozen(*statements: tuple[str, dict]) -> None:
    """What a database owner can do: switch the freezing triggers off, change rows, switch them on again."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE assessments DISABLE TRIGGER assessments_frozen"))
            connection.execute(text("ALTER TABLE assessment_results DISABLE TRIGGER assessment_results_frozen"))
        else:
            saved = connection.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                "('assessments_frozen_update', 'assessment_results_frozen_update')")).all()
            for name, _sql in saved:
                connection.execute(text(f"DROP TRIGGER {name}"))
        for statement, params in statements:
            connection.execute(text(statement), params)
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE assessments ENABLE TRIGGER assessments_frozen"))
            connection.execute(text("ALTER TABLE assessment_results ENABLE TRIGGER assessment_results_frozen"))
        else:
            for _name, sql in saved:
                connection.execute(text(sql))
    db.session.expire_all()


def ranking_on_page(html: str) -> dict[str, tuple[str, str]]:
    """The round page's ranking: department code → (name, score) as the browser shows them."""
    return {code: (name.strip(), score.strip()) for code, name, score in re.findall(
        r'<tr data-department="([^"]+)">.*?<th scope="row"><a [^>]*>(.*?)</a></th>\s*'
        r'<td data-col="score">(.*?)</td>', html, re.S)}


def ranking_in_xlsx(data: bytes) -> dict[str, tuple[str, str]]:
    ws = load_workbook(io.BytesIO(data))["Ranking"]
    return {code: (name, "—" if score is None else f"{score:.2f}")
            for _rank, code, name, score, *_rest in ws.iter_rows(min_row=2, values_only=True)}


def ranking_in_csv(data: bytes) -> dict[str, tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return {r[1]: (r[2], r[3] or "—") for r in rows[1:]}


def what_hr_reads(client, campaign) -> dict[str, dict[str, tuple[str, str]]]:
    db.session.expire_all()
    return {"page": ranking_on_page(client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True)),
            "xlsx": ranking_in_xlsx(client.get(f"/admin/assessment/{campaign.id}/export.xlsx").data),
            "csv": ranking_in_csv(client.get(f"/admin/assessment/{campaign.id}/export.csv").data)}


def swap_and_rename(a, b, c) -> None:
    """Swap the names and codes of departments a and b, and rename c (through the database, as an edit would)."""
    (ca, na), (cb, nb) = (a.code, a.name), (b.code, b.name)
    a.code, a.name = "TMP-SWAP", "临时名称"
    db.session.flush()
    b.code, b.name = ca, na
    db.session.flush()
    a.code, a.name = cb, nb
    c.name = "市住房和城乡建设局（改名）"
    db.session.commit()


def test_renaming_and_swapping_departments_after_publication_changes_nothing_published(
        client, make_user, login, published):
    campaign, departments, _rare = published
    as_role(client, make_user, login, "hr")
    before = what_hr_reads(client, campaign)
    first, second, third = departments[0], departments[1], departments[2]
    original = {d.code: (d.name, before["page"][d.code][1]) for d in (first, second, third)}
    first_code, second_code = first.code, second.code
    assert before["page"][first.code] == before["xlsx"][first.code] == before["csv"][first.code]
    assert before["page"][first.code][1] != before["page"][second.code][1]  # two different scores to swap

    swap_and_rename(first, second, third)

    after = what_hr_reads(client, campaign)
    for where in ("page", "xlsx", "csv"):
        assert after[where] == before[where], where
        for code, (name, score) in original.items():
            assert after[where][code] == (name, score), (where, code)
    assert "市住房和城乡建设局（改名）" not in str(after)
    # A department's own page is titled with the name it was published with, next to its published score, although
    # the department now carries the other one's live name and code.
    db.session.expire_all()
    assert (first.code, first.name) == (second_code, original[second_code][0])  # as the database now has it
    page = client.get(f"/admin/assessment/{campaign.id}/departments/{first.id}").get_data(as_text=True)
    assert re.search(r"<h1>(.*?) · ", page).group(1) == original[first_code][0]
    assert f'data-col="score">{original[first_code][1]}<' in page


def test_a_scored_draft_follows_the_live_names(client, make_user, login, closed_round):
    campaign, departments, _rare = closed_round
    scoring.score(campaign, test_scheme(), None)
    db.session.commit()
    departments[0].name = "市市场监督管理局（新）"
    db.session.commit()
    as_role(client, make_user, login, "hr")
    shown = what_hr_reads(client, campaign)
    for where in ("page", "xlsx", "csv"):
        assert shown[where][departments[0].code][0] == "市市场监督管理局（新）", where
    # Publishing freezes the names of the day of publication.
    scoring.publish(campaign, None)
    db.session.commit()
    departments[0].name = "又改了名"
    db.session.commit()
    assert what_hr_reads(client, campaign)["page"][departments[0].code][0] == "市市场监督管理局（新）"


def test_a_correction_keeps_the_labels_of_its_own_day(app, published):
    campaign, departments, _rare = published
    departments[1].name = "市税务局（更正前改名）"
    db.session.commit()
    new = scoring.correct(campaign, test_scheme(), None, "复核后更正")
    db.session.commit()
    old = next(a for a in scoring.assessment_history(campaign) if a.id != new.id)
    assert {r.name for r in scoring.ranking_rows(old)} >= {"市税务局"}
    assert {r.name for r in scoring.ranking_rows(new)} >= {"市税务局（更正前改名）"}


def stored_name_of(assessment_id: int, department_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(AssessmentResult.department_name).where(
        AssessmentResult.assessment_id == assessment_id, AssessmentResult.department_id == department_id))


def test_verify_checks_the_stored_labels(app, runner, published):
    campaign, departments, _rare = published
    # Renaming live departments is no mismatch: the published version did not move.
    departments[1].name = "市税务局（新名）"
    db.session.commit()
    clean = runner.invoke(args=["scores", "verify", campaign.month])
    assert clean.exit_code == 0 and "1 assessment version(s) match" in clean.output, clean.output

    assessment = scoring.current_assessment(campaign)
    # The triggers refuse changing a published label …
    with pytest.raises(DatabaseError, match="frozen"):
        raw("UPDATE assessment_results SET department_name = '市公安局' WHERE assessment_id = :a AND department_id = :d",
            a=assessment.id, d=departments[1].id)
    assert stored_name_of(assessment.id, departments[1].id) == "市税务局"
    # … so a database owner switches them off, swaps two departments' stored names, and switches them on again.
    unfrozen(("UPDATE assessment_results SET department_name = CASE department_id WHEN :a THEN :nb ELSE :na END "
              "WHERE assessment_id = :id AND department_id IN (:a, :b)",
              {"id": assessment.id, "a": departments[1].id, "b": departments[2].id, "na": "市税务局",
               "nb": "市公安局"}))
    assert stored_name_of(assessment.id, departments[1].id) == "市公安局"
    tampered = runner.invoke(args=["scores", "verify", campaign.month])
    assert tampered.exit_code == 1
    assert (f"version 1: department {departments[1].id}: stored name is '市公安局', recorded '市税务局' "
            f"(audit entry") in tampered.output
    assert (f"version 1: department {departments[2].id}: stored name is '市税务局', recorded '市公安局'"
            in tampered.output)
    assert ", campaign.published)" in tampered.output


def test_verify_names_a_changed_scheme_label_or_dimension(app, runner, published):
    campaign, _departments, _rare = published
    assessment = scoring.current_assessment(campaign)
    dimensions = scoring.assessment_dimensions(assessment)
    assert dimensions
    forged = '{"scheme": "forged v9", "dimensions": ["%s"]}' % dimensions[0]
    unfrozen(("UPDATE assessments SET labels = :labels WHERE id = :id", {"labels": forged, "id": assessment.id}))
    result = runner.invoke(args=["scores", "verify", campaign.month])
    assert result.exit_code == 1
    assert "version 1: scheme label is 'forged v9', recorded 'test v" in result.output
    assert "version 1: dimensions are" in result.output


def test_migration_0015_keeps_a_published_assessment_and_backfills_its_labels(app, runner, published):
    """A database holding a published assessment, taken back to 0014 (no labels) and upgraded again."""
    campaign, departments, _rare = published
    assessment = scoring.current_assessment(campaign)
    assessment_id, input_hash, month = assessment.id, assessment.input_hash, campaign.month
    figures = sorted(db.session.execute(select(
        AssessmentResult.department_id, AssessmentResult.score, AssessmentResult.rank, AssessmentResult.grade)
        .where(AssessmentResult.assessment_id == assessment_id)).all())
    dimensions = scoring.assessment_dimensions(assessment)
    department_ids = [d.id for d in departments]
    db.session.commit()
    db.session.remove()

    downgrade(revision="0014")  # the schema before the labels: the published rows stay, unlabelled
    upgrade()

    again = db.session.get(Assessment, assessment_id)
    assert again.status.value == "published" and again.input_hash == input_hash
    assert sorted(db.session.execute(select(
        AssessmentResult.department_id, AssessmentResult.score, AssessmentResult.rank, AssessmentResult.grade)
        .where(AssessmentResult.assessment_id == assessment_id)).all()) == figures
    # Labels backfilled from the current names and codes, the scheme and the round's questionnaire.
    live = {d.id: (d.code, d.name) for d in db.session.scalars(select(Department))}
    assert {r.department_id for r in again.results} >= set(department_ids)
    for r in again.results:
        assert (r.department_code, r.department_name) == live[r.department_id]
    assert again.labels == {"scheme": again.scheme.label, "dimensions": dimensions}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assessment.labels_backfilled")).all()
    assert len(entries) == 1
    assert entries[0].details["assessment"] == assessment_id and entries[0].actor_name == "migration"
    # The audit chain still holds, the published version still verifies, and its labels are frozen again.
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    verified = runner.invoke(args=["scores", "verify", month])
    assert verified.exit_code == 0, verified.output
    with pytest.raises(DatabaseError, match="frozen"):
        raw("UPDATE assessments SET labels = '{}' WHERE id = :id", id=assessment_id)
    with pytest.raises(DatabaseError, match="frozen"):
        raw("UPDATE assessment_results SET department_name = 'x' WHERE assessment_id = :id", id=assessment_id)
    renamed = db.session.get(Department, department_ids[0])
    published_name = renamed.name
    renamed.name = "升级后改名"
    db.session.commit()
    assert published_name in {r.name for r in scoring.ranking_rows(again)}
    assert "升级后改名" not in {r.name for r in scoring.ranking_rows(again)}
