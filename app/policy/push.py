"""Precise push: an SMS with a personal link to the enterprises a match found, never twice for one item version.

Who is sent: the results of a run that the criteria choose (符合 and 可能符合 by default; 缺少信息 optionally, with
a message asking the enterprise to update its data), in the chosen districts, whose profile has a contact number
(the profile's own, else its pool member's, unless that member left the pool or was erased), that did not ask
for no more policy messages, and that has no notice of the same item version yet (the table's unique constraint
is the last line). Each number gets at most SMS_DAILY_CAP_PER_NUMBER messages a day.

Each message is a ``PolicyNotice`` with a personal token (random; only its SHA-256 is kept) committed before the
gateway is called, as the forum's invitations are: a link that went out is never unknown to the server; a
message the gateway refused deletes its notice, so that a later push may try again. A push is a job
(``app.platform.jobs``: RQ with Redis, inline without): the push record is committed with its criteria, then the
job sends and writes the counts.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit import service as audit
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.jobs import enqueue
from app.platform.links import public_base_url
from app.platform.phones import current_vault
from app.policy.matching import latest_run, target
from app.policy.models import ItemStatus, PolicyMatchResult, PolicyMatchRun, PolicyNotice, PolicyPush
from app.pool.models import Respondent
from app.profiles.contact import LEFT_THE_POOL, phone_of
from app.profiles.models import EnterpriseProfile
from app.sms.models import SmsDailyCount
from app.sms.notify import send_one, within_daily_cap
from eligibility.evaluation import Result

LINK_PATH = "/p/"  # the enterprise's page, /p/<token> (app.policy.push_routes; masked in logs)
TOKEN_BYTES = 24  # 32 url-safe characters
PUSHABLE = (Result.eligible.value, Result.likely.value, Result.missing.value)
DEFAULT_RESULTS = (Result.eligible.value, Result.likely.value)
COUNT_KEYS = ("selected", "sent", "already", "opted_out", "no_phone", "capped", "failed")


class PushError(ValueError):
    """A user-facing reason why a push is refused."""


@dataclass(frozen=True)
class Criteria:
    """Whom a push is for: results of the run, districts (none: all), and whether to ask 缺少信息 to update."""

    results: tuple[str, ...] = DEFAULT_RESULTS
    districts: tuple[str, ...] = ()
    ask_missing: bool = False

    @property
    def wanted(self) -> tuple[str, ...]:
        chosen = set(self.results) | ({Result.missing.value} if self.ask_missing else set())
        return tuple(r for r in PUSHABLE if r in chosen)

    def as_json(self) -> dict[str, Any]:
        return {"results": list(self.wanted), "districts": sorted(self.districts),
                "ask_missing": Result.missing.value in self.wanted}

    @classmethod
    def of(cls, data: dict[str, Any]) -> "Criteria":
        return cls(tuple(data.get("results") or ()), tuple(data.get("districts") or ()),
                   bool(data.get("ask_missing")))


@dataclass
class Recipient:
    result_id: int
    profile_id: int
    result: str
    name: str
    sealed_phone: str
    phone_hash: str


@dataclass
class Plan:
    """Who would be sent, and why the others would not."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    recipients: list[Recipient] = field(default_factory=list)


def _digest(token: str) -> str:
    return hashlib.sha256(f"policy:{token}".encode()).hexdigest()


def find(token: str) -> PolicyNotice | None:
    """The notice of a personal token, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(PolicyNotice).where(PolicyNotice.token_hash == _digest(token)))


def check(run: PolicyMatchRun, criteria: Criteria) -> None:
    """PushError unless the run is the newest of its item's published current version and the criteria are sane."""
    version = run.version
    item = version.item
    if item.status != ItemStatus.published or item.current_version_id != version.id:
        raise PushError(_("Only the published current version of an item can be pushed."))
    if item.policy.valid_to is not None and item.policy.valid_to < local_today():
        raise PushError(_("The item's policy has ended: it can no longer be pushed."))
    newest = latest_run(version)
    if newest is None or newest.id != run.id:
        raise PushError(_("A newer match exists: push from the newest match."))
    if not criteria.wanted:
        raise PushError(_("Choose at least one result to send to."))
    if set(criteria.results) - set(PUSHABLE):
        raise PushError(_("Enterprises that are not eligible are never sent the item."))


def plan(run: PolicyMatchRun, criteria: Criteria) -> Plan:
    """Who the criteria select in the run, and the counts of those left out (already, opted out, no number)."""
    out = Plan()
    wanted = criteria.wanted
    if not wanted:
        return out
    sent_before = set(db.session.scalars(select(PolicyNotice.profile_id).where(
        PolicyNotice.item_version_id == run.item_version_id)))
    query = (select(PolicyMatchResult.id, PolicyMatchResult.result, EnterpriseProfile, Respondent)
             .join(EnterpriseProfile, PolicyMatchResult.profile_id == EnterpriseProfile.id)
             .outerjoin(Respondent, EnterpriseProfile.respondent_id == Respondent.id)
             .where(PolicyMatchResult.run_id == run.id, PolicyMatchResult.result.in_(wanted))
             .order_by(PolicyMatchResult.id))
    if criteria.districts:
        query = query.where(EnterpriseProfile.district.in_(criteria.districts))
    vault = current_vault()
    counts = out.counts
    for result_id, result, profile, member in db.session.execute(query):
        counts["selected"] += 1
        if profile.id in sent_before:
            counts["already"] += 1
            continue
        if profile.push_opted_out_at is not None:
            counts["opted_out"] += 1
            continue
        phone = phone_of(profile, member, vault)
        if phone is LEFT_THE_POOL:
            counts["opted_out"] += 1
            continue
        if phone is None:
            counts["no_phone"] += 1
            continue
        out.recipients.append(Recipient(result_id, profile.id, result, profile.name, phone.sealed, phone.lookup_hash))
    return out


def preview(run: PolicyMatchRun, criteria: Criteria) -> dict[str, int]:
    """The counts a push would have now: ``to_send``, and ``capped`` for numbers already at today's cap."""
    found = plan(run, criteria)
    cap = current_app.config["SMS_DAILY_CAP_PER_NUMBER"]
    full = set(db.session.scalars(select(SmsDailyCount.phone_hash).where(
        SmsDailyCount.day == local_today(), SmsDailyCount.count >= cap)))
    capped = sum(1 for r in found.recipients if r.phone_hash in full)
    return {**found.counts, "capped": capped, "to_send": len(found.recipients) - capped}


def send(run: PolicyMatchRun, criteria: Criteria, actor: User | None = None, dry_run: bool = False,
         background: bool = False) -> PolicyPush:
    """Record a push and send it (in a job when ``background``); ``dry_run`` returns the counts, writing nothing.

    Commits the push record before sending: the sending commits around each gateway call.
    """
    check(run, criteria)
    if dry_run:
        counts = preview(run, criteria)
        counts["sent"] = counts.pop("to_send")
        return PolicyPush(item_version_id=run.item_version_id, run_id=run.id, criteria=criteria.as_json(),
                          counts=counts, sent_by_id=actor.id if actor else None)
    push = PolicyPush(item_version_id=run.item_version_id, run_id=run.id, criteria=criteria.as_json(), counts={},
                      sent_by_id=actor.id if actor else None, created_at=utcnow())
    db.session.add(push)
    db.session.commit()  # durable before the job: the job reads it by id
    if background:
        enqueue(deliver, push.id)
    else:
        deliver(push.id)
    return push


def _template(result: str) -> tuple[str, str, str]:
    config = current_app.config
    if result == Result.missing.value:
        return "policy_update", config["POLICY_SMS_UPDATE_TEMPLATE_CODE"], config["POLICY_SMS_UPDATE_TEMPLATE_TEXT"]
    return "policy_push", config["POLICY_SMS_PUSH_TEMPLATE_CODE"], config["POLICY_SMS_PUSH_TEMPLATE_TEXT"]


def deliver(push_id: int) -> dict[str, int] | None:
    """Send a recorded push (a job); returns its counts. Each notice is committed before its message goes out."""
    push = db.session.get(PolicyPush, push_id)
    if push is None or push.counts:
        return None  # unknown, or sent already (a job queued twice)
    version = push.version
    item_name = version.name
    found = plan(push.run, Criteria.of(push.criteria))
    counts = found.counts
    vault, base = current_vault(), public_base_url()
    days = int(current_app.config["POLICY_LINK_DAYS"])
    for recipient in found.recipients:
        if not within_daily_cap(recipient.phone_hash):
            counts["capped"] += 1
            continue
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utcnow().replace(microsecond=0)
        notice = PolicyNotice(push_id=push_id, item_version_id=push.item_version_id, profile_id=recipient.profile_id,
                              match_result_id=recipient.result_id, result=recipient.result,
                              token_hash=_digest(token), sent_at=now, expires_at=now + timedelta(days=days))
        db.session.add(notice)
        try:
            # Durable before the gateway is called: a link that went out is never unknown to the server.
            db.session.commit()
        except IntegrityError:  # another push of this version reached the enterprise first
            db.session.rollback()
            counts["already"] += 1
            continue
        kind, code, text = _template(recipient.result)
        accepted = send_one(vault.open(recipient.sealed_phone), kind=kind, template_code=code, template_text=text,
                            params={"name": recipient.name[:20], "item": item_name[:20],
                                    "link": f"{base}{LINK_PATH}{token}"},
                            reference=f"policy-{notice.id}")
        if accepted:
            counts["sent"] += 1
        else:
            db.session.delete(notice)
            counts["failed"] += 1
        db.session.commit()
    push = db.session.get(PolicyPush, push_id)
    push.counts = counts
    audit.record("policy.push", target(version), {"version": version.number, "push": push_id, **counts},
                 actor=push.sent_by)
    db.session.commit()
    return counts


def pushes(version_ids: list[int]) -> list[PolicyPush]:
    """The pushes of these versions, newest first."""
    if not version_ids:
        return []
    return list(db.session.scalars(select(PolicyPush).where(PolicyPush.item_version_id.in_(version_ids))
                                   .order_by(PolicyPush.id.desc())))
