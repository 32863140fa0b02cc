"""Scoring a round through the application: the round's inputs, the pure core's estimate, stored results.

closed → scored (``score``; re-scoring a scored round replaces its unpublished
assessment) → published (``publish``; frozen) and, after publishing, corrections
(``correct``): a new assessment version, the old one kept as superseded. Every
action is audited. How the numbers are computed: docs/ASSESSMENT.md.

The rest of the assessment service lives beside this module — ``channels`` (the
registry of scoring channels), ``inputs`` (the survey's arrays), ``estimate``,
``schemes``, ``versions``, ``comments``, ``reports``, ``labels`` (the names a
published version keeps) and ``redaction`` (the small-group rule) — and is re-exported here, the one name the other domains,
the demo, the CLI and the tests import.
"""
from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessment import channels as registry
from app.assessment import labels as frozen_labels
from app.assessment.comments import comments_released, department_comments, release_comments
from app.assessment.errors import ScoringError
from app.assessment.estimate import Estimate, estimate
from app.assessment.inputs import COMMENT_TYPES, ItemTable, RoundInputs, item_table, load_inputs
from app.assessment.models import Assessment, AssessmentResult, AssessmentScheme, AssessmentStatus
from app.assessment.redaction import K_ANONYMITY
from app.assessment.reports import (
    RankingRow,
    answer_distribution,
    assessment_dimensions,
    chart_data,
    department_report,
    dimension_keys,
    ranking_rows,
    trend,
)
from app.assessment.schemes import DEFAULT_SCHEME_NAME, bands_of, default_scheme, new_scheme_version, schemes
from app.assessment.versions import assessment_history, current_assessment, previous_published
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.columns import utcnow
from app.responses.models import SealedResponse
from app.rounds import service as round_service
from app.rounds.models import Campaign, CampaignStatus
from scoring import ranking

__all__ = [
    "COMMENT_TYPES", "DEFAULT_SCHEME_NAME", "K_ANONYMITY", "RESULT_ACTIONS", "Z_95", "Estimate", "ItemTable",
    "RankingRow", "RoundInputs", "ScoringError", "answer_distribution", "assessment_dimensions",
    "assessment_history", "bands_of",
    "chart_data", "comments_released", "correct", "current_assessment", "default_scheme", "department_comments",
    "department_report", "dimension_keys", "estimate", "item_table", "load_inputs", "new_scheme_version",
    "previous_published", "publish", "ranking_rows", "release_comments", "results_digest", "schemes", "score",
    "trend", "verify_results",
]

Z_95 = 1.959963984540054


class _Previous(NamedTuple):
    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray


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
    """Estimate, rank and store one assessment version of the round (a correction is stored, then frozen)."""
    inputs = registry.base().load(campaign)
    est = estimate(campaign, scheme, inputs)
    digest = inputs.digest()
    if est.channels_digest:  # the other channels' inputs are part of what the hash vouches for
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
            n=int(result.n[i]), category_means=est.categories.get(dept, {}),
            dimension_means=est.dimensions.get(dept, {}), channel_scores=est.channel_scores.get(dept, {}),
            rank=int(result.rank[i]) if ranked else None, rank_low=int(result.rank_low[i]) if ranked else None,
            rank_high=int(result.rank_high[i]) if ranked else None, grade=str(result.grade[i]),
            previous_score=(score - float(result.change.delta[i])) if has_prev else None,
            change=float(result.change.delta[i]) if has_prev else None,
            change_significant=bool(result.change.significant[i]) and has_prev))
    assessment.results = results
    frozen_labels.stamp(assessment, campaign, scheme)
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
# Migration 0015 recorded the labels of the versions published before labels were stored.
LABEL_ACTIONS = ("campaign.published", "assessment.correct", "assessment.labels_backfilled")


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
        AuditEntry.target == f"campaign:{campaign.id}",
        AuditEntry.action.in_(sorted(set(RESULT_ACTIONS) | set(LABEL_ACTIONS))))
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
        if assessment.frozen:
            problems.extend(_label_problems(assessment, entries))
    return problems


def _label_problems(assessment: Assessment, entries: list[AuditEntry]) -> list[str]:
    """A published (or superseded) version's stored labels against those the audit log recorded for it."""
    recorded = [e for e in entries if e.action in LABEL_ACTIONS and "labels" in (e.details or {})
                and e.details.get("assessment") == assessment.id]
    if not recorded:
        return [f"version {assessment.version}: no audit entry records the department names and codes, scheme "
                f"and dimensions it was published with"]
    stored = frozen_labels.record(assessment)
    return [f"version {assessment.version}: {change} (audit entry {entry.id}, {entry.action})"
            for entry in recorded for change in frozen_labels.differences(stored, entry.details["labels"])]


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
    # The labels it is published with are today's names (a draft follows the live ones); written while still
    # scored, since the freeze refuses them afterwards.
    frozen_labels.stamp(assessment, campaign, assessment.scheme)
    db.session.flush()
    assessment.status = AssessmentStatus.published
    assessment.published_at = utcnow()
    assessment.published_by_id = user.id if user is not None else None
    round_service.move(campaign, CampaignStatus.published, user, assessment=assessment.id,
                       version=assessment.version, input_hash=assessment.input_hash,
                       results_hash=results_digest(assessment), labels=frozen_labels.record(assessment))
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
                  "input_hash": new.input_hash, "results_hash": results_digest(new),
                  "labels": frozen_labels.record(new)}, actor=user)
    db.session.flush()
    return new
