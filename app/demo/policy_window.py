"""The demo's policy window, part 2: the window staff posted at the city's window and at 临江县's."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.policy.models import PolicyWindow
from app.policy_window.models import WindowPost

# Demo account → the district of its window ("" is the city's).
POSTS = {"window-city": "", "window-lj": "临江县"}


def seed_window_staff() -> None:
    """Post each demo window account at its window, once."""
    for username, district in POSTS.items():
        user = db.session.scalar(select(User).where(User.username == username))
        window = db.session.scalar(select(PolicyWindow).where(PolicyWindow.district == district))
        if user is not None and window is not None and db.session.get(WindowPost, user.id) is None:
            db.session.add(WindowPost(user_id=user.id, window_id=window.id))
