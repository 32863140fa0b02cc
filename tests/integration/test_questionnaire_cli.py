"""`flask questionnaire import|export|publish`: round trips in every format, and located problems."""
import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import QuestionnaireVersion
from tests.integration.test_questionnaire_builder import bad_xlsform


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireVersion))


@pytest.mark.parametrize("suffix", [".json", ".xlsx", ".surveyjs.json"])
def test_export_then_import_round_trip(runner, tmp_path, suffix):
    path = tmp_path / f"default{suffix}"
    result = runner.invoke(args=["questionnaire", "export", "1", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 0, result.output
    draft = db.session.get(QuestionnaireVersion, int(result.output.strip()))
    assert draft.is_draft and draft.number == 1 and draft.source == path.name
    assert service.diff(db.session.get(QuestionnaireVersion, 1), draft) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.import")).one()
    assert entry.actor_name == "cli"


def test_import_then_publish(runner, tmp_path):
    path = tmp_path / "q.json"
    runner.invoke(args=["questionnaire", "export", "1", str(path)])
    draft_id = runner.invoke(args=["questionnaire", "import", "--questionnaire", "1", str(path)]).output.strip()
    assert db.session.get(QuestionnaireVersion, int(draft_id)).number == 2
    result = runner.invoke(args=["questionnaire", "publish", draft_id])
    assert result.exit_code == 0 and "sha256" in result.output
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, int(draft_id)).is_published


def test_a_bad_xlsform_lists_every_row_and_exits_1(runner, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(bad_xlsform())
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 1
    assert "survey row 3" in result.output and "nothing imported" in result.output
    assert version_count() == 1


def test_a_bad_json_lists_json_paths_and_exits_1(runner, tmp_path):
    document = {"schema_version": 1, "title": {"zh": "测试"},
                "items": [{"type": "rating", "key": "Bad Key", "label": {"zh": "题"}},
                          {"type": "single", "key": "s", "label": {"zh": "单选"},
                           "options": [{"value": "a", "label": {"zh": "甲"}, "score": "x"}]}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 1
    assert "items[0].key" in result.output and "items[1].options[0].score" in result.output
    assert version_count() == 1


def test_unknown_extension_and_missing_version(runner, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a,b")
    assert runner.invoke(args=["questionnaire", "import", str(path)]).exit_code == 1
    assert runner.invoke(args=["questionnaire", "export", "99", str(tmp_path / "x.json")]).exit_code == 1
    assert runner.invoke(args=["questionnaire", "export", "1", str(tmp_path / "x.csv")]).exit_code == 1
    assert version_count() == 1


def test_the_cli_says_the_problems_in_english(runner, tmp_path):
    from tests.integration.test_questionnaire_import_drops import faulty_form

    path = tmp_path / "faulty.xlsx"
    path.write_bytes(faulty_form())
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 1 and version_count() == 1
    assert "survey row 2, column type: the choice list 'colour' is not in the choices sheet" in result.output
    assert "survey row 4: {later} is defined later: an expression can only use questions asked before it" \
        in result.output
    assert "没有" not in result.output
