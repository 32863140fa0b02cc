"""Scoring channels are a registry: one registration adds a channel to the scheme form, the schemes and the scores."""
from __future__ import annotations

import pytest

from app.assessment import channels, scoring
from app.casework.models import Satisfaction
from app.extensions import db
from tests.integration import test_casework_rates as rates_data
from tests.integration.test_assessment import as_role, closed_round, test_scheme  # noqa: F401
from tests.integration.test_casework_rates import clock  # noqa: F401  (the engine's clock, a fixture)

SCHEME_FORM = {"name": "default", "survey": "0.5", "realtime": "0", "complaints": "0", "excellent": "90",
               "good": "80", "fair": "60", "min_raters": "3", "rank_draws": "200", "rank_seed": "7",
               "comment_release": "manual", "policy__large_enterprise": "0.3", "policy__sme": "0.3",
               "policy__citizen": "0.2", "policy__deputy": "0.1", "policy__supervisor": "0.05",
               "policy__media": "0.05"}


@pytest.fixture
def forum(monkeypatch):
    """A forum's rates, registered for the test only; ``calls`` lists the rounds it was loaded for."""
    monkeypatch.setattr(channels, "_REGISTRY", dict(channels._REGISTRY))
    calls, rates = [], {}

    def load(campaign):
        calls.append(campaign.id)
        return channels.Figures(list(rates), list(rates.values()), [10] * len(rates))

    channel = channels.register(channels.Channel("forum", "Forum rates channel weight", load))
    return channel, calls, rates


def test_the_registry_lists_the_survey_first_and_refuses_a_second_key_or_base():
    assert [c.key for c in channels.channels()] == ["survey", "realtime", "complaints", "casework", "policy"]
    assert channels.base().key == "survey" and [c.key for c in channels.others()] == ["realtime", "complaints",
                                                                                      "casework", "policy"]
    with pytest.raises(ValueError):
        channels.register(channels.Channel("realtime", "again", channels.realtime_figures))
    with pytest.raises(ValueError):
        channels.register(channels.Channel("other", "another survey", channels.SURVEY.load, base=True))
    assert len(channels.channels()) == 5


def test_a_registered_channel_is_weighed_in_the_form_stored_and_scored(client, make_user, login, closed_round,  # noqa: F811
                                                                        forum):
    campaign, departments, _rare = closed_round
    channel, calls, rates = forum
    as_role(client, make_user, login, "hr")
    page = client.get("/admin/assessment/schemes").get_data(as_text=True)
    assert 'name="forum"' in page and "Forum rates channel weight" in page
    assert client.post_form("/admin/assessment/schemes/new", {**SCHEME_FORM, "forum": "0.5"}).status_code == 302
    scheme = scoring.default_scheme()
    assert scheme.channel_weights == {"survey": 0.5, "realtime": 0.0, "complaints": 0.0, "casework": 0.0,
                                      "policy": 0.0, "forum": 0.5}

    # Without figures for the round the survey decides alone, as for the real-time and complaint channels.
    survey_only = scoring.score(campaign, scheme, None)
    db.session.commit()
    assert calls == [campaign.id] and set(survey_only.details["channels"]) == {"survey"}
    survey_hash = survey_only.input_hash

    rates[departments[0].id] = 50.0
    rescored = scoring.score(campaign, scheme, None)
    db.session.commit()
    assert rescored.details["channels"] == {"survey": 0.5, "forum": 0.5}
    result = next(r for r in rescored.results if r.department_id == departments[0].id)
    assert result.channel_scores["forum"] == 50.0
    assert result.score == pytest.approx((result.channel_scores["survey"] + 50.0) / 2)
    assert rescored.input_hash != survey_hash  # the channel's figures are part of what the hash vouches for


def test_a_channel_the_scheme_gives_no_weight_is_never_loaded(app, closed_round, forum):  # noqa: F811
    campaign, _departments, _rare = closed_round
    _channel, calls, _rates = forum
    assessment = scoring.score(campaign, test_scheme(), None)
    assert calls == [] and assessment.details["channels"] == {"survey": 1.0}


# --------------------------------------------------------------------------- the casework channel (三率)

def _casework_scheme(weight: float):
    scheme = scoring.new_scheme_version(
        "casework", None, policy_weights={"large_enterprise": 0.3, "sme": 0.3, "citizen": 0.2},
        channel_weights={"survey": 1.0, "casework": weight},
        grade_bands=[["优秀", 90], ["良好", 80], ["一般", 60], ["较差", None]], min_raters=3, rank_draws=200,
        rank_seed=7, comment_release="manual")
    db.session.commit()
    return scheme


def _perfect_case(s, clock, name, department):
    """A complaint in October 2026 acknowledged, replied and solved in time, the complainant satisfied."""
    (assignment,) = rates_data._open(s, clock, name, "2026-10-12", [department], "2026-10-23")
    rates_data._ack(clock, assignment, "2026-10-12"), rates_data._reply(clock, assignment, "2026-10-13")
    rates_data._close(s, clock, name, "2026-10-14", "solved", "satisfied")


def test_the_casework_channel_changes_the_ranking_as_computed_by_hand(app, closed_round, clock, make_user):  # noqa: F811
    campaign, departments, _rare = closed_round
    survey_only = scoring.score(campaign, _casework_scheme(0.0), None)
    db.session.commit()
    survey = {r.department_id: r.score for r in survey_only.results if r.rank}
    assert survey_only.details["channels"] == {"survey": 1.0}  # weight 0: results as without the channel
    survey_order = sorted(survey_only.results, key=lambda r: r.rank or 10**6)
    assert [r.department_id for r in survey_order if r.rank] == sorted(survey, key=lambda d: -survey[d])
    ranked = [d for d in sorted(departments, key=lambda d: -survey.get(d.id, -1)) if d.id in survey]
    top, bottom = ranked[0], ranked[-1]

    # The best surveyed department ignores its one case (三率: 0 of 1 acknowledged, 0 of 1 on time → 0); the
    # worst handles its case perfectly (every rate 1 of 1 → 100).
    s = rates_data.Scenario(departments, handler=make_user("complaints"))
    rates_data._open(s, clock, "ignored", "2026-10-12", [top], "2026-10-16")
    _perfect_case(s, clock, "perfect", bottom)
    with_casework = scoring.score(campaign, _casework_scheme(1.0), None)
    db.session.commit()
    assert with_casework.details["channels"] == {"survey": 1.0, "casework": 1.0}
    by_hand = dict(survey)
    by_hand[top.id] = (survey[top.id] + 0.0) / 2      # equal weights: the mean of the two channels
    by_hand[bottom.id] = (survey[bottom.id] + 100.0) / 2
    results = {r.department_id: r for r in with_casework.results if r.rank}
    assert {d: r.score for d, r in results.items()} == pytest.approx(by_hand)
    assert results[top.id].channel_scores["casework"] == 0.0 and results[bottom.id].channel_scores["casework"] == 100
    order = sorted(by_hand, key=lambda d: -by_hand[d])
    assert sorted(results, key=lambda d: results[d].rank) == order
    assert order != sorted(survey, key=lambda d: -survey[d])  # the ranking changed
    assert results[bottom.id].rank < results[top.id].rank


def test_the_input_digest_changes_when_a_case_changes(app, closed_round, clock, make_user):  # noqa: F811
    campaign, departments, _rare = closed_round
    scheme = _casework_scheme(0.5)
    s = rates_data.Scenario(departments, handler=make_user("complaints"))
    _perfect_case(s, clock, "first", departments[0])
    first = scoring.score(campaign, scheme, None)
    db.session.commit()
    again = scoring.score(campaign, scheme, None)
    db.session.commit()
    assert again.input_hash == first.input_hash  # the same cases, the same digest

    # A second perfect case: the department's score stays 100, but the rates now rest on two cases.
    _perfect_case(s, clock, "second", departments[0])
    second = scoring.score(campaign, scheme, None)
    db.session.commit()
    result = next(r for r in second.results if r.department_id == departments[0].id)
    assert result.channel_scores["casework"] == 100.0
    assert second.input_hash != first.input_hash

    # The complainant of the second case turns out to have been only basically satisfied: 满意率 1.9 / 2.
    s.cases["second"].satisfaction = Satisfaction.basically
    db.session.commit()
    third = scoring.score(campaign, scheme, None)
    db.session.commit()
    result = next(r for r in third.results if r.department_id == departments[0].id)
    assert result.channel_scores["casework"] == pytest.approx(100 * (1 + 1 + 1 + 0.95) / 4)
    assert third.input_hash not in (first.input_hash, second.input_hash)
