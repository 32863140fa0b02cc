"""The estimate of a round's department scores: item scores → weights → domain means → policy weights → channels.

The survey's estimate comes from its inputs (``inputs.RoundInputs``); the other channels' figures come from the
registry (``channels``), each weighted as the scheme says. How the numbers are computed: docs/ASSESSMENT.md.
"""
from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import numpy as np
from flask_babel import gettext as _

from app.assessment import channels as registry
from app.assessment.errors import ScoringError
from app.assessment.inputs import RoundInputs
from app.assessment.models import AssessmentScheme
from app.rounds.models import Campaign
from scoring import composite, items, weights


class Estimate(NamedTuple):
    """Per department (ids): composite score, SE, survey raters, category and dimension breakdowns, channels."""

    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray
    n: np.ndarray
    categories: dict[int, dict[str, dict]]
    dimensions: dict[int, dict[str, dict]]
    channel_scores: dict[int, dict[str, float]]
    details: dict[str, Any]
    channels_digest: str = ""  # SHA-256 of the other channels' inputs; "" when the scheme uses none of them


def _channels_digest(channels: dict[str, composite.Channel], inputs: dict[str, dict[int, str]] | None = None) -> str:
    """SHA-256 of the other channels' per-department inputs (name, department, score, count, and what else the
    channel says the score rests on, ``inputs``), canonical order."""
    if not channels:
        return ""
    inputs = inputs or {}
    h = hashlib.sha256()
    for name in sorted(channels):
        ch = channels[name]
        for d, score, n in sorted(zip(np.asarray(ch.domains).tolist(), np.asarray(ch.score, float).tolist(),
                                      np.asarray(ch.n).tolist())):
            line = f"{name}|{int(d)}|{score!r}|{int(n)}|{ch.weight!r}"
            if name in inputs:  # only a channel that gives more: the others' hashes stay what they were
                line += f"|{inputs[name].get(int(d), '')}"
            h.update(f"{line}\n".encode())
    return h.hexdigest()


def _category(strata: np.ndarray) -> np.ndarray:
    """The respondent category of a stratum label ``category`` or ``category|district``."""
    if strata.size == 0:
        return strata.astype(str)
    return np.char.partition(strata.astype(str), "|")[:, 0]


def _unit_weights(inputs: RoundInputs) -> tuple[np.ndarray, list[str]]:
    """Non-response adjusted weights of the responses; strata with invitations but no response are reported."""
    nonresponding = ~inputs.invited_responded
    strata = np.concatenate([inputs.invited_stratum[nonresponding], inputs.response_stratum])
    pi = np.concatenate([inputs.invited_pi[nonresponding], inputs.response_pi])
    responded = np.concatenate([np.zeros(int(nonresponding.sum()), bool), np.ones(inputs.response_id.size, bool)])
    if not np.all(np.isfinite(pi) & (pi > 0) & (pi <= 1)):
        raise ScoringError(_("Some inclusion probabilities are not between 0 and 1; check the round's draw."))
    empty = sorted(set(inputs.invited_stratum.tolist()) - set(inputs.response_stratum.tolist()))
    w = weights.nonresponse_adjusted(weights.design_weights(pi), strata, responded, on_empty="drop")
    return w, empty


def _fpc(inputs: RoundInputs) -> np.ndarray | None:
    sizes = inputs.stratum_sizes
    if not sizes or not set(inputs.response_stratum.tolist()) <= set(sizes):
        return None
    return np.array([sizes[s] for s in inputs.response_stratum], dtype=float)


def _policy(scheme: AssessmentScheme, estimates: dict) -> dict[str, float]:
    """The scheme's policy weights, 0 included (0 = the category is left out of the composite, not an error)."""
    policy = {c: float(w) for c, w in (scheme.policy_weights or {}).items()}
    unknown = sorted(set(estimates) - set(policy))
    if unknown:
        raise ScoringError(_("The scheme %(scheme)s has no policy weight for the respondent categories: %(names)s. "
                             "Record a new scheme version that gives them a weight (0 leaves a category out).",
                             scheme=scheme.label, names=", ".join(unknown)))
    return policy


def _policy_composite(scheme, inputs, unit_weights, fpc, mask=None):
    """Per-category domain means and their policy-weighted combination, over the items in ``mask``."""
    unit, dept, question, score = inputs.answer_unit, inputs.answer_department, inputs.answer_question, \
        inputs.answer_score
    if mask is not None:
        unit, dept, question, score = unit[mask], dept[mask], question[mask], score[mask]
    item_weight = _lookup(question, inputs.items.weight, float)
    uds = items.unit_domain_scores(unit, dept, item_weight, score)
    estimates = composite.by_category(_category(inputs.response_stratum), inputs.response_stratum, unit_weights,
                                      uds.unit, uds.domain, uds.score, fpc=fpc)
    return estimates, composite.policy_weighted(estimates, _policy(scheme, estimates), min_raters=1)


def _lookup(keys: np.ndarray, mapping: dict, dtype) -> np.ndarray:
    """mapping[k] for every k, vectorised over the distinct keys."""
    if keys.size == 0:
        return np.zeros(0, dtype=dtype)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return np.array([mapping[k] for k in distinct.tolist()], dtype=dtype)[inverse]


def _breakdown(domains, mean, se, n) -> dict[int, dict]:
    return {int(d): {"mean": float(m), "se": float(s), "n": int(k)} for d, m, s, k in zip(domains, mean, se, n)}


def _other_channels(scheme: AssessmentScheme, campaign: Campaign
                    ) -> tuple[dict[str, composite.Channel], dict[str, dict[int, str]]]:
    """The registered channels besides the survey that the scheme weighs and that have figures for the round, and
    what else each says its department scores rest on (``Figures.inputs``)."""
    out, inputs = {}, {}
    for channel in registry.others():
        weight = channel.weight(scheme)
        if weight <= 0:
            continue
        figures = channel.load(campaign)
        if figures.department_ids:
            out[channel.key] = composite.Channel(
                np.array(figures.department_ids), np.array(figures.scores, float),
                np.zeros(len(figures.department_ids)), np.array(figures.counts),
                -weight if channel.deducts else weight, kind=channel.kind)
            if figures.inputs:
                inputs[channel.key] = dict(zip(figures.department_ids, figures.inputs))
    return out, inputs


def estimate(campaign: Campaign, scheme: AssessmentScheme, inputs: RoundInputs) -> Estimate:
    """The round's department scores: item scores → weights → domain means → policy weights → channels."""
    if inputs.response_id.size == 0:
        raise ScoringError(_("The round has no responses to score."))
    if not inputs.items.weight:
        raise ScoringError(_("The round's questionnaire has no scored department questions."))
    unit_weights, empty = _unit_weights(inputs)
    fpc = _fpc(inputs)
    try:
        estimates, policy = _policy_composite(scheme, inputs, unit_weights, fpc)
        categories: dict[int, dict[str, dict]] = {}
        for c, e in estimates.items():
            for d, row in _breakdown(e.domains, e.mean, e.se, e.n).items():
                categories.setdefault(d, {})[str(c)] = row
        dimensions: dict[int, dict[str, dict]] = {}
        answer_dimension = _lookup(inputs.answer_question, inputs.items.dimension, object)
        for dim in inputs.items.dimensions:
            mask = answer_dimension == dim
            if not mask.any():
                continue
            _e, pc = _policy_composite(scheme, inputs, unit_weights, fpc, mask)
            for d, row in _breakdown(pc.domains, pc.mean, pc.se, pc.n).items():
                dimensions.setdefault(d, {})[dim] = row
        survey = registry.base()
        survey_weight = survey.weight(scheme)
        if survey_weight <= 0:
            raise ScoringError(_("The scheme gives the survey channel no weight."))
        channels = {survey.key: composite.Channel(policy.domains, policy.mean, policy.se, policy.n, survey_weight)}
        extra, extra_inputs = _other_channels(scheme, campaign)
        channels.update(extra)
        combined = composite.combine_channels(channels)
    except ValueError as e:
        if isinstance(e, ScoringError):
            raise
        raise ScoringError(_("The round cannot be scored: %(reason)s", reason=str(e))) from e
    survey_n = dict(zip(policy.domains.tolist(), policy.n.tolist()))
    n = np.array([survey_n.get(d, 0) for d in combined.domains.tolist()], dtype=np.int64)
    channel_scores: dict[int, dict[str, float]] = {}
    for name, ch in channels.items():
        for d, s in zip(np.asarray(ch.domains).tolist(), np.asarray(ch.score).tolist()):
            channel_scores.setdefault(int(d), {})[name] = float(s)
    details = {"channels": {k: float(abs(v.weight)) for k, v in channels.items()}, "empty_strata": empty,
               "fpc": fpc is not None, "questionnaire_version": inputs.questionnaire_version_id}
    return Estimate(combined.domains, combined.score, combined.se, n, categories, dimensions, channel_scores,
                    details, _channels_digest(extra, extra_inputs))
