"""The demo city's real-time channel and complaints: points with posters, a month of ratings, every state."""
from sqlalchemy import func, select

from app.casework.models import CaseStatus
from app.complaints.models import Complaint
from app.demo import seed_accounts, seed_departments
from app.demo.realtime import seed_realtime_and_complaints
from app.extensions import db
from app.realtime.models import FollowUpStatus, FollowUpTask, RealtimeRating, ServicePoint


def counts():
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (ServicePoint, RealtimeRating, FollowUpTask, Complaint)]


def test_the_demo_seeds_every_state_once(app, client):
    seed_departments()
    seed_accounts()
    db.session.commit()
    seed_realtime_and_complaints()
    first = counts()
    assert first[0] >= 5 and first[1] > 300 and first[2] > 0
    # (a complaint is closed by the handler after a call: only forum problems wait for the raiser's own link)
    assert set(db.session.scalars(select(Complaint.status))) == set(CaseStatus) - {CaseStatus.confirming}
    assert db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.reopen_count > 0))
    assert db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.repeat_of_id.is_not(None)))
    assert {t.status for t in db.session.scalars(select(FollowUpTask))} == set(FollowUpStatus)
    assert db.session.scalar(select(func.count()).select_from(RealtimeRating).where(RealtimeRating.excluded))
    point = db.session.scalar(select(ServicePoint))
    assert client.get(f"/r/{point.slug}").status_code == 200
    seed_realtime_and_complaints()
    assert counts() == first
