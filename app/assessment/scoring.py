"""Scoring a round through the application: the round's rows as arrays, the pure core, stored results.

closed → scored (``score``; re-scoring a scored round replaces its unpublished
assessment) → published (``publish``; frozen) and, after publishing, corrections
(``correct``): a new assessment version, the old one kept as superseded. Every
action is audited. How the numbers are computed: docs/ASSESSMENT.md.
"""
from __future__ import annotations

import calendar
import hashlib
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessment.models import (
    Assessment,
    AssessmentResult,
    AssessmentScheme,
    AssessmentStatus,
    CommentRelease,
    CommentReleaseRecord,
)
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.complaints import service as complaints
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import utcnow
from app.realtime import service as realtime
from app.responses.models import Response, ResponseAnswer, SealedResponse
from app.rounds import service as round_service
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission
from questionnaire.schema import department_block
from questionnaire.types import type_of
from scoring import composite, items, ranking, weights

Z_95 = 1.959963984540054
K_ANONYMITY = 5  # DESIGN.md: no breakdown of fewer than k raters for liaisons
COMMENT_TYPES = ("text", "textarea")
CHANNELS = ("survey", "realtime", "complaints")
DEFAULT_SCHEME_NAME = "default"


class ScoringError(ValueError):
    """A user-facing reason why scoring, publishing or a correction is refused."""


# --------------------------------------------------------------------------- the questionnaire's items

@dataclass(frozen=True)
class ItemTable:
    """The scored department items of a questionnaire document: weight and dimension per answer key."""

    weight: dict[str, float]
    dimension: dict[str, str]
    comments: tuple[str, ...]

    @property
    def dimensions(self) -> list[str]:
        return list(dict.fromkeys(self.dimension.values()))


def item_table(doc: dict) -> ItemTable:
    """Weights and dimensions of the scored items asked per department; the department text questions."""
    block = department_block(doc) or {"items": []}
    weight, dimension, comments = {}, {}, []
    for q in block.get("items", []):
        qtype = type_of(q)
        if q.get("type") in COMMENT_TYPES:
            comments.append(q["key"])
        if not (qtype.scorable and q.get("scored")):
            continue
        for slot in qtype.slots(q):
            w = float(qtype.slot_weight(q, slot))
            if w > 0:  # an item of weight 0 is not a scored item (the core refuses it)
                weight[slot.answer_key] = w
                dimension[slot.answer_key] = q.get("dimension") or q["key"]
    return ItemTable(weight, dimension, tuple(comments))


# --------------------------------------------------------------------------- the round as arrays

@dataclass
class RoundInputs:
    """Everything the estimate depends on, as arrays (responses sorted by their random id)."""

    invited_stratum: np.ndarray
    invited_pi: np.ndarray
    invited_responded: np.ndarray
    response_id: np.ndarray
    response_stratum: np.ndarray
    response_pi: np.ndarray
    answer_unit: np.ndarray      # positions into the response arrays
    answer_department: np.ndarray
    answer_question: np.ndarray
    answer_score: np.ndarray     # NaN = missing ("not familiar")
    stratum_sizes: dict[str, int]
    items: ItemTable
    questionnaire_version_id: int | None
    departments: list[Department] = field(default_factory=list)

    def digest(self) -> str:
        """SHA-256 of the canonical input arrays (docs/ASSESSMENT.md, "Input hash")."""
        h = hashlib.sha256()

        def part(name: str, data: bytes) -> None:
            h.update(f"{name}:{len(data)}:".encode())
            h.update(data)

        def text(values) -> bytes:
            return "\x1f".join(map(str, values)).encode("utf-8")

        order = np.lexsort((self.invited_responded, self.invited_pi, self.invited_stratum))
        part("invited_stratum", text(self.invited_stratum[order]))
        part("invited_pi", self.invited_pi[order].astype("<f8").tobytes())
        part("invited_responded", self.invited_responded[order].astype("u1").tobytes())
        part("response_id", text(self.response_id))
        part("response_stratum", text(self.response_stratum))
        part("response_pi", self.response_pi.astype("<f8").tobytes())
        order = np.lexsort((self.answer_question, self.answer_department, self.answer_unit))
        part("answer_unit", self.answer_unit[order].astype("<i8").tobytes())
        part("answer_department", self.answer_department[order].astype("<i8").tobytes())
        part("answer_question", text(self.answer_question[order]))
        part("answer_score", self.answer_score[order].astype("<f8").tobytes())
        part("stratum_sizes", text(f"{k}={v}" for k, v in sorted(self.stratum_sizes.items())))
        part("item_weights", text(f"{k}={self.items.weight[k]!r}|{self.items.dimension[k]}"
                                  for k in sorted(self.items.weight)))
        return h.hexdigest()


def load_inputs(campaign: Campaign) -> RoundInputs:
    """The round's invitations, responses and scored answers as arrays: one query each."""
    version = campaign.questionnaire_version
    if version is None:
        raise ScoringError(_("The round has no questionnaire version."))
    table = item_table(version.document)
    submitted = select(InvitationSubmission.invitation_id)
    inv = db.session.execute(
        select(Invitation.stratum, Invitation.inclusion_probability, Invitation.id.in_(submitted))
        .where(Invitation.campaign_id == campaign.id)).all()
    resp = db.session.execute(
        select(Response.id, Response.stratum, Response.inclusion_probability)
        .where(Response.campaign_id == campaign.id).order_by(Response.id)).all()
    ans = db.session.execute(
        select(ResponseAnswer.response_id, ResponseAnswer.department_id, ResponseAnswer.question,
               ResponseAnswer.score)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id.is_not(None),
               ResponseAnswer.question.in_(list(table.weight) or [""]))).all()

    def columns(rows, n, dtypes):
        if not rows:
            return [np.zeros(0, dtype=t) for t in dtypes]
        cols = list(zip(*rows))
        return [np.array(cols[i], dtype=dtypes[i]) for i in range(n)]

    inv_stratum, inv_pi, inv_responded = columns(inv, 3, (str, float, bool))
    resp_id, resp_stratum, resp_pi = columns(resp, 3, (str, str, float))
    a_resp, a_dept, a_question, a_score = columns(ans, 4, (str, np.int64, str, object))
    a_score = np.array([np.nan if s is None else s for s in a_score], dtype=float) if a_score.size else \
        np.zeros(0)
    unit = np.searchsorted(resp_id, a_resp) if resp_id.size else np.zeros(0, dtype=np.int64)
    draw = campaign.current_draw
    return RoundInputs(inv_stratum, inv_pi, inv_responded, resp_id, resp_stratum, resp_pi, unit.astype(np.int64),
                       a_dept, a_question, a_score, dict(draw.stratum_sizes) if draw else {}, table,
                       version.id, list(campaign.departments))


# --------------------------------------------------------------------------- the estimate

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
    channels_digest: str = ""  # SHA-256 of the real-time and complaint inputs; "" when the scheme uses neither


def _channels_digest(channels: dict[str, composite.Channel]) -> str:
    """SHA-256 of the other channels' per-department inputs (name, department, score, count), canonical order."""
    if not channels:
        return ""
    h = hashlib.sha256()
    for name in sorted(channels):
        ch = channels[name]
        for d, score, n in sorted(zip(np.asarray(ch.domains).tolist(), np.asarray(ch.score, float).tolist(),
                                      np.asarray(ch.n).tolist())):
            h.update(f"{name}|{int(d)}|{score!r}|{int(n)}|{ch.weight!r}\n".encode())
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


def _period(campaign: Campaign) -> tuple[date, date]:
    """The round's calendar month: the other channels' period, which never overlaps another monthly round's
    (the survey's open window can run past the month end when a round is extended)."""
    year, month = map(int, campaign.month.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _extra_channels(scheme: AssessmentScheme, campaign: Campaign) -> dict[str, composite.Channel]:
    """The real-time and complaint channels, when the scheme weighs them."""
    out = {}
    weights_ = scheme.channel_weights or {}
    start, end = _period(campaign)
    if float(weights_.get("realtime", 0) or 0) > 0:
        figures = [f for f in realtime.channel_scores(start, end).values() if f.shrunk_mean is not None]
        if figures:
            out["realtime"] = composite.Channel(
                np.array([f.department_id for f in figures]), np.array([f.shrunk_mean for f in figures], float),
                np.zeros(len(figures)), np.array([f.count for f in figures]), float(weights_["realtime"]))
    if float(weights_.get("complaints", 0) or 0) > 0:
        figures = list(complaints.deductions(start, end).values())
        if figures:
            # Deductions are points off the composite: an additive channel with a negative weight.
            out["complaints"] = composite.Channel(
                np.array([f.department_id for f in figures]), np.array([f.points for f in figures], float),
                np.zeros(len(figures)), np.array([f.substantiated for f in figures]),
                -float(weights_["complaints"]), kind="additive")
    return out


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
        survey_weight = float((scheme.channel_weights or {}).get("survey", 1.0) or 0)
        if survey_weight <= 0:
            raise ScoringError(_("The scheme gives the survey channel no weight."))
        channels = {"survey": composite.Channel(policy.domains, policy.mean, policy.se, policy.n, survey_weight)}
        extra = _extra_channels(scheme, campaign)
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
                    details, _channels_digest(extra))


# --------------------------------------------------------------------------- schemes

def bands_of(scheme: AssessmentScheme) -> tuple:
    """The scheme's grade bands as the core wants them: (label, lower bound), best first, last unbounded."""
    out = []
    for label, bound in scheme.grade_bands:
        out.append((str(label), -np.inf if bound is None else float(bound)))
    return tuple(out)


def default_scheme() -> AssessmentScheme | None:
    """The newest version of the default scheme."""
    return db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.name == DEFAULT_SCHEME_NAME)
                             .order_by(AssessmentScheme.version.desc()).limit(1))


def schemes():
    """Every scheme version, newest first within a name."""
    return select(AssessmentScheme).order_by(AssessmentScheme.name, AssessmentScheme.version.desc())


def _checked_policy_weights(policy_weights: dict[str, float]) -> dict[str, float]:
    """The weights as stored, 0 kept: a 0 says "left out" on purpose, while a category missing from the scheme
    is an error at scoring time (docs/ASSESSMENT.md, section 4)."""
    policy = {}
    for key, value in policy_weights.items():
        try:
            weight = float(value)
        except (TypeError, ValueError):
            weight = math.nan
        if not (math.isfinite(weight) and weight >= 0):
            raise ScoringError(_("The policy weight of %(category)s must be a number of 0 or more.", category=key))
        policy[str(key)] = weight
    if not any(w > 0 for w in policy.values()):
        raise ScoringError(_("Every policy weight is 0: give at least one respondent category a positive policy "
                             "weight (0 leaves a category out)."))
    return policy


def new_scheme_version(name: str, user, *, policy_weights: dict[str, float], channel_weights: dict[str, float],
                       grade_bands: list, min_raters: int, rank_draws: int, rank_seed: int,
                       comment_release: str, note: str = "") -> AssessmentScheme:
    """Record a scheme version (the next number for its name); schemes are never edited."""
    name = name.strip()
    if not name:
        raise ScoringError(_("A scheme needs a name."))
    policy = _checked_policy_weights(policy_weights)
    channels = {k: float(channel_weights.get(k, 0) or 0) for k in CHANNELS}
    if channels["survey"] <= 0 or any(v < 0 or not math.isfinite(v) for v in channels.values()):
        raise ScoringError(_("The survey channel needs a positive weight; other channel weights cannot be negative."))
    bounds = [b for _l, b in grade_bands[:-1]]
    if len(grade_bands) < 2 or any(b is None for b in bounds) or bounds != sorted(bounds, reverse=True) \
            or len(set(bounds)) != len(bounds) or not all(0 <= b <= 100 for b in bounds):
        raise ScoringError(_("Grade thresholds must be between 0 and 100 and strictly decreasing."))
    if min_raters < 1 or rank_draws < 100 or rank_draws > 100_000:
        raise ScoringError(_("Minimum raters must be at least 1 and rank-interval draws between 100 and 100000."))
    latest = db.session.scalar(select(func.max(AssessmentScheme.version)).where(AssessmentScheme.name == name))
    scheme = AssessmentScheme(
        name=name, version=(latest or 0) + 1, policy_weights=policy, channel_weights=channels,
        grade_bands=[[str(label), None if i == len(grade_bands) - 1 else float(b)]
                     for i, (label, b) in enumerate(grade_bands)],
        min_raters=int(min_raters), rank_draws=int(rank_draws), rank_seed=int(rank_seed),
        comment_release=CommentRelease(comment_release), note=note.strip(),
        created_by_id=user.id if user is not None else None)
    db.session.add(scheme)
    db.session.flush()
    audit.record("assessment_scheme.create", f"assessment_scheme:{scheme.id}",
                 {"name": scheme.name, "version": scheme.version, "policy_weights": policy,
                  "channel_weights": channels, "min_raters": scheme.min_raters}, actor=user)
    return scheme


# --------------------------------------------------------------------------- assessments

def current_assessment(campaign: Campaign) -> Assessment | None:
    """The assessment that counts for a round: the newest one not superseded."""
    return db.session.scalar(
        select(Assessment).where(Assessment.campaign_id == campaign.id,
                                 Assessment.status != AssessmentStatus.superseded)
        .order_by(Assessment.version.desc()).limit(1))


def assessment_history(campaign: Campaign) -> list[Assessment]:
    """Every assessment version of a round, newest first."""
    return list(db.session.scalars(select(Assessment).where(Assessment.campaign_id == campaign.id)
                                   .order_by(Assessment.version.desc())))


class _Previous(NamedTuple):
    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray


def previous_published(campaign: Campaign) -> Assessment | None:
    """The published assessment of the latest earlier round, if any."""
    return db.session.scalar(
        select(Assessment).join(Campaign, Campaign.id == Assessment.campaign_id)
        .where(Campaign.month < campaign.month, Assessment.status == AssessmentStatus.published)
        .order_by(Campaign.month.desc(), Assessment.version.desc()).limit(1))


def _previous_arrays(previous: Assessment | None) -> _Previous | None:
    if previous is None:
        return None
    rows = [(r.department_id, r.score, r.se or 0.0) for r in previous.results if r.score is not None and r.rank]
    if not rows:
        return None
    d, s, e = zip(*rows)
    return _Previous(np.array(d), np.array(s, float), np.array(e, float))


def _build(campaign: Campaign, scheme: AssessmentScheme, user, version: int, status: AssessmentStatus,
           reason: str = "") -> Assessment:
    inputs = load_inputs(campaign)
    est = estimate(campaign, scheme, inputs)
    digest = inputs.digest()
    if est.channels_digest:  # the real-time and complaint inputs are part of what the hash vouches for
        digest = hashlib.sha256(f"{digest}:{est.channels_digest}".encode()).hexdigest()
    seed = (int(digest[:8], 16) ^ int(scheme.rank_seed)) & 0x7FFFFFFF  # fits a 32-bit signed INTEGER column
    previous = previous_published(campaign)
    result = ranking.assess(est.domains, est.score, est.se, est.n, seed, min_raters=scheme.min_raters,
                            bands=bands_of(scheme), draws=scheme.rank_draws, previous=_previous_arrays(previous))
    now = utcnow()
    assessment = Assessment(
        campaign_id=campaign.id, scheme_id=scheme.id, version=version, status=AssessmentStatus.scored,
        input_hash=digest, seed=seed,
        invited=int(inputs.invited_stratum.size), responded=int(inputs.response_id.size),
        details={**est.details, "previous_assessment": previous.id if previous else None}, correction_reason=reason,
        scored_at=now, scored_by_id=user.id if user is not None else None)
    position = {int(d): i for i, d in enumerate(result.domains.tolist())}
    department_ids = [d.id for d in inputs.departments] + sorted(set(position) - {d.id for d in inputs.departments})
    results = []
    for dept in department_ids:
        i = position.get(dept)
        if i is None:
            # No score; a category of policy weight 0 may still have rated it (its breakdown is kept).
            results.append(AssessmentResult(department_id=dept, n=0, grade=ranking.INSUFFICIENT,
                                            category_means=est.categories.get(dept, {})))
            continue
        score, se = float(result.score[i]), float(result.se[i])
        ranked = bool(result.ranked[i])
        has_prev = bool(result.change.has_previous[i])
        results.append(AssessmentResult(
            department_id=dept, score=score, se=se, ci_low=score - Z_95 * se, ci_high=score + Z_95 * se,
            n=int(result.n[i]), category_means=est.categories.get(dept, {}), dimension_means=est.dimensions.get(dept, {}),
            channel_scores=est.channel_scores.get(dept, {}),
            rank=int(result.rank[i]) if ranked else None, rank_low=int(result.rank_low[i]) if ranked else None,
            rank_high=int(result.rank_high[i]) if ranked else None, grade=str(result.grade[i]),
            previous_score=(score - float(result.change.delta[i])) if has_prev else None,
            change=float(result.change.delta[i]) if has_prev else None,
            change_significant=bool(result.change.significant[i]) and has_prev))
    assessment.results = results
    db.session.add(assessment)
    db.session.flush()
    if status == AssessmentStatus.published:  # a correction: results go in first, then it is frozen
        assessment.status = AssessmentStatus.published
        assessment.published_at, assessment.published_by_id = now, assessment.scored_by_id
        db.session.flush()
    return assessment


def _refuse_sealed(campaign: Campaign) -> None:
    """Responses still sealed (waiting for a shuffled release) would be missing from the scores."""
    waiting = db.session.scalar(select(func.count()).select_from(SealedResponse)
                                .where(SealedResponse.campaign_id == campaign.id))
    if waiting:
        raise ScoringError(_("%(n)d responses of this round are still sealed; release them before scoring.",
                             n=waiting))


RESULT_ACTIONS = ("campaign.scored", "assessment.rescore", "campaign.published", "assessment.correct")


def results_digest(assessment: Assessment) -> str:
    """SHA-256 of the figures people read (per department: score, SE, raters, ranks, grade, change), canonical
    order. Scoring, publishing and correcting write it into the audit log, so that `flask scores verify` can tell
    results changed outside the application (before publication, when the triggers still allow it) or an
    assessment version that no audited step created."""
    def number(value) -> str:
        return "" if value is None else f"{float(value):.10g}"

    rows = sorted((r.department_id, number(r.score), number(r.se), r.n, r.rank, r.rank_low, r.rank_high, r.grade,
                   number(r.change)) for r in db.session.scalars(
        select(AssessmentResult).where(AssessmentResult.assessment_id == assessment.id)))
    return hashlib.sha256("\n".join("|".join("" if v is None else str(v) for v in row)
                                     for row in rows).encode()).hexdigest()


def verify_results(campaign: Campaign) -> list[str]:
    """What does not match the audit log: every assessment version must have been recorded by an audited step,
    and its results must still have the digest each of those steps recorded. Empty when all is well."""
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.target == f"campaign:{campaign.id}", AuditEntry.action.in_(RESULT_ACTIONS))
        .order_by(AuditEntry.id)))
    problems = []
    for assessment in assessment_history(campaign):
        recorded = [e for e in entries if (e.details or {}).get("assessment") == assessment.id
                    and "results_hash" in (e.details or {})]
        if not recorded:
            problems.append(f"version {assessment.version}: no audit entry records its results "
                            f"(created outside the application?)")
            continue
        digest = results_digest(assessment)
        for entry in recorded:
            if entry.details["results_hash"] != digest:
                problems.append(f"version {assessment.version}: results differ from those recorded by audit entry "
                                f"{entry.id} ({entry.action})")
    return problems


def score(campaign: Campaign, scheme: AssessmentScheme, user) -> Assessment:
    """Score a closed round (closed → scored), or re-score a scored one, replacing its unpublished assessment."""
    if campaign.status not in (CampaignStatus.closed, CampaignStatus.scored):
        raise ScoringError(_("Only a closed round can be scored (this one is %(status)s).",
                             status=campaign.status.value))
    if scheme is None:
        raise ScoringError(_("Choose an assessment scheme."))
    _refuse_sealed(campaign)
    replaced = None
    if campaign.status == CampaignStatus.scored:
        replaced = current_assessment(campaign)
        if replaced is not None and replaced.status == AssessmentStatus.scored:
            db.session.delete(replaced)
            db.session.flush()
    version = (db.session.scalar(select(func.max(Assessment.version)).where(Assessment.campaign_id == campaign.id))
               or 0) + 1
    assessment = _build(campaign, scheme, user, version, AssessmentStatus.scored)
    details = {"assessment": assessment.id, "version": version, "scheme": scheme.label,
               "input_hash": assessment.input_hash, "results_hash": results_digest(assessment),
               "replaced": replaced is not None}
    if campaign.status == CampaignStatus.closed:
        round_service.move(campaign, CampaignStatus.scored, user, **details)
    else:
        audit.record("assessment.rescore", f"campaign:{campaign.id}", details, actor=user)
    db.session.flush()
    return assessment


def publish(campaign: Campaign, user) -> Assessment:
    """Publish a scored round: its assessment is frozen with its scheme version and input hash."""
    if campaign.status != CampaignStatus.scored:
        raise ScoringError(_("Only a scored round can be published (this one is %(status)s).",
                             status=campaign.status.value))
    assessment = current_assessment(campaign)
    if assessment is None or assessment.status != AssessmentStatus.scored:
        raise ScoringError(_("The round has no scored assessment to publish."))
    assessment.status = AssessmentStatus.published
    assessment.published_at = utcnow()
    assessment.published_by_id = user.id if user is not None else None
    round_service.move(campaign, CampaignStatus.published, user, assessment=assessment.id,
                       version=assessment.version, input_hash=assessment.input_hash,
                       results_hash=results_digest(assessment))
    db.session.flush()
    return assessment


def correct(campaign: Campaign, scheme: AssessmentScheme, user, reason: str) -> Assessment:
    """After publishing: a new published assessment version; the old one stays, superseded. Audited with the reason."""
    reason = (reason or "").strip()
    if campaign.status != CampaignStatus.published:
        raise ScoringError(_("Only a published round can be corrected; re-score a scored round instead."))
    if len(reason) < 5:
        raise ScoringError(_("Say why the published results are corrected (at least 5 characters)."))
    old = current_assessment(campaign)
    if old is None:
        raise ScoringError(_("The round has no published assessment."))
    if scheme is None:
        raise ScoringError(_("Choose an assessment scheme."))
    _refuse_sealed(campaign)
    new = _build(campaign, scheme, user, old.version + 1, AssessmentStatus.published, reason=reason[:500])
    old.status = AssessmentStatus.superseded
    old.superseded_at = utcnow()
    audit.record("assessment.correct", f"campaign:{campaign.id}",
                 {"superseded": old.id, "superseded_version": old.version, "assessment": new.id,
                  "version": new.version, "scheme": scheme.label, "reason": reason[:500],
                  "input_hash": new.input_hash, "results_hash": results_digest(new)}, actor=user)
    db.session.flush()
    return new


# --------------------------------------------------------------------------- comments

def comments_released(campaign: Campaign) -> bool:
    """Whether liaisons may read the round's comments about their department."""
    if db.session.get(CommentReleaseRecord, campaign.id) is not None:
        return True
    assessment = current_assessment(campaign)
    return (assessment is not None and assessment.status == AssessmentStatus.published
            and assessment.scheme.comment_release == CommentRelease.with_publication)


def release_comments(campaign: Campaign, user) -> None:
    """An admin's release of the round's comments to the liaisons (once; audited)."""
    if campaign.status not in (CampaignStatus.scored, CampaignStatus.published):
        raise ScoringError(_("Comments can be released once the round is scored."))
    if db.session.get(CommentReleaseRecord, campaign.id) is not None:
        raise ScoringError(_("The round's comments are already released."))
    db.session.add(CommentReleaseRecord(campaign_id=campaign.id, released_by_id=user.id if user else None))
    audit.record("assessment.release_comments", f"campaign:{campaign.id}", {}, actor=user)
    db.session.flush()


def department_comments(campaign: Campaign, department_id: int) -> list[str]:
    """The text answers about one department in a round, in random-id order (no submission order)."""
    version = campaign.questionnaire_version
    keys = list(item_table(version.document).comments) if version else []
    if not keys:
        return []
    values = db.session.scalars(
        select(ResponseAnswer.value).join(Response, Response.id == ResponseAnswer.response_id)
        .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id == department_id,
               ResponseAnswer.question.in_(keys)).order_by(ResponseAnswer.id))
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


# --------------------------------------------------------------------------- reports (pages, exports, charts)

def _r(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class RankingRow:
    """One department's line of the ranking, rounded as published (2 decimals): pages and exports share it."""

    department_id: int
    code: str
    name: str
    rank: int | None
    score: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    rank_low: int | None
    rank_high: int | None
    grade: str
    n: int
    change: float | None
    change_significant: bool
    dimensions: dict[str, dict]
    categories: dict[str, dict]


def ranking_rows(assessment: Assessment) -> list[RankingRow]:
    """The assessment's results in rank order (unranked departments last), rounded to 2 decimals."""
    names = {d.id: d for d in db.session.scalars(select(Department))}
    out = []
    for r in assessment.results:
        dept = names[r.department_id]
        out.append(RankingRow(
            r.department_id, dept.code, dept.name, r.rank, _r(r.score), _r(r.se), _r(r.ci_low), _r(r.ci_high),
            r.rank_low, r.rank_high, r.grade, r.n, _r(r.change), r.change_significant,
            {k: {"mean": _r(v["mean"]), "se": _r(v["se"]), "n": v["n"]} for k, v in r.dimension_means.items()},
            {k: {"mean": _r(v["mean"]), "se": _r(v["se"]), "n": v["n"]} for k, v in r.category_means.items()}))
    return out


def dimension_keys(campaign: Campaign) -> list[str]:
    version = campaign.questionnaire_version
    return item_table(version.document).dimensions if version else []


def answer_distribution(campaign: Campaign, department_id: int | None = None) -> dict[str, dict[str, int]]:
    """Per dimension: how many answers gave each score (100 … 20) and how many said "not familiar"."""
    version = campaign.questionnaire_version
    if version is None:
        return {}
    table = item_table(version.document)
    query = (select(ResponseAnswer.question, ResponseAnswer.score, func.count())
             .join(Response, Response.id == ResponseAnswer.response_id)
             .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id.is_not(None),
                    ResponseAnswer.question.in_(list(table.weight) or [""]))
             .group_by(ResponseAnswer.question, ResponseAnswer.score))
    if department_id is not None:
        query = query.where(ResponseAnswer.department_id == department_id)
    out = {dim: {} for dim in table.dimensions}
    for question, value, count in db.session.execute(query):
        label = "na" if value is None else f"{float(value):g}"
        bucket = out[table.dimension[question]]
        bucket[label] = bucket.get(label, 0) + count
    return out


def trend(department_id: int | None = None) -> dict[str, Any]:
    """Published scores by month: {"months": [...], "series": {department name: [score or None, ...]}}."""
    query = (select(Campaign.month, Department.name, AssessmentResult.score, AssessmentResult.n)
             .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
             .join(Campaign, Campaign.id == Assessment.campaign_id)
             .join(Department, Department.id == AssessmentResult.department_id)
             .where(Assessment.status == AssessmentStatus.published, AssessmentResult.score.is_not(None))
             .order_by(Campaign.month, Department.sort_order))
    if department_id is not None:
        query = query.where(AssessmentResult.department_id == department_id)
    rows = db.session.execute(query).all()
    months = sorted({m for m, *_rest in rows})
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list] = {}
    for month, name, value, n in rows:
        if department_id is not None and n < K_ANONYMITY:
            continue
        series.setdefault(name, [None] * len(months))[index[month]] = _r(value)
    return {"months": months, "series": series}


def chart_data(campaign: Campaign) -> dict[str, Any]:
    """What the round's charts draw: scores with intervals, answer distributions, trends."""
    assessment = current_assessment(campaign)
    ranking_ = [] if assessment is None else [
        {"name": r.name, "score": r.score, "low": r.ci_low, "high": r.ci_high, "rank": r.rank, "n": r.n}
        for r in ranking_rows(assessment) if r.score is not None]
    return {"ranking": ranking_, "distribution": answer_distribution(campaign), "trend": trend()}
