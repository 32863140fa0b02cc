"""The monthly draw: freeze the frame and publish its commitment, set the seed, draw, and prove it.

Three recorded steps, in this order, each audited (DESIGN.md, "The monthly round"):

1. ``freeze``: the eligible members are copied into the draw's frame and the
   frame's SHA-256 commitment is recorded — to be announced before any seed exists;
2. ``set_seed``: a seed typed in (e.g. a public lottery number drawn after the
   announcement) or generated with ``secrets``;
3. ``draw_sample``: ``sampling.select`` picks the members with the smallest tickets in
   each stratum; one invitation per selected member records π = n_h / N_h.

Nothing can be redrawn once invitations exist; ``void`` keeps the old draw on
record and lets the round start a new one. The selection is a pure function of
(frame, allocation, seed): anybody can replay it with ``tools/verify_draw.py``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import statistics
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update

import sampling
from app.audit import service as audit
from app.extensions import db
from app.platform.columns import utcnow
from app.pool.models import MemberStatus, Respondent, RespondentCategory
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Campaign, CampaignStatus, Draw, DrawStatus, FrameMember, Invitation, Stratification

STRATUM_SEPARATOR = "|"
MAX_SEED_LENGTH = 200


class DrawError(ValueError):
    """A user-facing reason why a draw step is refused."""


@dataclass(frozen=True)
class AllocationRow:
    stratum: str
    eligible: int
    drawn: int

    @property
    def probability(self) -> float:
        return self.drawn / self.eligible if self.eligible else 0.0


def stratum_of(category_key: str, district: str, stratify_by: Stratification) -> str:
    """The stratum label of a member: its category, or category|district."""
    if stratify_by == Stratification.category_district:
        return f"{category_key}{STRATUM_SEPARATOR}{district or '-'}"
    return category_key


def recent_campaign_ids(campaign: Campaign) -> list[int]:
    """The k rounds before this one whose draws count for the exclusion window."""
    if campaign.exclusion_window <= 0:
        return []
    drawn = (select(Campaign.id)
             .join(Draw, Draw.campaign_id == Campaign.id)
             .where(Campaign.id != campaign.id, Campaign.month <= campaign.month,
                    Draw.status == DrawStatus.drawn)
             .order_by(Campaign.month.desc(), Campaign.id.desc())
             .limit(campaign.exclusion_window))
    return list(db.session.scalars(drawn))


def eligible_frame(campaign: Campaign) -> list[tuple[int, str, str]]:
    """(respondent id, key, stratum) of every member who may be drawn in this round, ordered by key.

    Eligible: active, and not invited in any of the last k drawn rounds.
    """
    recent = recent_campaign_ids(campaign)
    query = (select(Respondent.id, Respondent.key, RespondentCategory.key, Respondent.district)
             .join(RespondentCategory, Respondent.category_id == RespondentCategory.id)
             .where(Respondent.status == MemberStatus.active)
             .order_by(Respondent.key))
    if recent:
        invited = select(Invitation.respondent_id).where(Invitation.campaign_id.in_(recent))
        query = query.where(Respondent.id.not_in(invited))
    frame = [(rid, key, stratum_of(category, district, campaign.stratify_by))
             for rid, key, category, district in db.session.execute(query)]
    for _, key, stratum in frame:
        if "," in stratum or "\n" in stratum:
            raise DrawError(_("A district name contains a comma or a line break (%(stratum)s); correct it in the pool "
                              "first, since the published frame is a comma-separated file.", stratum=stratum))
    return frame


def plan_allocation(campaign: Campaign, stratum_sizes: dict[str, int]) -> dict[str, int]:
    """n_h per stratum for the round's plan; DrawError with the reason when the plan cannot be met."""
    sd = None
    if campaign.allocation_method == "neyman":
        sd = previous_stratum_sd(campaign)
        if sd is None:
            raise DrawError(_("Neyman allocation needs the standard deviation of each stratum from an earlier scored "
                              "round, and there is none yet. Use proportional allocation for now."))
        known = statistics.fmean(sd.values())
        sd = {s: sd.get(s, known) for s in stratum_sizes}  # a new stratum gets the average spread
    try:
        allocation = sampling.allocation_plan(stratum_sizes, campaign.sample_size, method=campaign.allocation_method,
                                              sd=sd, minimum=campaign.minimum_per_stratum)
    except ValueError as exc:
        raise DrawError(_("The sample plan cannot be met: %(reason)s", reason=str(exc))) from None
    # Each response keeps its stratum (the weights need it): in a stratum of one or two invited people,
    # whoever knows who answered knows what they said.
    smallest = current_app.config["MIN_STRATUM_SAMPLE"]
    tiny = sorted(s for s, n in allocation.items() if 0 < n < smallest)
    if tiny:
        raise DrawError(_("Strata with fewer than %(k)d invited people would expose who answered: %(strata)s. "
                          "Raise the minimum per stratum to %(k)d or stratify by category only.",
                          k=smallest, strata=", ".join(tiny[:8]) + ("…" if len(tiny) > 8 else "")))
    return allocation


def previous_stratum_sd(campaign: Campaign) -> dict[str, float] | None:
    """Per-stratum standard deviations of respondents' scores in the latest earlier scored round, or None.

    A respondent's score is the mean of their scored answers; strata with fewer than two respondents have
    no standard deviation and are left out (plan_allocation gives them the mean of the others).
    """
    previous = db.session.scalar(
        select(Campaign.id).where(Campaign.id != campaign.id, Campaign.month <= campaign.month,
                                  Campaign.status.in_((CampaignStatus.scored, CampaignStatus.published)))
        .order_by(Campaign.month.desc(), Campaign.id.desc()).limit(1))
    if previous is None:
        return None
    rows = db.session.execute(
        select(Response.stratum, func.avg(ResponseAnswer.score))
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .where(Response.campaign_id == previous, ResponseAnswer.score.is_not(None))
        .group_by(Response.id, Response.stratum)).all()
    by_stratum: dict[str, list[float]] = {}
    for stratum, score in rows:
        by_stratum.setdefault(stratum, []).append(float(score))
    sd = {s: statistics.stdev(v) for s, v in by_stratum.items() if len(v) >= 2}
    return sd or None


def allocation_preview(campaign: Campaign) -> tuple[list[AllocationRow], str | None]:
    """The table the plan would give now (stratum, N_h, n_h), and the reason if it cannot be met."""
    sizes = Counter(stratum for _, _, stratum in eligible_frame(campaign))
    try:
        allocation = plan_allocation(campaign, dict(sorted(sizes.items())))
        problem = None
    except DrawError as exc:
        allocation, problem = {}, str(exc)
    rows = [AllocationRow(s, n, allocation.get(s, 0)) for s, n in sorted(sizes.items())]
    return rows, problem


def allocation_rows(draw: Draw) -> list[AllocationRow]:
    """The allocation a draw froze with its frame."""
    return [AllocationRow(s, n, draw.allocation.get(s, 0)) for s, n in sorted(draw.stratum_sizes.items())]


def update_plan(campaign: Campaign, **plan) -> None:
    """Change the sample plan; only before the frame is frozen."""
    if campaign.current_draw is not None:
        raise DrawError(_("The frame is frozen: the plan can no longer change. Void the draw to start again."))
    changes = {k: [getattr(campaign, k).value if hasattr(getattr(campaign, k), "value") else getattr(campaign, k),
                   v.value if hasattr(v, "value") else v]
               for k, v in plan.items() if getattr(campaign, k) != v}
    for key, value in plan.items():
        setattr(campaign, key, value)
    if changes:
        audit.record("draw.plan", f"campaign:{campaign.id}", {"changes": changes})


def freeze(campaign: Campaign, user) -> Draw:
    """Step 1: copy the eligible members into the frame and record its commitment."""
    if campaign.status != CampaignStatus.draft or campaign.current_draw is not None:
        raise DrawError(_("This round already has a frozen frame."))
    frame = eligible_frame(campaign)
    if not frame:
        raise DrawError(_("Nobody in the pool is eligible for this round."))
    sizes = dict(sorted(Counter(stratum for _, _, stratum in frame).items()))
    allocation = plan_allocation(campaign, sizes)
    keys = [key for _, key, _ in frame]
    strata = [stratum for _, _, stratum in frame]
    draw = Draw(
        campaign=campaign,
        status=DrawStatus.frozen,
        plan={"n": campaign.sample_size, "method": campaign.allocation_method,
              "minimum": campaign.minimum_per_stratum, "stratify_by": campaign.stratify_by.value,
              "exclusion_window": campaign.exclusion_window},
        stratum_sizes=sizes,
        allocation={s: int(n) for s, n in allocation.items()},
        frame_size=len(frame),
        commitment=sampling.commitment(keys, strata),
        frozen_at=utcnow(),
        frozen_by_id=user.id if user else None,
    )
    db.session.add(draw)
    db.session.flush()
    db.session.execute(insert(FrameMember.__table__), [
        {"draw_id": draw.id, "respondent_id": rid, "key": key, "stratum": stratum} for rid, key, stratum in frame])
    audit.record("draw.freeze", f"campaign:{campaign.id}", {
        "draw": draw.id, "frame_size": draw.frame_size, "commitment": draw.commitment, "allocation": draw.allocation,
    }, actor=user)
    return draw


def clean_seed(seed: str | None) -> tuple[str, str]:
    """(seed, source) of a typed seed, or of a new random one when ``seed`` is None; DrawError if unusable.

    The rule of every verifiable draw (a round's, a call-back check's): one line of at most MAX_SEED_LENGTH.
    """
    if seed is None:
        return secrets.token_hex(16), "generated"
    seed = seed.strip()
    if not seed or len(seed) > MAX_SEED_LENGTH or any(ch in seed for ch in "\r\n"):
        raise DrawError(_("A seed is one line of at most %(n)d characters.", n=MAX_SEED_LENGTH))
    return seed, "typed"


def set_seed(draw: Draw, user, seed: str | None = None) -> None:
    """Step 2: the seed, typed in (announced after the commitment) or generated now. Set once."""
    if draw.status != DrawStatus.frozen:
        raise DrawError(_("The seed can only be set once, after the frame is frozen and before the draw."))
    seed, source = clean_seed(seed)
    # Conditional, so that of two requests racing to set the seed only the first succeeds.
    claimed = db.session.execute(
        update(Draw).where(Draw.id == draw.id, Draw.status == DrawStatus.frozen)
        .values(seed=seed, seed_source=source, seeded_at=utcnow(), seeded_by_id=user.id if user else None,
                status=DrawStatus.seeded))
    if claimed.rowcount != 1:
        raise DrawError(_("The seed can only be set once, after the frame is frozen and before the draw."))
    db.session.refresh(draw)
    audit.record("draw.seed", f"campaign:{draw.campaign_id}",
                 {"draw": draw.id, "seed": seed, "source": source}, actor=user)


def draw_sample(draw: Draw, user) -> int:
    """Step 3: select the members and create their invitations; returns how many were invited."""
    if draw.status != DrawStatus.seeded:
        raise DrawError(_("Draw only after the frame is frozen and the seed is set, and only once."))
    frame = db.session.execute(select(FrameMember.respondent_id, FrameMember.key, FrameMember.stratum)
                               .where(FrameMember.draw_id == draw.id).order_by(FrameMember.key)).all()
    selected = sampling.select([f.key for f in frame], [f.stratum for f in frame], draw.allocation, draw.seed)
    by_key = {f.key: f for f in frame}
    now = utcnow()
    db.session.execute(insert(Invitation.__table__), [
        {"campaign_id": draw.campaign_id, "draw_id": draw.id, "respondent_id": by_key[key].respondent_id,
         "stratum": by_key[key].stratum, "inclusion_probability": probability, "created_at": now}
        for key, probability in selected.items()])
    db.session.execute(update(Respondent)
                       .where(Respondent.id.in_([by_key[k].respondent_id for k in selected]))
                       .values(times_drawn=Respondent.times_drawn + 1, last_drawn_round_id=draw.campaign_id))
    draw.status, draw.drawn_at = DrawStatus.drawn, now
    draw.drawn_by_id = user.id if user else None
    draw.selected_count = len(selected)
    draw.selection_hash = hashlib.sha256(selected_csv(draw).encode("utf-8")).hexdigest()
    draw.campaign.status = CampaignStatus.drawn
    audit.record("draw.draw", f"campaign:{draw.campaign_id}", {
        "draw": draw.id, "selected": draw.selected_count, "selection_hash": draw.selection_hash}, actor=user)
    return len(selected)


def void(draw: Draw, user, reason: str) -> None:
    """Set a draw aside, on record, so that the round can draw again (only before any invitation is sent)."""
    if draw.status == DrawStatus.voided:
        raise DrawError(_("This draw is already void."))
    if draw.campaign.status not in (CampaignStatus.draft, CampaignStatus.drawn):
        raise DrawError(_("Invitations are being sent or answered: this draw can no longer be voided."))
    if not reason.strip():
        raise DrawError(_("Give the reason for voiding the draw."))
    invited = list(db.session.scalars(select(Invitation.respondent_id).where(Invitation.draw_id == draw.id)))
    if invited:
        draw.voided_selection = sorted(db.session.scalars(
            select(FrameMember.key).where(FrameMember.draw_id == draw.id, FrameMember.respondent_id.in_(invited))))
        db.session.execute(delete(Invitation).where(Invitation.draw_id == draw.id))
        _recount_draws(invited)
    draw.status, draw.voided_at, draw.void_reason = DrawStatus.voided, utcnow(), reason.strip()[:300]
    draw.voided_by_id = user.id if user else None
    draw.campaign.status = CampaignStatus.draft
    audit.record("draw.void", f"campaign:{draw.campaign_id}",
                 {"draw": draw.id, "reason": draw.void_reason, "had_invitations": len(invited)}, actor=user)


def _recount_draws(respondent_ids: list[int]) -> None:
    """Times drawn and last round drawn, from the invitations that remain."""
    counts = dict(db.session.execute(
        select(Invitation.respondent_id, func.count()).where(Invitation.respondent_id.in_(respondent_ids))
        .group_by(Invitation.respondent_id)).all())
    last = dict(db.session.execute(
        select(Invitation.respondent_id, func.max(Invitation.campaign_id))
        .where(Invitation.respondent_id.in_(respondent_ids)).group_by(Invitation.respondent_id)).all())
    for rid in respondent_ids:
        db.session.execute(update(Respondent).where(Respondent.id == rid)
                           .values(times_drawn=counts.get(rid, 0), last_drawn_round_id=last.get(rid)))


# --- the exported evidence ----------------------------------------------------

def csv_text(header: list[str], rows) -> str:
    """An evidence file: the header, then the rows, comma-separated with "\\n" line ends (what verify_draw.py reads)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def frame_csv(draw: Draw) -> str:
    """frame.csv: key,stratum of every frame member, sorted by key."""
    return csv_text(["key", "stratum"], db.session.execute(
        select(FrameMember.key, FrameMember.stratum).where(FrameMember.draw_id == draw.id).order_by(FrameMember.key)))


def selected_csv(draw: Draw) -> str:
    """selected.csv: key,stratum,inclusion_probability of the selected members, sorted by key."""
    rows = db.session.execute(
        select(FrameMember.key, Invitation.stratum, Invitation.inclusion_probability)
        .join(FrameMember, (FrameMember.draw_id == Invitation.draw_id)
              & (FrameMember.respondent_id == Invitation.respondent_id))
        .where(Invitation.draw_id == draw.id).order_by(FrameMember.key))
    return csv_text(["key", "stratum", "inclusion_probability"],
                    ((key, stratum, repr(float(p))) for key, stratum, p in rows))


def evidence_files(draw: Draw) -> dict[str, str]:
    """The files an auditor needs to replay the draw without trusting the server."""
    if draw.status != DrawStatus.drawn:
        raise DrawError(_("Only a completed draw can be exported."))
    return {
        "frame.csv": frame_csv(draw),
        "plan.json": json.dumps({"allocation": draw.allocation, "stratum_sizes": draw.stratum_sizes, **draw.plan},
                                ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        "seed.txt": draw.seed + "\n",
        "commitment.txt": draw.commitment + "\n",
        "selected.csv": selected_csv(draw),
        "voided.json": voided_json(draw),
    }


def voided_json(draw: Draw) -> str:
    """voided.json: every earlier draw of the round that was set aside — its commitment, seed, reason and the
    keys it had selected — so that an auditor sees whether a round was drawn until someone liked the sample."""
    earlier = [d for d in sorted(draw.campaign.draws, key=lambda d: d.id)
               if d.status == DrawStatus.voided and d.id != draw.id]
    return json.dumps([{
        "commitment": d.commitment, "seed": d.seed, "frozen_at": _iso(d.frozen_at), "drawn_at": _iso(d.drawn_at),
        "voided_at": _iso(d.voided_at), "reason": d.void_reason, "selected_keys": d.voided_selection or [],
    } for d in earlier], ensure_ascii=False, indent=2) + "\n"


def _iso(moment) -> str | None:
    """A moment in voided.json: ISO 8601 with its UTC offset, the standard a machine-readable file needs (the
    auditor's script and any JSON reader parse it unambiguously); people read the local times on the draw page."""
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class Verification:
    commitment_ok: bool
    selection_ok: bool
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.commitment_ok and self.selection_ok


def verify(draw: Draw) -> Verification:
    """Recompute the commitment from the stored frame and the selection from frame, allocation and seed."""
    frame = db.session.execute(select(FrameMember.key, FrameMember.stratum)
                               .where(FrameMember.draw_id == draw.id)).all()
    keys, strata = [f.key for f in frame], [f.stratum for f in frame]
    commitment_ok = sampling.commitment(keys, strata) == draw.commitment
    expected = sampling.select(keys, strata, draw.allocation, draw.seed)
    actual = {row.key: row.inclusion_probability for row in db.session.execute(
        select(FrameMember.key, Invitation.inclusion_probability)
        .join(FrameMember, (FrameMember.draw_id == Invitation.draw_id)
              & (FrameMember.respondent_id == Invitation.respondent_id))
        .where(Invitation.draw_id == draw.id))}
    return Verification(commitment_ok, *compare_selection(expected, actual))


def compare_selection(expected: dict[str, float], actual: dict[str, float]) -> tuple[bool, str]:
    """(selection ok, what differs) between the recomputed selection {key: π} and the stored one."""
    missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
    wrong_p = [k for k in set(expected) & set(actual) if abs(expected[k] - actual[k]) > 1e-9]
    detail = "; ".join(part for part in (
        f"{len(missing)} expected but not selected (e.g. {', '.join(missing[:3])})" if missing else "",
        f"{len(extra)} selected but not expected (e.g. {', '.join(extra[:3])})" if extra else "",
        f"{len(wrong_p)} with a wrong inclusion probability" if wrong_p else "",
    ) if part)
    return not (missing or extra or wrong_p), detail
