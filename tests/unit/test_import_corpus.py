"""Forms other people wrote import, and every imported one survives export -> import unchanged (issue #25).

The corpus (tests/fixtures/interop/, test data only) is public test and example material of the tools designers
come from, copied as it was:

- XLSForm: the workbooks of at most 30 kB in
  XLSForm/pyxform at 51e5bfecc306febe03b3c4791ad0dbdecad208a4 (tests/example_xls, tests/bug_example_xls),
  onaio/onadata at f1db2a39315981fcec824055c32bbac3136767be (the test fixtures' forms; data exports left out) and
  kobotoolbox/formpack at 176f619aba8f9f1cf095147069a506711979687b (tests/fixtures/xlsforms); each file's origin
  is in xlsform/SOURCES.txt. Some are broken on purpose (no survey sheet, duplicate choices): they stay, refused.
- SurveyJS: the survey definitions written as object literals in the docs and tests of surveyjs/survey-library at
  1b2b5df98bb5285804fe9f43f9bae6f967a54b6a (docs/, e2e/, functionalTests/, accessibilityTests/), one fixture
  file per source file; documentation fragments whose elements have no type are not surveys and were left out.

"Imported" means with the list of left-out parts confirmed (the import page's checkbox, the CLI's --allow-drops).
The floors are the counts measured when the corpus was assembled; raise them when the importers learn more.
"""
import json
from pathlib import Path

import pytest

from questionnaire.schema import QuestionnaireError
from questionnaire.surveyjs import export_surveyjs, read_surveyjs
from questionnaire.xlsform import export_xlsform, read_xlsform

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "interop"
XLSFORMS = sorted(p for p in (CORPUS / "xlsform").iterdir() if p.suffix in (".xls", ".xlsx"))
SURVEYS = [(f"{p.stem}[{i}]", entry["survey"]) for p in sorted((CORPUS / "surveyjs").glob("*.json"))
           for i, entry in enumerate(json.loads(p.read_text(encoding="utf-8"))["surveys"])]

XLSFORM_FLOOR = 118  # of 139 (85%); before #25: 7
SURVEYJS_FLOOR = 214  # of 253 (85%); before #25: 70


def _imported(read, files):
    out = {}
    for name, data in files:
        try:
            out[name] = read(data)
        except QuestionnaireError:
            continue
    return out


@pytest.fixture(scope="module")
def xlsforms():
    return _imported(read_xlsform, [(p.name, p.read_bytes()) for p in XLSFORMS])


@pytest.fixture(scope="module")
def surveys():
    return _imported(read_surveyjs, SURVEYS)


def test_the_corpus_is_what_the_docstring_says():
    assert len(XLSFORMS) == 139 and sum(p.suffix == ".xls" for p in XLSFORMS) == 31
    assert len(SURVEYS) == 253


def test_xlsforms_import_above_the_floor(xlsforms):
    assert len(xlsforms) >= XLSFORM_FLOOR
    assert len(xlsforms) / len(XLSFORMS) >= 0.8
    # Old .xls workbooks are read too, and so are forms in English only and forms with metadata rows.
    assert any(name.endswith(".xls") for name in xlsforms)
    assert "pyxform-tutorial.xls" in xlsforms and "onadata-tutorial.xlsx" in xlsforms


def test_surveys_import_above_the_floor(surveys):
    assert len(surveys) >= SURVEYJS_FLOOR
    assert len(surveys) / len(SURVEYS) >= 0.8


def test_what_is_left_out_is_listed_with_its_place_and_reason(xlsforms, surveys):
    dropped = [p for imported in xlsforms.values() for p in imported.dropped]
    assert dropped and all(p.sheet and p.message for p in dropped)
    assert any("collects nothing about the respondent's device" in p.message for p in dropped)
    assert all(p.path and p.message for imported in surveys.values() for p in imported.dropped)


def test_every_imported_xlsform_survives_export_and_import(xlsforms):
    for name, imported in xlsforms.items():
        again = read_xlsform(export_xlsform(imported.document))
        assert again.document == imported.document, name
        assert again.dropped == [], name


def test_every_imported_survey_survives_export_and_import(surveys):
    for name, imported in surveys.items():
        again = read_surveyjs(json.loads(json.dumps(export_surveyjs(imported.document))))
        assert again.document == imported.document, name
        assert again.dropped == [], name
