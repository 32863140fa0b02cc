"""Matching one item version against every enterprise profile, with the trace of each result.

A run reads every profile's facts on one day (``app.profiles.facts``), decides the version's rules for each
(``eligibility``, through ``app.policy.explain.rule_set``) and stores one result per enterprise with its trace, and
on the run the counts per result and per district. The rows are written with bulk inserts, in chunks: a city's
10,000 profiles make one run of a few seconds.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.audit import service as audit
from app.extensions import db
from app.platform.calendar import local_today
from app.policy.explain import rule_set, trace_json
from app.policy.models import PolicyItemVersion, PolicyMatchResult, PolicyMatchRun
from app.profiles.facts import facts_of
from app.profiles.models import EnterpriseProfile
from eligibility.evaluation import Match, Result

CHUNK = 1000  # rows per bulk insert
RESULT_ORDER = tuple(r.value for r in Result)  # eligible, likely, missing, ineligible


def target(version: PolicyItemVersion) -> str:
    """The audit target of everything done with an item version."""
    return f"policy_item_version:{version.id}"


def evaluate(version: PolicyItemVersion, today: date | None = None) -> Iterator[tuple[EnterpriseProfile, Match]]:
    """Every profile (by id) with its match against the version on ``today``; nothing is written."""
    today = today or local_today()
    rules = rule_set(version)
    for profile in db.session.scalars(select(EnterpriseProfile).order_by(EnterpriseProfile.id)):
        yield profile, rules.match(facts_of(profile, today))


def run(version: PolicyItemVersion, actor: User | None = None, today: date | None = None) -> PolicyMatchRun:
    """Match the version against every profile and store the results, counts and the audit entry (flushed)."""
    today = today or local_today()
    found = PolicyMatchRun(item_version_id=version.id, as_of=today, run_by_id=actor.id if actor else None)
    db.session.add(found)
    db.session.flush()
    counts = dict.fromkeys(RESULT_ORDER, 0)
    by_district: dict[str, dict[str, int]] = {}
    rows: list[dict] = []
    total = 0
    for profile, match in evaluate(version, today):
        result = match.result.value
        rows.append({"run_id": found.id, "profile_id": profile.id, "result": result, "trace": trace_json(match)})
        counts[result] += 1
        district = by_district.setdefault(profile.district or "", dict.fromkeys(RESULT_ORDER, 0))
        district[result] += 1
        total += 1
        if len(rows) >= CHUNK:
            db.session.execute(insert(PolicyMatchResult), rows)
            rows = []
    if rows:
        db.session.execute(insert(PolicyMatchResult), rows)
    found.profiles, found.counts, found.by_district = total, counts, dict(sorted(by_district.items()))
    audit.record("policy.match", target(version), {"version": version.number, "profiles": total, **counts},
                 actor=actor)
    db.session.flush()
    return found


def latest_run(version: PolicyItemVersion) -> PolicyMatchRun | None:
    """The version's newest run, or None."""
    return db.session.scalar(select(PolicyMatchRun).where(PolicyMatchRun.item_version_id == version.id)
                             .order_by(PolicyMatchRun.id.desc()).limit(1))


def results_query(run_: PolicyMatchRun, result: str | None = None, district: str | None = None):
    """The run's results (with their profiles), optionally of one result and one district, by USCC."""
    query = (select(PolicyMatchResult).join(EnterpriseProfile, PolicyMatchResult.profile_id == EnterpriseProfile.id)
             .where(PolicyMatchResult.run_id == run_.id).order_by(EnterpriseProfile.uscc)
             .options(contains_eager(PolicyMatchResult.profile)))  # one query, not one per row's profile
    if result:
        query = query.where(PolicyMatchResult.result == result)
    if district is not None:
        query = query.where(EnterpriseProfile.district == district)
    return query
