"""The forum's meetings: planning one (the chair alternates by default), editing it, and its steps
筹备 → 已邀请 (when the invitations go out, ``invitations.send``) → 已召开 (``mark_held``) → 报告已发布.

Every change is audited as ``forum.meeting.*``.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.extensions import db
from app.forum.models import Chair, ForumMeeting, MeetingStatus


class MeetingError(ValueError):
    """A user-facing reason why a meeting step is refused."""


def target(meeting: ForumMeeting) -> str:
    return f"forum_meeting:{meeting.id}"


def default_chair(held_on: date | None = None) -> Chair:
    """The party secretary and the mayor take turns: the other one than at the latest earlier meeting."""
    query = select(ForumMeeting.chair).order_by(ForumMeeting.held_on.desc(), ForumMeeting.id.desc()).limit(1)
    if held_on is not None:
        query = query.where(ForumMeeting.held_on <= held_on)
    previous = db.session.scalar(query)
    return Chair.mayor if previous == Chair.secretary else Chair.secretary


def _check(venue: str, theme: str, draw_size: int, exclude_last: int) -> tuple[str, str]:
    venue, theme = (venue or "").strip(), (theme or "").strip()
    if not venue or not theme:
        raise MeetingError(_("Give the venue and the theme."))
    if draw_size < 0 or exclude_last < 0:
        raise MeetingError(_("The number to draw and the meetings to leave out cannot be negative."))
    return venue[:200], theme[:200]


def create(*, held_on: date, venue: str, theme: str, chair: Chair | str | None = None, draw_size: int = 0,
           exclude_last: int = 2, actor=None) -> ForumMeeting:
    """Plan a meeting (筹备); the chair is the other one than last time unless chosen."""
    venue, theme = _check(venue, theme, draw_size, exclude_last)
    meeting = ForumMeeting(held_on=held_on, venue=venue, theme=theme,
                           chair=Chair(chair) if chair else default_chair(held_on), draw_size=draw_size,
                           exclude_last=exclude_last, status=MeetingStatus.preparing,
                           created_by_id=actor.id if actor is not None else None)
    db.session.add(meeting)
    db.session.flush()
    audit.record("forum.meeting.create", target(meeting), {"held_on": held_on.isoformat(),
                                                           "chair": meeting.chair.value}, actor=actor)
    return meeting


def update(meeting: ForumMeeting, *, held_on: date, venue: str, theme: str, chair: Chair | str, draw_size: int,
           exclude_last: int, actor=None) -> None:
    """Change the date, venue, chair or theme until the report is out; the draw's plan only until it is frozen."""
    if meeting.status == MeetingStatus.reported:
        raise MeetingError(_("The report is published: the meeting can no longer change."))
    venue, theme = _check(venue, theme, draw_size, exclude_last)
    if meeting.draw_commitment and (draw_size, exclude_last) != (meeting.draw_size, meeting.exclude_last):
        raise MeetingError(_("The draw's frame is frozen: the number to draw and the meetings to leave out can no "
                             "longer change."))
    changes = {name: str(value.value if hasattr(value, "value") else value)
               for name, value in (("held_on", held_on), ("chair", Chair(chair)), ("draw_size", draw_size),
                                   ("exclude_last", exclude_last))
               if getattr(meeting, name) != value}
    meeting.held_on, meeting.venue, meeting.theme, meeting.chair = held_on, venue, theme, Chair(chair)
    meeting.draw_size, meeting.exclude_last = draw_size, exclude_last
    audit.record("forum.meeting.update", target(meeting), {"changes": changes}, actor=actor)


def mark_held(meeting: ForumMeeting, actor=None) -> None:
    """已召开: the meeting took place (cannot be undone); problems raised there can be recorded."""
    if meeting.status != MeetingStatus.invited:
        raise MeetingError(_("Only a meeting whose invitations have gone out can be marked as held."))
    meeting.status = MeetingStatus.held
    audit.record("forum.meeting.held", target(meeting), {}, actor=actor)


def meetings_query():
    """Every meeting, the latest first."""
    return select(ForumMeeting).order_by(ForumMeeting.held_on.desc(), ForumMeeting.id.desc())
