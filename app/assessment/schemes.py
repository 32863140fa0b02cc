"""Assessment schemes: versioned, never edited; a change of weights, bands or thresholds is a new version."""
from __future__ import annotations

import math

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.assessment import channels as registry
from app.assessment.errors import ScoringError
from app.assessment.models import AssessmentScheme, CommentRelease
from app.audit import labels as audit_labels, service as audit
from app.extensions import db

DEFAULT_SCHEME_NAME = "default"


def scheme_title(scheme: AssessmentScheme) -> str:
    """What people read for a scheme version: its name (the seeded default's in the reader's language) and its
    version. The stored label (``scheme.label``) stays as recorded in the audit log and on published results."""
    name = _("Standard scheme") if scheme.name == DEFAULT_SCHEME_NAME else scheme.name
    return _("%(name)s version %(version)d", name=name, version=scheme.version)


def _scheme_of_audit_entry(code: str) -> str | None:
    """A scheme's stored label in an audit entry ("default v1"), as the pages name it."""
    name, _sep, version = code.rpartition(" v")
    if name != DEFAULT_SCHEME_NAME or not version.isdigit():
        return None
    return _("%(name)s version %(version)d", name=_("Standard scheme"), version=int(version))


audit_labels.register_value_labels(_scheme_of_audit_entry)


def channel_label(key: str) -> str:
    """A scoring channel's name in the reader's language."""
    return {"survey": _("Monthly survey"), "realtime": _("Real-time ratings"), "complaints": _("Complaints"),
            "casework": _("Casework rates"), "policy": _("Policy delivery to enterprises")}.get(key, key)


def comment_release_label(release: CommentRelease) -> str:
    """When a scheme lets liaisons read comments, as the scheme form says it."""
    return {CommentRelease.manual: _("After an admin releases them"),
            CommentRelease.with_publication: _("When the round is published")}[release]


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
    channels = {c.key: float(channel_weights.get(c.key, 0) or 0) for c in registry.channels()}
    if channels[registry.base().key] <= 0 or any(v < 0 or not math.isfinite(v) for v in channels.values()):
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
