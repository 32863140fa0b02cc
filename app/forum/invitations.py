"""The meeting's invitations: enterprises chosen by the organisers, the personal link of each, sending, the
enterprise's answer (RSVP) and attendance.

A personal link ``/f/<token>`` is issued when the invitation is sent, one per invitation. Only its SHA-256 is
stored; the token itself is derived from the application's secret key, the invitation and the moment it was sent
(an HMAC), so that a later SMS about one of the enterprise's problems can carry the same link without the server
keeping it in clear. Sending again is not possible: the link never changes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.audit import service as audit
from app.extensions import db
from app.forum.draws import enterprise_members
from app.forum.meetings import target
from app.forum.models import ForumInvitation, ForumMeeting, InvitationSource, MeetingStatus
from app.platform.columns import utcnow
from app.platform.links import public_url
from app.platform.phones import current_vault
from app.pool.models import Respondent
from app.sms.notify import send_one, within_daily_cap

SEARCH_LIMIT = 20
TOKEN_LENGTH = 32


class InvitationError(ValueError):
    """A user-facing reason why an invitation step is refused."""


# --------------------------------------------------------------------------- choosing

def search_enterprises(meeting: ForumMeeting, text: str) -> list[Respondent]:
    """Enterprise members of the pool matching a name, organisation or key, not invited to this meeting yet."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = f"%{text}%"
    invited = select(ForumInvitation.respondent_id).where(ForumInvitation.meeting_id == meeting.id)
    return list(db.session.scalars(
        enterprise_members().where(or_(Respondent.name.ilike(pattern), Respondent.organisation.ilike(pattern),
                                       Respondent.key.ilike(pattern)), Respondent.id.not_in(invited))
        .order_by(Respondent.key).limit(SEARCH_LIMIT)))


def choose(meeting: ForumMeeting, respondent_ids: list[int], actor=None) -> int:
    """Invite the enterprises the organisers picked; returns how many were added."""
    if meeting.status not in (MeetingStatus.preparing, MeetingStatus.invited):
        raise InvitationError(_("Invitations can be added only before the meeting is held."))
    if meeting.draw_commitment and meeting.drawn_at is None:
        raise InvitationError(_("The draw's frame is frozen: choose enterprises again after the draw."))
    wanted = set(respondent_ids)
    members = list(db.session.scalars(enterprise_members().where(Respondent.id.in_(wanted))))
    if not members or len(members) != len(wanted):
        raise InvitationError(_("Choose enterprises of the pool from the search results."))
    invited = set(db.session.scalars(select(ForumInvitation.respondent_id)
                                     .where(ForumInvitation.meeting_id == meeting.id)))
    added = [m for m in members if m.id not in invited]
    for member in added:
        db.session.add(ForumInvitation(meeting=meeting, respondent=member, source=InvitationSource.chosen))
    audit.record("forum.invitation.choose", target(meeting), {"keys": sorted(m.key for m in added)}, actor=actor)
    return len(added)


def remove(invitation: ForumInvitation, actor=None) -> None:
    """Take back a chosen invitation that has not been sent (a drawn one stays: the draw is on record)."""
    if invitation.sent_at is not None or invitation.source != InvitationSource.chosen:
        raise InvitationError(_("Only a chosen invitation that has not been sent can be removed."))
    audit.record("forum.invitation.remove", target(invitation.meeting), {"key": invitation.respondent.key},
                 actor=actor)
    db.session.delete(invitation)


# --------------------------------------------------------------------------- personal links

def _digest(token: str) -> str:
    return hashlib.sha256(f"forum:{token}".encode()).hexdigest()


def link_token(invitation: ForumInvitation) -> str:
    """The invitation's personal token (only for a sent invitation)."""
    message = f"forum-link:{invitation.id}:{invitation.sent_at.isoformat()}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:TOKEN_LENGTH]


def link(invitation: ForumInvitation) -> str:
    """The enterprise's personal address."""
    return public_url("forum.open_link", token=link_token(invitation))


def find(token: str) -> ForumInvitation | None:
    """The invitation of a personal token, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(ForumInvitation).where(ForumInvitation.token_hash == _digest(token)))


def unsent(meeting: ForumMeeting) -> list[ForumInvitation]:
    return [i for i in meeting.invitations if i.sent_at is None]


def send(meeting: ForumMeeting, actor=None) -> dict[str, int]:
    """Send every unsent invitation its SMS with its personal link; the meeting is then 已邀请.

    A number that reached SMS_DAILY_CAP_PER_NUMBER today, or a message the gateway refused, stays unsent (to be
    sent again later); returns the counts ``sent``, ``capped``, ``failed``. Commits each link before its message
    goes out, as the rounds' sending does.
    """
    if meeting.status not in (MeetingStatus.preparing, MeetingStatus.invited):
        raise InvitationError(_("Invitations can be sent only before the meeting is held."))
    if meeting.draw_commitment and meeting.drawn_at is None:
        raise InvitationError(_("The draw's frame is frozen: draw before sending."))
    waiting = unsent(meeting)
    if not waiting:
        raise InvitationError(_("Every invitation has been sent already."))
    config, vault = current_app.config, current_vault()
    counts = {"sent": 0, "capped": 0, "failed": 0}
    for invitation in waiting:
        member = invitation.respondent
        if member.erased_on is not None or not member.phone:
            counts["failed"] += 1
            continue
        if not within_daily_cap(member.phone_hash):
            counts["capped"] += 1
            continue
        invitation.sent_at = utcnow().replace(microsecond=0)
        invitation.token_hash = _digest(link_token(invitation))
        # Durable before the gateway is called: a link that went out is never unknown to the server.
        db.session.commit()
        accepted = send_one(vault.open(member.phone), kind="forum_invite",
                            template_code=config["FORUM_SMS_INVITE_TEMPLATE_CODE"],
                            template_text=config["FORUM_SMS_INVITE_TEMPLATE_TEXT"],
                            params={"name": (member.organisation or member.name)[:20],
                                    "date": f"{meeting.held_on.month}月{meeting.held_on.day}日",
                                    "link": link(invitation)},
                            reference=f"forum-{invitation.id}")
        if accepted:
            counts["sent"] += 1
        else:
            invitation.sent_at = invitation.token_hash = None
            counts["failed"] += 1
    if counts["sent"] and meeting.status == MeetingStatus.preparing:
        meeting.status = MeetingStatus.invited
    audit.record("forum.invitation.send", target(meeting), counts, actor=actor)
    return counts


# --------------------------------------------------------------------------- the enterprise's answer

def answer(invitation: ForumInvitation, attending: bool) -> None:
    """RSVP through the personal link; it may change its mind until the meeting is held."""
    if invitation.meeting.status not in (MeetingStatus.preparing, MeetingStatus.invited):
        raise InvitationError(_("The meeting has taken place: the answer can no longer change."))
    invitation.attending, invitation.answered_at = attending, utcnow()
    audit.record("forum.invitation.answer", target(invitation.meeting),
                 {"invitation": invitation.id, "attending": attending})


def record_attendance(meeting: ForumMeeting, attended_ids: list[int], actor=None) -> None:
    """Who came, recorded by the organisers once the meeting is held."""
    if meeting.status not in (MeetingStatus.held, MeetingStatus.reported):
        raise InvitationError(_("Attendance is recorded once the meeting is held."))
    present = set(attended_ids)
    for invitation in meeting.invitations:
        invitation.attended = invitation.id in present
    audit.record("forum.invitation.attendance", target(meeting), {"attended": len(present & {
        i.id for i in meeting.invitations})}, actor=actor)
