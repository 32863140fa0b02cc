"""Scoring channels are a registry: one registration adds a channel to the scheme form, the schemes and the scores."""
from __future__ import annotations

import pytest

from app.assessment import channels, scoring
from app.extensions import db
from tests.integration.test_assessment import as_role, closed_round, test_scheme  # noqa: F401

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
    assert [c.key for c in channels.channels()] == ["survey", "realtime", "complaints"]
    assert channels.base().key == "survey" and [c.key for c in channels.others()] == ["realtime", "complaints"]
    with pytest.raises(ValueError):
        channels.register(channels.Channel("realtime", "again", channels.realtime_figures))
    with pytest.raises(ValueError):
        channels.register(channels.Channel("other", "another survey", channels.SURVEY.load, base=True))
    assert len(channels.channels()) == 3


def test_a_registered_channel_is_weighed_in_the_form_stored_and_scored(client, make_user, login, closed_round,  # noqa: F811
                                                                        forum):
    campaign, departments, _rare = closed_round
    channel, calls, rates = forum
    as_role(client, make_user, login, "hr")
    page = client.get("/admin/assessment/schemes").get_data(as_text=True)
    assert 'name="forum"' in page and "Forum rates channel weight" in page
    assert client.post_form("/admin/assessment/schemes/new", {**SCHEME_FORM, "forum": "0.5"}).status_code == 302
    scheme = scoring.default_scheme()
    assert scheme.channel_weights == {"survey": 0.5, "realtime": 0.0, "complaints": 0.0, "forum": 0.5}

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
