"""The secrets that open an invitation — personal link tokens and typed access codes — and their checks.

A link token has 128 random bits (``secrets.token_urlsafe(16)``); an access
code has 10 characters from an alphabet without look-alikes (31 symbols, about
49.5 bits). Only their SHA-256 is stored. Each SMS may carry a new secret; all
of an invitation's secrets work until its round closes, and none works after
the one submission. Once the round closes, every link of it leads to the same
page; ``flask retention purge`` deletes the hashes ROUND_APPEAL_DAYS after the
closing day (app.maintenance.retention).
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.platform import readable_codes
from app.platform.calendar import day_bounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission, InvitationToken

ACCESS_CODE_LENGTH = 10


class Access(str, enum.Enum):
    """What a respondent's secret leads to. Every refusal page looks the same to an outsider."""

    ok = "ok"
    unknown = "unknown"
    used = "used"
    closed = "closed"
    not_open = "not_open"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


normalise_code = readable_codes.normalise  # typed on phones: any case, spaces and dashes ignored


def issue(invitation: Invitation, kind: str) -> str:
    """A new secret for this invitation (``link`` or ``code``); returns it in clear, once."""
    if kind == "link":
        secret = secrets.token_urlsafe(16)
        digest = _hash("link:" + secret)
    elif kind == "code":
        secret = readable_codes.new_code(ACCESS_CODE_LENGTH)
        digest = _hash("code:" + secret)
    else:
        raise ValueError(f"unknown secret kind {kind!r}")
    db.session.add(InvitationToken(invitation_id=invitation.id, kind=kind, secret_hash=digest))
    return secret


def find(secret: str, kind: str) -> Invitation | None:
    """The invitation a secret opens, or None. Constant work whatever the outcome (one indexed lookup)."""
    if kind == "code":
        secret = normalise_code(secret)
        if len(secret) != ACCESS_CODE_LENGTH:
            return None
    elif len(secret) > 64:
        return None
    digest = _hash(f"{kind}:{secret}")
    # The round comes with it: every caller checks access() next.
    return db.session.scalar(select(Invitation).join(InvitationToken, InvitationToken.invitation_id == Invitation.id)
                             .options(joinedload(Invitation.campaign, innerjoin=True))
                             .where(InvitationToken.secret_hash == digest, InvitationToken.kind == kind))


def closes_at(campaign: Campaign) -> datetime | None:
    """The end of the closing day, local time."""
    if campaign.closes_on is None:
        return None
    return day_bounds(campaign.closes_on)[1]


def round_closed(campaign: Campaign, now: datetime | None = None) -> bool:
    """Whether the round's links have stopped working: closed (or later), or past the end of its closing day."""
    if campaign.status in (CampaignStatus.closed, CampaignStatus.scored, CampaignStatus.published):
        return True
    deadline = closes_at(campaign)
    return deadline is not None and (now or datetime.now(timezone.utc)) >= deadline


def access(invitation: Invitation | None, now: datetime | None = None, *, submitted: bool | None = None) -> Access:
    """Whether this invitation may answer now (``submitted``: whether it has been used, if already read).

    A closed round comes first: every link of a closed round, used or not, leads to the same page, so that
    whoever holds someone's SMS cannot learn from it whether they answered (issue 24, finding 7). Only while
    the round is open does a used link say so (the respondent's back button and reload are thanked).
    """
    if invitation is None:
        return Access.unknown
    if round_closed(invitation.campaign, now):
        return Access.closed
    if submitted is None:
        submitted = db.session.get(InvitationSubmission, invitation.id) is not None
    if submitted:
        return Access.used
    campaign = invitation.campaign
    now = now or datetime.now(timezone.utc)
    if campaign.status not in (CampaignStatus.sending, CampaignStatus.open):
        return Access.not_open
    if campaign.opens_on is not None and now < day_bounds(campaign.opens_on)[0]:
        return Access.not_open
    return Access.ok
