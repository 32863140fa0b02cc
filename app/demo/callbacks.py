"""The demo's call-back check (回访抽查): the cases closed in the last three months, drawn per department,
called back by SMS (the console outbox), most raisers answering — one department's claim of "solved" holding
up worse than the others' — and the check closed, so that its report has something to show."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.callbacks import calls, draw
from app.callbacks.models import CallbackCall, CallbackCheck
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.roles import Role

SEED = "演示回访 2026"


def seed_callback_check() -> CallbackCheck | None:
    """One closed check over the last three months' closed cases; None when it exists or nothing can be called."""
    if db.session.scalar(select(CallbackCheck.id).limit(1)) is not None:
        return None
    handler = db.session.scalar(select(User).where(User.role == Role.complaints).order_by(User.id).limit(1))
    today = local_today()
    try:
        check = draw.create(today - timedelta(days=92), today, minimum=1, maximum=6, user=handler)
    except draw.CallbackError:
        return None
    draw.set_seed(check, handler, SEED)
    draw.draw(check, handler)
    db.session.commit()
    calls.send(check.id, handler.id if handler else None)
    rng = random.Random(SEED)
    for call in db.session.scalars(select(CallbackCall).where(CallbackCall.check_id == check.id)
                                   .order_by(CallbackCall.id)).all():
        if rng.random() < 0.2:  # some never answer
            continue
        # What departments called solved mostly is; now and then a raiser says otherwise.
        held_up = call.claimed_solved and rng.random() < 0.8
        calls.answer(call, "yes" if held_up else rng.choice(["partly", "no"]),
                     "satisfied" if held_up else rng.choice(["basically", "not_satisfied"]),
                     0 if held_up else rng.choice([1, 2, 3]))
    calls.close(check, handler)
    return check
