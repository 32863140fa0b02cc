"""The scoring channels: the sources a department's composite score is made of, as a registry.

A channel is one registration: its ``key`` (the key of its weight in a scheme's ``channel_weights``, of the scheme
form's field, and of its score in a result's ``channel_scores``), its ``label`` (the form field's, lazy-translated)
and ``load``, how it reads its inputs for a round. The scheme form, the new-scheme view and the scoring service all
iterate the registry, so adding a channel (a forum's rates, the policy window's) is one ``register`` call here.

The monthly survey is the base channel: ``load`` gives the round's survey inputs (``inputs.RoundInputs``), from
which the service estimates the policy-weighted composite; a scheme must give it a positive weight. Every other
channel's ``load`` gives per-department ``Figures`` for the round's calendar month; a department it does not list
is scored without it.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.assessment.inputs import load_inputs
from app.casework import rates as casework_rates
from app.complaints import analysis as complaint_analysis
from app.platform.calendar import local_today
from app.policy_window import stats as policy_stats
from app.realtime import service as realtime
from app.rounds.models import Campaign


@dataclass(frozen=True)
class Figures:
    """A channel's per-department inputs for a round: the departments, their scores and how many ratings (or
    cases) each score rests on, in matching order."""

    department_ids: list[int]
    scores: list[float]
    counts: list[int]
    # What each score rests on beyond its count, as text (e.g. every rate's numerator and denominator): digested
    # with the score, so that the input hash changes whenever one of them does. Empty for most channels.
    inputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Channel:
    """One source of the composite score (see the module's docstring)."""

    key: str
    label: Any  # a lazy string: the scheme form's label of the channel's weight
    load: Callable[[Campaign], Any]
    kind: str = "scored"  # the core's channel kind: "scored" (weighted into the mean) or "additive" (points added)
    deducts: bool = False  # points × weight are subtracted: the channel enters with a negative weight
    base: bool = False  # the survey: required, and the channel the breakdowns and the raters come from

    def weight(self, scheme) -> float:
        """The channel's weight in ``scheme`` (a scheme that predates the channel gives it none; the base channel
        counts fully when a scheme names no weight for it)."""
        return float((scheme.channel_weights or {}).get(self.key, 1.0 if self.base else 0) or 0)


_REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Add a channel to the registry (its key must be new; there is one base channel)."""
    if channel.key in _REGISTRY:
        raise ValueError(f"a scoring channel {channel.key!r} is already registered")
    if channel.base and any(c.base for c in _REGISTRY.values()):
        raise ValueError("there is one base scoring channel")
    _REGISTRY[channel.key] = channel
    return channel


def channels() -> list[Channel]:
    """Every channel, in registration order (the order of the form's fields and of a scheme's weights)."""
    return list(_REGISTRY.values())


def base() -> Channel:
    """The base channel: the monthly survey."""
    return next(c for c in _REGISTRY.values() if c.base)


def others() -> list[Channel]:
    """The channels added to the survey, in registration order."""
    return [c for c in _REGISTRY.values() if not c.base]


def round_month(campaign: Campaign) -> tuple[date, date]:
    """The round's calendar month: the other channels' period, which never overlaps another monthly round's
    (the survey's open window can run past the month end when a round is extended)."""
    year, month = map(int, campaign.month.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def realtime_figures(campaign: Campaign) -> Figures:
    """The month's real-time ratings: each department's shrunk mean and how many ratings it rests on."""
    scores = [f for f in realtime.channel_scores(*round_month(campaign)).values() if f.shrunk_mean is not None]
    return Figures([f.department_id for f in scores], [f.shrunk_mean for f in scores], [f.count for f in scores])


def complaint_figures(campaign: Campaign) -> Figures:
    """The month's complaint deductions: each department's points off and how many findings they come from."""
    found = list(complaint_analysis.deductions(*round_month(campaign)).values())
    return Figures([f.department_id for f in found], [f.points for f in found], [f.substantiated for f in found])


def casework_figures(campaign: Campaign) -> Figures:
    """The month's 三率 of casework (every kind of case, ``app.casework.rates``): each department's score is the mean
    of its rates that have a denominator, × 100; its count is the sum of their denominators (assignments judged
    for the response and on-time rates, valid closed cases, verdicts); every numerator and denominator is digested."""
    table = casework_rates.rates(*round_month(campaign), local_today())
    ids, scores, counts, inputs = [], [], [], []
    for department_id in sorted(table.departments):
        figures = table.departments[department_id]
        score = figures.composite()
        if score is None:
            continue
        ids.append(department_id)
        scores.append(score)
        counts.append(sum(rate.denominator for rate in figures.rates().values()))
        inputs.append(";".join(f"{name}={rate.numerator!r}/{rate.denominator}"
                               for name, rate in figures.rates().items()))
    return Figures(ids, scores, counts, inputs)


def policy_figures(campaign: Campaign) -> Figures:
    """The month's 惠企政策兑现 rates (``app.policy_window.stats.channel_rates``): per department responsible for an
    item, the on-time rate (delivered within the promised working days, among the judged cases) and the delivered
    rate (paid and confirmed, among the approved cases); its score is the mean of the rates that have a
    denominator, × 100, its count the sum of the denominators; every numerator and denominator is digested."""
    ids, scores, counts, inputs = [], [], [], []
    for department_id, found in policy_stats.channel_rates(*round_month(campaign), local_today()).items():
        score = found.composite()
        if score is None:
            continue
        ids.append(department_id)
        scores.append(score)
        counts.append(sum(rate.denominator for rate in found.rates().values()))
        inputs.append(";".join(f"{name}={rate.numerator}/{rate.denominator}" for name, rate in found.rates().items()))
    return Figures(ids, scores, counts, inputs)


SURVEY = register(Channel("survey", _l("Survey channel weight"), load_inputs, base=True))
REALTIME = register(Channel("realtime", _l("Real-time ratings channel weight"), realtime_figures))
# Deductions are points off the composite: an additive channel with a negative weight.
COMPLAINTS = register(Channel("complaints", _l("Complaint deductions weight (points × weight are subtracted)"),
                              complaint_figures, kind="additive", deducts=True))
# The 三率 of casework: a scored channel (0–100), like the real-time ratings; weight 0 unless a scheme gives one.
CASEWORK = register(Channel("casework", _l("Casework rates (三率) channel weight (mean of the rates × 100)"),
                            casework_figures))
# 惠企政策兑现: the policy window's on-time and delivered rates (scored, 0–100); weight 0 unless a scheme gives one.
POLICY = register(Channel("policy", _l("Policy delivery (惠企政策兑现) channel weight (mean of the on-time and "
                                       "delivered rates × 100)"), policy_figures))
