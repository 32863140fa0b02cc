"""The eligibility core (pure, no app): facts with missing and stale fields, three-valued rules with their trace,
the four results, checking a rule when it is written, and the benefit estimate."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eligibility.benefits import Benefit
from eligibility.evaluation import Result, Review, Rule, RuleSet, State, rule_errors
from eligibility.fields import FIELDS, build_facts, completed_years

TODAY = date(2026, 12, 7)
STALE_DAYS = 548
FRESH = date(2026, 4, 30)  # last year's figures, updated this spring
OLD = date(2024, 4, 30)  # more than 548 days ago


def facts(stale=(), **record):
    """A profile's facts on TODAY: every given field updated on FRESH, those in ``stale`` on OLD."""
    updated = {key: (OLD if key in stale else FRESH) for key in record}
    return build_facts(record, updated, TODAY, STALE_DAYS)


COMPLETE = dict(industry="C3911", size="中型", district="高新区", registered_on=date(2018, 6, 1), revenue=2500.0,
                employees=120, tax_paid=180.0, rd_ratio=4.5, qualifications=[("高新技术企业", date(2027, 12, 31))])

RULES = [
    Rule("{revenue} >= 2000", "上年营业收入2000万元以上", "第三条第一款"),
    Rule("{qualifications} contains '高新技术企业'", "持有有效的高新技术企业证书", "第三条第二款"),
    Rule("{district} = '高新区' and {age_years} >= 3", "注册在高新区且成立满三年", "第三条第三款"),
]
REVIEW = Review("近三年无重大安全事故", "第五条")


def states(match):
    return [c.state for c in match.checks]


# --------------------------------------------------------------------------- the four results with their trace

def test_eligible_every_rule_holds_nothing_to_review():
    match = RuleSet(RULES).match(facts(**COMPLETE))
    assert match.result == Result.eligible
    assert states(match) == [State.holds] * 3
    assert match.checks[0].values == (("revenue", 2500.0),)
    assert match.checks[1].values == (("qualifications", ["高新技术企业"]),)
    assert match.checks[2].values == (("district", "高新区"), ("age_years", 8))
    assert all(c.missing == () and c.stale == () for c in match.checks)
    assert match.first_failed is None and match.deciding is None and match.missing_fields == ()


def test_likely_every_rule_holds_and_a_review_condition_remains():
    match = RuleSet(RULES, [REVIEW]).match(facts(**COMPLETE))
    assert match.result == Result.likely
    assert states(match) == [State.holds] * 3
    assert match.reviews == (REVIEW,)


def test_missing_names_the_empty_field_and_is_never_ineligible():
    record = dict(COMPLETE, revenue=None)
    match = RuleSet(RULES, [REVIEW]).match(facts(**record))
    assert match.result == Result.missing
    assert states(match) == [State.unknown, State.holds, State.holds]
    first = match.checks[0]
    assert first.missing == ("revenue",) and first.stale == ()
    assert first.values == (("revenue", None),)
    assert match.missing_fields == ("revenue",)
    assert match.deciding is first and match.first_unknown is first


def test_ineligible_names_the_first_failed_rule_with_its_article():
    record = dict(COMPLETE, revenue=800.0, district="滨江区")
    match = RuleSet(RULES, [REVIEW]).match(facts(**record))
    assert match.result == Result.ineligible
    assert states(match) == [State.fails, State.holds, State.fails]
    assert match.first_failed.index == 0
    assert match.first_failed.rule.legal_ref == "第三条第一款"
    assert match.first_failed.values == (("revenue", 800.0),)
    assert match.deciding is match.first_failed


def test_a_failed_rule_outranks_a_missing_one():
    record = dict(COMPLETE, revenue=None, qualifications=[])
    match = RuleSet(RULES).match(facts(**record))
    assert match.result == Result.ineligible  # known: no qualification at all
    assert states(match) == [State.unknown, State.fails, State.holds]
    assert match.deciding.index == 1


# --------------------------------------------------------------------------- Kleene's three values

def test_or_decided_by_the_known_side_though_the_other_is_missing():
    rules = RuleSet([Rule("{revenue} >= 2000 or {qualifications} contains '专精特新'", "营收或专精特新")])
    holds = rules.match(facts(**dict(COMPLETE, revenue=None, qualifications=[("专精特新", None)])))
    assert holds.result == Result.eligible and holds.checks[0].state == State.holds
    assert holds.checks[0].missing == ()  # decided: the missing side is not named
    undecided = rules.match(facts(**dict(COMPLETE, revenue=None, qualifications=[])))
    assert undecided.result == Result.missing and undecided.checks[0].missing == ("revenue",)


def test_and_failing_on_a_known_side_though_the_other_is_missing_is_ineligible():
    rules = RuleSet([Rule("{employees} >= 50 and {rd_ratio} >= 3", "从业人数50人以上且研发投入占比3%以上")])
    match = rules.match(facts(**dict(COMPLETE, employees=10, rd_ratio=None)))
    assert match.result == Result.ineligible
    assert match.checks[0].state == State.fails
    assert match.checks[0].values == (("employees", 10), ("rd_ratio", None))
    # The same rule with the known side holding is undecided, naming the missing one.
    open_match = rules.match(facts(**dict(COMPLETE, employees=80, rd_ratio=None)))
    assert open_match.result == Result.missing and open_match.checks[0].missing == ("rd_ratio",)


def test_not_of_an_unknown_is_unknown():
    match = RuleSet([Rule("not ({size} = '大型')", "非大型企业")]).match(facts(**dict(COMPLETE, size=None)))
    assert match.result == Result.missing and match.missing_fields == ("size",)


# --------------------------------------------------------------------------- stale figures, qualifications, age

def test_a_rule_on_a_stale_figure_is_missing_naming_it_never_ineligible():
    record = dict(COMPLETE, revenue=100.0)  # would fail if it were trusted
    match = RuleSet(RULES).match(facts(stale=("revenue",), **record))
    assert match.result == Result.missing
    check = match.checks[0]
    assert check.state == State.unknown
    assert check.stale == ("revenue",) and check.missing == ()
    assert check.values == (("revenue", 100.0),)  # the stale value is shown, not used
    assert match.missing_fields == ("revenue",)


def test_a_figure_of_unknown_date_is_stale_and_a_text_field_never_goes_stale():
    f = build_facts(dict(COMPLETE), {"district": OLD}, TODAY, STALE_DAYS)
    assert "revenue" in f.stale and "size" in f.stale
    assert "district" not in f.stale and "district" not in f.missing


def test_an_expired_qualification_does_not_count():
    record = dict(COMPLETE, qualifications=[("高新技术企业", date(2026, 12, 6)), ("专精特新", date(2026, 12, 7)),
                                            ("科技型中小企业", None)])
    f = facts(**record)
    assert f.values["qualifications"] == ["专精特新", "科技型中小企业"]  # valid on its last day, none without a date
    match = RuleSet([RULES[1]]).match(f)
    assert match.result == Result.ineligible and match.checks[0].state == State.fails


def test_qualifications_never_recorded_are_missing_an_updated_empty_list_is_a_known_none():
    never = build_facts(dict(COMPLETE, qualifications=[]), {}, TODAY, STALE_DAYS)
    assert "qualifications" in never.missing
    known_none = facts(**dict(COMPLETE, qualifications=[]))
    assert "qualifications" not in known_none.missing and known_none.values["qualifications"] == []


@pytest.mark.parametrize("registered, years", [
    (date(2021, 12, 7), 5), (date(2021, 12, 8), 4), (date(2026, 1, 1), 0), (date(2020, 2, 29), 6)])
def test_age_years_counts_completed_years_from_registration(registered, years):
    f = facts(**dict(COMPLETE, registered_on=registered))
    assert f.values["age_years"] == years == completed_years(registered, TODAY)


def test_age_years_is_missing_with_the_registration_date():
    f = facts(**dict(COMPLETE, registered_on=None))
    assert "age_years" in f.missing and f.values["age_years"] is None
    match = RuleSet([Rule("{age_years} < 5", "成立不满五年")]).match(f)
    assert match.result == Result.missing and match.missing_fields == ("age_years",)


def test_industry_section_and_division_come_from_the_code():
    f = facts(**COMPLETE)
    assert (f.values["industry_door"], f.values["industry_major"]) == ("C", "39")
    door_only = facts(**dict(COMPLETE, industry="C"))
    assert door_only.values["industry_door"] == "C" and "industry_major" in door_only.missing
    match = RuleSet([Rule("{industry_major} = '39'", "计算机、通信和其他电子设备制造业")]).match(door_only)
    assert match.result == Result.missing and match.missing_fields == ("industry_major",)


def test_every_stored_field_empty_leaves_every_rule_undecided():
    f = build_facts({}, {}, TODAY, STALE_DAYS)
    assert f.missing == frozenset(field.key for field in FIELDS)  # every fact, derived ones with their source
    match = RuleSet(RULES).match(f)
    assert match.result == Result.missing
    assert set(match.missing_fields) == {"revenue", "qualifications", "district", "age_years"}


# --------------------------------------------------------------------------- checking a rule when it is written

def rendered(messages):
    return [m.render(lambda s: s) for m in messages]


def test_a_good_rule_has_no_errors():
    for rule in RULES:
        assert rule_errors(rule.expression) == []


def test_unknown_field_is_named():
    assert rendered(rule_errors("{turnover} > 5")) == ["{turnover} is not a profile field"]


@pytest.mark.parametrize("text, expected", [
    ("{revenue} >= '2000'", "{revenue} is a number: compare it with a number"),
    ("{revenue} = true", "{revenue} is a number: compare it with a number"),
    ("{district} = 3", "{district} is a text: compare it with a quoted text"),
    ("{qualifications} = '高新技术企业'", "{qualifications} is a list: test it with contains"),
    ("{employees} contains 3", "{employees} is a number: contains does not apply"),
])
def test_literal_of_the_wrong_type_is_named(text, expected):
    assert rendered(rule_errors(text)) == [expected]


@pytest.mark.parametrize("text, expected", [
    ("{revenue} >= ", "the expression ends too early: a value is missing (at character 14)"),
    ("{revenue} >> 1", "unexpected '>': expected a {variable}, a number, a 'string' or '(' (at character 12)"),
    ("{district} = '高新区", "unterminated string: add the closing ' (at character 14)"),
    ("({revenue} >= 1", "expected ')' to close the '(' at character 1 (at character 16)"),
])
def test_syntax_error_gives_its_position_counted_from_one(text, expected):
    assert rendered(rule_errors(text)) == [expected]


# --------------------------------------------------------------------------- the benefit estimate

def test_fixed_amount_is_the_amount():
    assert Benefit("fixed", amount=Decimal("50")).estimate({}) == Decimal("50")


def test_rate_of_a_figure_rounded_to_cents_and_capped():
    benefit = Benefit("rate", rate=Decimal("2.5"), base="revenue", cap=Decimal("100"))
    assert benefit.estimate({"revenue": 1234.5}) == Decimal("30.86")  # 30.8625 half up
    assert benefit.estimate({"revenue": 10000}) == Decimal("100")  # 250 capped
    assert Benefit("rate", rate=Decimal("10"), base="tax_paid").estimate({"tax_paid": 5000}) == Decimal("500.00")


def test_rate_without_its_base_or_a_text_has_no_estimate():
    assert Benefit("rate", rate=Decimal("5"), base="tax_paid", cap=Decimal("20")).estimate({}) is None
    assert Benefit("rate", rate=Decimal("5"), base="tax_paid").estimate({"tax_paid": None}) is None
    assert Benefit("text", text="优先保障用地指标").estimate({"revenue": 1}) is None
