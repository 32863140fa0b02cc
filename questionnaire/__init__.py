"""The questionnaire model: schema, question types, default questionnaire, answers, import/export, diff.

Pure: imports jsonschema, openpyxl, the expression language (``rules``) and the standard library only
(no Flask, no WTForms, no database). The WTForms form of a version is built by ``forms.factory``.
See docs/QUESTIONNAIRE.md.
"""
from questionnaire.answers import Answer, department_score, dimension_scores, extract_answers, field_name
from questionnaire.defaults import default_questionnaire
from questionnaire.diff import Change, diff_documents
from questionnaire.interop import DropsToConfirm, Imported, LeftOut
from questionnaire.schema import (
    SCHEMA_VERSION,
    Problem,
    QuestionnaireError,
    check_document,
    document_schema,
    normalize_document,
    validate_document,
)
from questionnaire.surveyjs import SurveyJSError, export_surveyjs, import_surveyjs, read_surveyjs
from questionnaire.types import DEFAULT_SCALE, NOT_FAMILIAR, QUESTION_TYPES, REGISTRY
from questionnaire.xlsform import XLSFormError, export_xlsform, import_xlsform, read_xlsform

__all__ = [
    "Change", "DropsToConfirm", "Imported", "LeftOut", "SurveyJSError", "XLSFormError", "diff_documents",
    "export_surveyjs", "export_xlsform", "import_surveyjs", "import_xlsform", "read_surveyjs", "read_xlsform", "Answer", "DEFAULT_SCALE", "NOT_FAMILIAR", "Problem",
    "QUESTION_TYPES", "QuestionnaireError", "REGISTRY", "SCHEMA_VERSION", 
    "check_document", "default_questionnaire", "department_score", "dimension_scores", "document_schema",
    "extract_answers", "field_name", "normalize_document", "validate_document",
]
