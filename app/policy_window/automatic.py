"""免申即享 (no application): from a match to one case per eligible enterprise, each asked to confirm by SMS.

For a published item whose current version is delivered without application (``DeliveryMode.automatic``): the
department or the policy officer runs the match (or uses today's), reviews the list of the enterprises found
**eligible** — those only: "likely" needs a person's check of a condition and "missing data" decides nothing, so
they are counted and shown, never granted — each with its estimated amount from its own figures, takes off the
list whom it must (each with a reason, kept with the batch), and creates the batch: one application per enterprise
(``Origin.automatic``, stage ``consent``) holding the prepared decision (approved, at the estimate, by whoever made
the batch), so that once the enterprise accepts, the window only reviews it and payment follows. Each enterprise
gets one SMS with its tracking link (within the daily cap per number).

A county window's batch lists the enterprises of its county; the city's window lists every county. An enterprise
already holding an open or delivered application for the version is never given a second one (counted as
``holding``). Every batch is audited with its counts only; every case's steps through ``cases.move``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, false, select

from app.accounts.models import User
from app.audit import service as audit
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.characters import CONTROL_CHARACTERS
from app.platform.columns import utcnow
from app.platform.phones import current_vault
from app.platform.roles import Role
from app.policy import matching
from app.policy.explain import rule_set, summary
from app.policy.models import (
    DeliveryMode,
    ItemStatus,
    PolicyItem,
    PolicyItemVersion,
    PolicyMatchResult,
    PolicyMatchRun,
    PolicyWindow,
)
from app.policy_window import cases, notify, scope
from app.policy_window.models import OPEN_STAGES, AutomaticBatch, Decision, Origin, PolicyCase, Stage
from app.profiles.facts import facts_of
from app.profiles.models import EnterpriseProfile
from app.sms.models import SmsDailyCount
from eligibility.evaluation import Result

REASON_LENGTH = 200
# Stages in which an enterprise already holds the version (a second case would pay twice).
HOLDING = OPEN_STAGES | {Stage.delivered}
# Keys of AutomaticBatch.counts, in the order the pages show them.
COUNT_KEYS = ("eligible", "likely", "missing", "holding", "excluded", "changed", "listed", "sent", "no_phone",
              "capped", "failed")


class AutomaticError(ValueError):
    """A user-facing reason why a 免申即享 step is refused."""


@dataclass
class Candidate:
    """One eligible enterprise of the match: its result, the amount it would get, the one-line reason."""

    result: PolicyMatchResult
    profile: EnterpriseProfile
    amount: Decimal | None
    reason: str


@dataclass
class Listing:
    """The reviewed list of a run for a window: the eligible enterprises, the counts of the others."""

    version: PolicyItemVersion
    run: PolicyMatchRun
    window: PolicyWindow | None
    candidates: list[Candidate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # eligible, likely, missing, ineligible, holding

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.candidates if c.amount is not None), Decimal("0"))

    @property
    def current(self) -> bool:
        """Whether the list may become a batch: the newest run of the version, and matched today."""
        newest = matching.latest_run(self.version)
        return newest is not None and newest.id == self.run.id and self.run.as_of == local_today()


def check_version(version: PolicyItemVersion) -> None:
    """AutomaticError unless the version is the published current version of a 免申即享 item."""
    item = version.item
    if version.mode != DeliveryMode.automatic:
        raise AutomaticError(_("Only items delivered without application (免申即享) are granted from a match."))
    if item.status != ItemStatus.published or item.current_version_id != version.id:
        raise AutomaticError(_("Only the published current version of an item can be granted."))


def todays_run(version: PolicyItemVersion, actor: User | None = None) -> PolicyMatchRun:
    """The version's newest match if it was run today, else a new one (stored and audited)."""
    newest = matching.latest_run(version)
    if newest is not None and newest.as_of == local_today():
        return newest
    return matching.run(version, actor)


def holders(version: PolicyItemVersion) -> set[int]:
    """The profiles that hold an open or delivered application for the version."""
    return set(db.session.scalars(select(PolicyCase.profile_id).where(
        PolicyCase.item_version_id == version.id, PolicyCase.stage.in_(HOLDING))))


def estimate(version: PolicyItemVersion, profile: EnterpriseProfile) -> Decimal | None:
    """The amount (万元) the version gives this enterprise on its own figures; None when not money or unknown."""
    return version.benefit.estimate(profile.record())


def listing(version: PolicyItemVersion, run: PolicyMatchRun, window: PolicyWindow | None = None) -> Listing:
    """The run's eligible enterprises (of the window's county, if a county window) that hold no application for
    the version yet, with their estimates; the counts of the others. Nothing is written."""
    out = Listing(version, run, window)
    held = holders(version)
    query = (select(PolicyMatchResult, EnterpriseProfile)
             .join(EnterpriseProfile, PolicyMatchResult.profile_id == EnterpriseProfile.id)
             .where(PolicyMatchResult.run_id == run.id).order_by(EnterpriseProfile.uscc))
    if window is not None and window.district:
        query = query.where(EnterpriseProfile.district == window.district)
    counts: Counter[str] = Counter({key: 0 for key in (*matching.RESULT_ORDER, "holding")})
    for result, profile in db.session.execute(query):
        counts[result.result] += 1
        if result.result != Result.eligible.value:
            continue
        if profile.id in held:
            counts["holding"] += 1
            continue
        out.candidates.append(Candidate(result, profile, estimate(version, profile),
                                        summary(version, result.result, result.trace)))
    out.counts = dict(counts)
    return out


def prepare(version: PolicyItemVersion, actor: User | None = None, window: PolicyWindow | None = None) -> Listing:
    """Run the match (or reuse today's) and return the list to review."""
    check_version(version)
    return listing(version, todays_run(version, actor), window)


def clean_exclusions(listed: Listing, excluded: dict[int, str]) -> dict[int, str]:
    """Each exclusion must be an enterprise of the list and carry a reason (AutomaticError naming it otherwise)."""
    names = {c.profile.id: c.profile.name for c in listed.candidates}
    out: dict[int, str] = {}
    for profile_id, reason in excluded.items():
        if profile_id not in names:
            raise AutomaticError(_("An enterprise taken off the list is not on it: reload the page."))
        reason = CONTROL_CHARACTERS.sub("", (reason or "").strip())
        if not reason:
            raise AutomaticError(_("%(name)s: say why it is taken off the list.", name=names[profile_id]))
        if len(reason) > REASON_LENGTH:
            raise AutomaticError(_("%(name)s: the reason is longer than %(max)d characters.", name=names[profile_id],
                                   max=REASON_LENGTH))
        out[profile_id] = reason
    return out


def _capped(case: PolicyCase) -> bool:
    """Whether the number's daily cap is already reached (looked at, not counted: ``notify.tell`` counts)."""
    vault = current_vault()
    row = db.session.get(SmsDailyCount, (vault.lookup_hash(vault.open(case.phone)), local_today()))
    return (row.count if row is not None else 0) >= current_app.config["SMS_DAILY_CAP_PER_NUMBER"]


def _ask(case: PolicyCase) -> str:
    """Send the enterprise its SMS asking it to confirm; what became of it (a key of the batch's counts)."""
    capped = bool(case.phone) and _capped(case)
    if notify.tell(case, "consent"):
        return "sent"
    if not case.phone:
        return "no_phone"
    return "capped" if capped else "failed"


def create_batch(version: PolicyItemVersion, run: PolicyMatchRun, window: PolicyWindow,
                 excluded: dict[int, str], actor: User | None) -> AutomaticBatch:
    """The reviewed list becomes a batch: one case per enterprise left on it, with the prepared decision, and one
    SMS each. ``excluded``: {profile id: reason}. Flushed, not committed."""
    check_version(version)
    if run.item_version_id != version.id:
        raise AutomaticError(_("The match is not of this version."))
    # One batch of a version at a time (PostgreSQL): a second one, made at the same moment, waits here and then
    # finds the first one's enterprises holding their cases.
    db.session.execute(select(PolicyItemVersion.id).where(PolicyItemVersion.id == version.id).with_for_update())
    listed = listing(version, run, window)
    if not listed.current:
        raise AutomaticError(_("The match is not today's newest: run it again and review the list."))
    reasons = clean_exclusions(listed, excluded)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts.update({key: listed.counts.get(key, 0) for key in ("eligible", "likely", "missing", "holding")})
    counts["excluded"] = len(reasons)
    batch = AutomaticBatch(version=version, run=run, window=window, created_by_id=actor.id if actor else None,
                           exclusions=[{"profile_id": pid, "reason": reason} for pid, reason in reasons.items()])
    db.session.add(batch)
    db.session.flush()
    today, now, rules = local_today(), utcnow(), rule_set(version)
    for candidate in listed.candidates:
        profile = candidate.profile
        if profile.id in reasons:
            continue
        if rules.match(facts_of(profile, today)).result != Result.eligible:  # its data changed since the match
            counts["changed"] += 1
            continue
        case = cases.open_case(version, profile, window, Origin.automatic, actor=actor, batch=batch)
        case.decision, case.approved_amount = Decision.approved, estimate(version, profile)
        case.decided_at, case.decided_by_id = now, actor.id if actor else None
        cases.move(case, Stage.consent, "consent_asked", actor=actor, details={"batch": batch.id})
        counts["listed"] += 1
        counts[_ask(case)] += 1
    batch.counts = counts
    audit.record("policy.automatic_batch", matching.target(version),
                 {"batch": batch.id, "version": version.number, "window": window.id, **counts}, actor=actor)
    db.session.flush()
    return batch


# --------------------------------------------------------------------------- reading batches

def count_labels() -> list[tuple[str, str]]:
    """The batch's counts as the pages name them, in order."""
    return [("eligible", _("Eligible in the match")), ("likely", _("Likely eligible (not granted: a person checks)")),
            ("missing", _("Missing data (not granted)")), ("holding", _("Already holding an application")),
            ("excluded", _("Taken off the list")), ("changed", _("No longer eligible when the batch was made")),
            ("listed", _("Asked to confirm")), ("sent", _("SMS sent")), ("no_phone", _("No mobile number")),
            ("capped", _("Daily SMS cap reached")), ("failed", _("Refused by the gateway"))]


def batches(user: User) -> Select:
    """The batches this user may see (joined to their versions): the policy officer every one, window staff their
    window's, a liaison those of its department's items."""
    query = select(AutomaticBatch).join(PolicyItemVersion, AutomaticBatch.item_version_id == PolicyItemVersion.id)
    if scope.sees_every_window(user):
        return query
    if user.role == Role.liaison:
        return query.where(PolicyItemVersion.department_id == user.department_id)
    window = scope.window_of(user)
    return query.where(AutomaticBatch.window_id == window.id) if window is not None else query.where(false())


def batch_or_404(user: User, batch_id: int) -> AutomaticBatch:
    return db.one_or_404(batches(user).where(AutomaticBatch.id == batch_id))


def batches_of(user: User, item: PolicyItem) -> list[AutomaticBatch]:
    """The item's batches (every version) this user may see, newest first."""
    ids = [v.id for v in item.versions]
    return list(db.session.scalars(batches(user).where(AutomaticBatch.item_version_id.in_(ids))
                                   .order_by(AutomaticBatch.id.desc())))


def batch_counts(user: User, item_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per item: (batches, enterprises asked) this user may see."""
    out: dict[int, tuple[int, int]] = {}
    if not item_ids:
        return out
    query = batches(user).add_columns(PolicyItemVersion.item_id).where(PolicyItemVersion.item_id.in_(item_ids))
    for found, item_id in db.session.execute(query):
        made, asked = out.get(item_id, (0, 0))
        out[item_id] = (made + 1, asked + int((found.counts or {}).get("listed", 0)))
    return out


@dataclass(frozen=True)
class Row:
    """One enterprise of a batch as its page shows it."""

    case: PolicyCase
    paid: Decimal


def batch_cases(batch: AutomaticBatch) -> list[Row]:
    """The batch's applications by USCC, with the amount paid on each."""
    found = db.session.scalars(select(PolicyCase).join(EnterpriseProfile, PolicyCase.profile_id == EnterpriseProfile.id)
                               .where(PolicyCase.batch_id == batch.id).order_by(EnterpriseProfile.uscc))
    return [Row(case, case.paid_total) for case in found]


def exclusions_of(batch: AutomaticBatch) -> list[tuple[EnterpriseProfile | None, str]]:
    """The enterprises taken off the list, each with the reason given."""
    return [(db.session.get(EnterpriseProfile, entry["profile_id"]), entry["reason"])
            for entry in batch.exclusions or ()]
