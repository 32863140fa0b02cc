"""The safe expression language: parsed once into a tree, never given to ``eval``.

Pure: the standard library only. Questionnaire conditions (show_if, required_if) are written in it.
"""
from rules.expressions import Expression, ExpressionError, parse_expression

__all__ = ["Expression", "ExpressionError", "parse_expression"]
