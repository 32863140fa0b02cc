"""The random part of a meeting's invitations, drawn with the verifiable sampling core like a monthly round.

1. ``freeze``: the frame — active pool members of the enterprise categories (FORUM_ENTERPRISE_CATEGORIES), less
   the enterprises invited to the last ``exclude_last`` meetings and those already chosen for this one — is kept
   on the meeting with its SHA-256 commitment, to be announced before any seed exists; strata are the category
   and, where the pool knows it, the district (``category|district``, ``category|-`` otherwise), allocated
   proportionally to ``draw_size``;
2. ``draw``: the seed — typed (a public lottery number drawn after the announcement) or generated — is recorded
   and ``sampling.select`` picks the smallest tickets of each stratum; each becomes a ``drawn`` invitation.

``evidence_files`` are the files ``tools/verify_draw.py`` replays; ``verify`` does the same on the server.
"""
from __future__ import annotations

import json
import secrets
from collections import Counter

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

import sampling
from app.audit import service as audit
from app.extensions import db
from app.forum.meetings import target
from app.forum.models import ForumInvitation, ForumMeeting, InvitationSource, MeetingStatus
from app.platform.columns import utcnow
from app.pool.models import MemberStatus, Respondent, RespondentCategory
from app.rounds.draws import MAX_SEED_LENGTH, csv_text, stratum_of
from app.rounds.models import Stratification


class ForumDrawError(ValueError):
    """A user-facing reason why a draw step is refused."""


def enterprise_members():
    """Active pool members of the enterprise categories (a select of Respondent)."""
    return (select(Respondent).join(RespondentCategory, Respondent.category_id == RespondentCategory.id)
            .where(Respondent.status == MemberStatus.active,
                   RespondentCategory.key.in_(current_app.config["FORUM_ENTERPRISE_CATEGORIES"])))


def recent_meeting_ids(meeting: ForumMeeting) -> list[int]:
    """The ``exclude_last`` meetings before this one whose guests sit this one out."""
    if meeting.exclude_last <= 0:
        return []
    return list(db.session.scalars(
        select(ForumMeeting.id).where(ForumMeeting.id != meeting.id, ForumMeeting.held_on <= meeting.held_on,
                                      ForumMeeting.invitations.any())
        .order_by(ForumMeeting.held_on.desc(), ForumMeeting.id.desc()).limit(meeting.exclude_last)))


def eligible_frame(meeting: ForumMeeting) -> list[tuple[str, str]]:
    """(key, stratum) of every enterprise that may be drawn for the meeting, ordered by key."""
    recent = recent_meeting_ids(meeting)
    invited = select(ForumInvitation.respondent_id).where(
        ForumInvitation.meeting_id.in_(recent + [meeting.id]))
    rows = db.session.execute(
        enterprise_members().with_only_columns(Respondent.key, RespondentCategory.key, Respondent.district)
        .where(Respondent.id.not_in(invited)).order_by(Respondent.key)).all()
    frame = [(key, stratum_of(category, (district or "").strip(), Stratification.category_district))
             for key, category, district in rows]
    unsafe = sorted({stratum for _, stratum in frame if "," in stratum or "\n" in stratum})
    if unsafe:
        raise ForumDrawError(_("A district name contains a comma or a line break (%(stratum)s); correct it in the "
                               "pool first, since the published frame is a comma-separated file.",
                               stratum=unsafe[0]))
    return frame


def _plan(meeting: ForumMeeting) -> dict:
    return json.loads(meeting.draw_frame) if meeting.draw_frame else {}


def allocation(meeting: ForumMeeting) -> dict[str, int]:
    """n_h per stratum of the frozen frame."""
    return _plan(meeting).get("allocation", {})


def frame_members(meeting: ForumMeeting) -> list[tuple[str, str]]:
    """The frozen frame: (key, stratum) sorted by key."""
    return [tuple(member) for member in _plan(meeting).get("frame", [])]


def freeze(meeting: ForumMeeting, actor=None) -> str:
    """Step 1: keep the frame and its allocation on the meeting and record its commitment; returns it."""
    if meeting.draw_commitment:
        raise ForumDrawError(_("The frame of this meeting's draw is frozen already."))
    if meeting.status != MeetingStatus.preparing:
        raise ForumDrawError(_("Invitations can be drawn only while the meeting is in preparation."))
    if meeting.draw_size <= 0:
        raise ForumDrawError(_("Set how many enterprises to draw first."))
    frame = eligible_frame(meeting)
    if len(frame) < meeting.draw_size:
        raise ForumDrawError(_("Only %(n)d enterprises may be drawn, fewer than the %(k)d to draw.",
                               n=len(frame), k=meeting.draw_size))
    sizes = dict(sorted(Counter(stratum for _, stratum in frame).items()))
    plan = sampling.allocation_plan(sizes, meeting.draw_size, method="proportional")
    keys, strata = [k for k, _ in frame], [s for _, s in frame]
    meeting.draw_commitment = sampling.commitment(keys, strata)
    meeting.draw_frame = json.dumps({
        "n": meeting.draw_size, "method": "proportional", "exclude_last": meeting.exclude_last,
        "excluded_meetings": recent_meeting_ids(meeting),
        "categories": list(current_app.config["FORUM_ENTERPRISE_CATEGORIES"]),
        "stratum_sizes": sizes, "allocation": plan, "frame": [list(member) for member in frame]},
        ensure_ascii=False, sort_keys=True)
    audit.record("forum.draw.freeze", target(meeting), {"frame_size": len(frame),
                                                        "commitment": meeting.draw_commitment,
                                                        "allocation": plan}, actor=actor)
    return meeting.draw_commitment


def draw(meeting: ForumMeeting, seed: str | None = None, actor=None) -> int:
    """Step 2: record the seed (typed, or generated when None) and invite the drawn enterprises; returns how many."""
    if not meeting.draw_commitment or meeting.drawn_at is not None:
        raise ForumDrawError(_("Draw once, after the frame is frozen."))
    source = "typed" if seed is not None else "generated"
    seed = seed.strip() if seed is not None else secrets.token_hex(16)
    if not seed or len(seed) > MAX_SEED_LENGTH or any(ch in seed for ch in "\r\n"):
        raise ForumDrawError(_("A seed is one line of at most %(n)d characters.", n=MAX_SEED_LENGTH))
    frame = frame_members(meeting)
    selected = sampling.select([k for k, _ in frame], [s for _, s in frame], allocation(meeting), seed)
    members = {r.key: r for r in db.session.scalars(select(Respondent).where(Respondent.key.in_(list(selected))))}
    now = utcnow()
    for key in sorted(selected):
        db.session.add(ForumInvitation(meeting=meeting, respondent=members[key], source=InvitationSource.drawn,
                                       created_at=now))
    meeting.draw_seed, meeting.drawn_at = seed, now
    audit.record("forum.draw.draw", target(meeting), {"seed": seed, "source": source, "selected": len(selected)},
                 actor=actor)
    return len(selected)


def drawn_keys(meeting: ForumMeeting) -> list[str]:
    """The keys of the enterprises invited by the draw."""
    return sorted(db.session.scalars(select(Respondent.key).join(ForumInvitation,
                                                                  ForumInvitation.respondent_id == Respondent.id)
                                     .where(ForumInvitation.meeting_id == meeting.id,
                                            ForumInvitation.source == InvitationSource.drawn)))


def evidence_files(meeting: ForumMeeting) -> dict[str, str]:
    """frame.csv, plan.json, seed.txt, commitment.txt, selected.csv: what tools/verify_draw.py replays."""
    if meeting.drawn_at is None:
        raise ForumDrawError(_("Only a completed draw can be exported."))
    frame, plan = frame_members(meeting), _plan(meeting)
    stratum = dict(frame)
    sizes, shares = plan["stratum_sizes"], plan["allocation"]
    selected = [(key, stratum[key], repr(shares[stratum[key]] / sizes[stratum[key]])) for key in drawn_keys(meeting)]
    return {
        "frame.csv": csv_text(["key", "stratum"], frame),
        "plan.json": json.dumps({k: v for k, v in plan.items() if k != "frame"}, ensure_ascii=False, indent=2,
                                sort_keys=True) + "\n",
        "seed.txt": meeting.draw_seed + "\n",
        "commitment.txt": meeting.draw_commitment + "\n",
        "selected.csv": csv_text(["key", "stratum", "inclusion_probability"], selected),
        "voided.json": "[]\n",
    }


def verify(meeting: ForumMeeting) -> bool:
    """The stored frame gives the commitment, and the seed gives exactly the drawn invitations."""
    frame = frame_members(meeting)
    keys, strata = [k for k, _ in frame], [s for _, s in frame]
    if sampling.commitment(keys, strata) != meeting.draw_commitment:
        return False
    expected = sampling.select(keys, strata, allocation(meeting), meeting.draw_seed)
    return sorted(expected) == drawn_keys(meeting)
