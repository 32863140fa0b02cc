"""A world for the department's decision, the window's review and payment: two windows (the city's and 临江县's)
with their staff, the lead department with its liaison and another department's, a published rate item (1% of
revenue, at most 50 万元, budget 40 万元) with two rules and a review condition, and enterprises declaring revenue.

Applications are opened through ``cases.open_case`` and referred as the window's intake does (accept, assign the
item's department as lead, stage ``handling``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.casework import service as casework
from app.extensions import db
from app.platform.calendar import local_today
from app.policy.models import PolicyWindow
from app.policy_window import cases
from app.policy_window.models import Origin, PolicyCase, Stage, WindowPost
from app.sms.models import SmsOutbox
from tests.integration.test_policy_match import make_item, profile

REVIEWS = [{"label": "近三年无重大安全事故", "legal_ref": "第五条"}]


@dataclass
class World:
    kj: object
    zjj: object
    cz: object
    liaison: object
    other_liaison: object
    city: PolicyWindow
    county: PolicyWindow
    city_staff: object
    county_staff: object
    officer: object
    item: object
    version: object
    profiles: list = field(default_factory=list)

    def open(self, revenue: float = 3000, window: PolicyWindow | None = None, version=None, n: int = 0,
             refer: bool = True) -> PolicyCase:
        case = cases.open_case(version or self.version, self.profiles[n], window or self.city, Origin.window,
                               actor=self.city_staff, declared={"revenue": revenue})
        if refer:
            self.refer(case)
        db.session.commit()
        return case

    def refer(self, case: PolicyCase) -> None:
        casework.accept(case, actor=self.city_staff)
        department = case.version.department
        casework.assign(case, [department], local_today() + timedelta(days=20), lead_id=department.id,
                        actor=self.city_staff)
        cases.move(case, Stage.handling, "referred", actor=self.city_staff)


def build(app, make_department, make_user) -> World:
    kj, zjj, cz = make_department("KJ", "市科技局"), make_department("ZJJ", "市住建局"), make_department("CZ", "市财政局")
    liaison = make_user("liaison", username="liaison-kj", department=kj)
    other = make_user("liaison", username="liaison-zjj", department=zjj)
    city = PolicyWindow(name="市政务服务中心惠企政策兑现专窗", address="市民中心一楼", sort_order=1)
    county = PolicyWindow(name="临江县政务服务中心惠企专窗", district="临江县", address="临江路1号", sort_order=2)
    db.session.add_all([city, county])
    db.session.flush()
    city_staff, county_staff = make_user("window", username="window-city"), make_user("window", username="window-lj")
    db.session.add_all([WindowPost(user_id=city_staff.id, window_id=city.id),
                        WindowPost(user_id=county_staff.id, window_id=county.id)])
    officer = make_user("policy", username="policy-officer")
    item = make_item(kj, "ZC-2026-030-01", "研发投入奖补", reviews=REVIEWS, budget=Decimal("40"))
    profiles = [profile("91000000000000001A", "甲科技有限公司", "高新区", 2500, phone="13800000001"),
                profile("91000000000000002B", "乙科技有限公司", "临江县", 2600, phone="13800000002")]
    db.session.commit()
    return World(kj, zjj, cz, liaison, other, city, county, city_staff, county_staff, officer, item, item.current,
                 profiles)


@pytest.fixture
def world(app, make_department, make_user):
    w = build(app, make_department, make_user)
    with app.test_request_context():  # the SMS carry the tracking page's address
        yield w


def outbox_texts() -> list[str]:
    return [m.text for m in db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id))]


def actions_on(case: PolicyCase) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target == f"policy:{case.tracking_number}")
                                   .order_by(AuditEntry.id)))
