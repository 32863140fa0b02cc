"""The browser decides show-if and required-if exactly as the server does.

Random condition trees (printed, then parsed by the one parser, rules/expressions.py) and random answers
are evaluated by Python and, in real Chromium, by the evaluator in app/static/js/survey.js; every case must agree.
Unanswered values, numbers against strings, booleans against numbers, `contains` on lists and strings,
strings beyond the Basic Multilingual Plane and nested `not` are all in the mix.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.expressions import And, Compare, Literal, Not, Or, Var, parse_expression, to_source

SCRIPT = Path(__file__).resolve().parents[2] / "app" / "static" / "js" / "survey.js"
NAMES = ["a", "b", "c", "d.x"]
BATCH, EXAMPLES = 100, 25  # 2,500 cases

texts = st.text(alphabet=st.sampled_from(list("abcxyz 中文不了解-'\\") + ["😀", "\U00010000", "\uffff"]), max_size=4)
# Decimals as the language writes them (no exponent): hundredths up to ±10,000.
numbers = st.one_of(st.integers(-1000, 1000), st.integers(-10**6, 10**6).map(lambda i: i / 100),
                    st.sampled_from([0, 1, -1, 0.5, 1.0, 2]))
literals = st.one_of(numbers, texts, st.booleans())
answers = st.one_of(st.none(), numbers, texts, st.booleans(), st.lists(texts, max_size=3),
                    st.lists(st.one_of(texts, st.integers(0, 2), st.booleans()), max_size=2))
leaves = st.one_of(st.sampled_from(NAMES).map(Var), literals.map(Literal))
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "contains"]),
                  st.one_of(st.sampled_from(NAMES).map(Var), literals.map(Literal)),
                  st.one_of(st.sampled_from(NAMES).map(Var), literals.map(Literal))),
        inner.map(Not), st.builds(And, inner, inner), st.builds(Or, inner, inner)),
    max_leaves=8)
answer_sets = st.dictionaries(st.sampled_from(NAMES), answers)


@pytest.fixture(scope="module")
def evaluator(browser):
    page = browser.new_page()
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    yield page
    page.close()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(cases=st.lists(st.tuples(trees, answer_sets), min_size=BATCH, max_size=BATCH))
def test_the_browser_and_the_server_agree_on_every_condition(evaluator, cases):
    expressions = [parse_expression(to_source(tree)) for tree, _ in cases]  # through the one parser
    python = [expression.evaluate(values) for expression, (_, values) in zip(expressions, cases)]
    browser = evaluator.evaluate(
        "cases => cases.map(([tree, values]) => window.BeikaobeiConditions.evaluate(tree, values))",
        [[expression.to_json(), values] for expression, (_, values) in zip(expressions, cases)])
    disagreements = [(expression.source, values, p, b) for expression, (_, values), p, b
                     in zip(expressions, cases, python, browser) if p != b]
    assert disagreements == []


def test_the_differential_test_sees_a_difference(evaluator):
    """Not vacuous: a browser rule that differs (here, `!=` with an unanswered value) is caught."""
    expression = parse_expression("{a} != 'x'")
    assert expression.evaluate({}) is False
    assert evaluator.evaluate("t => window.BeikaobeiConditions.evaluate(t, {})", expression.to_json()) is False
    wrong = evaluator.evaluate("t => { const c = window.BeikaobeiConditions.compare;"
                               " return c('!=', null, 'x') !== (null !== 'x'); }", expression.to_json())
    assert wrong is True  # a naive JavaScript != would say true where the server says false
