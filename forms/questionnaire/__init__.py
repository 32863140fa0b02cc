"""The questionnaire core: schema, expressions, default questionnaire, form factory, answers, import/export, diff.

Pure: imports WTForms, jsonschema, openpyxl and the standard library only (no Flask, no database).
See docs/QUESTIONNAIRE.md.
"""
from .answers import Answer, department_score, dimension_scores, extract_answers, field_name
from .defaults import default_questionnaire
from .diff import Change, diff_documents
from .expressions import Expression, ExpressionError, parse_expression
from .factory import LayoutEntry, Step, build_form_class, steps
from .xlsform import XLSFormError, export_xlsform, import_xlsform
from .schema import (
    SCHEMA_VERSION, Problem, QuestionnaireError, check_document, document_schema, normalize_document,
    validate_document,
)
from .surveyjs import SurveyJSError, export_surveyjs, import_surveyjs
from .types import DEFAULT_SCALE, NOT_FAMILIAR, QUESTION_TYPES, REGISTRY

__all__ = [
    "Change", "SurveyJSError", "XLSFormError", "diff_documents", "export_surveyjs", "export_xlsform",
    "import_surveyjs", "import_xlsform", "Answer", "DEFAULT_SCALE", "Expression", "ExpressionError", "LayoutEntry", "NOT_FAMILIAR", "Problem",
    "QUESTION_TYPES", "QuestionnaireError", "REGISTRY", "SCHEMA_VERSION", "Step", "build_form_class",
    "check_document", "default_questionnaire", "department_score", "dimension_scores", "document_schema",
    "extract_answers", "field_name", "normalize_document", "parse_expression", "steps", "validate_document",
]
