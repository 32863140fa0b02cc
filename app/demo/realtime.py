"""Demo data for the real-time channel and the complaints centre: service points (with posters),
a month of ratings with their follow-up, flagged bursts, and complaints in every state. Idempotent."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.accounts.models import User
from app.complaints import service as complaints
from app.casework.models import AssignmentStatus
from app.complaints.models import Complaint
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import add_workdays, local_date, local_today, local_zone
from app.platform.columns import utcnow
from app.realtime import service as realtime
from app.realtime.models import FollowUpStatus, RealtimeRating, ServicePoint

# (department code, point code, name, kind, location, service items)
POINTS = [
    ("XZSP", "XZSP-01", "政务服务大厅 1 号综合窗口", "window", "市民中心一楼", "企业开办\n营业执照变更\n食品经营许可"),
    ("XZSP", "XZSP-02", "政务服务大厅 2 号综合窗口", "window", "市民中心一楼", "建设工程施工许可\n建设项目环评审批"),
    ("ZWFW", "ZWFW-HALL", "市民中心政务服务大厅", "hall", "市民中心", ""),
    ("ZWFW", "ZWFW-12345", "12345 政务服务便民热线", "hotline", "", ""),
    ("SCJG", "SCJG-01", "市场监管窗口", "window", "市民中心二楼 8 号", "登记注册\n知识产权质押"),
    ("RSJ", "RSJ-01", "社保经办窗口", "window", "市民中心二楼 15 号", "社保参保登记\n稳岗补贴申领"),
    ("TAX", "TAX-01", "办税服务厅", "hall", "市民中心三楼", "发票领用\n纳税申报\n税务登记"),
    ("GJJ", "GJJ-01", "公积金提取窗口", "window", "市民中心三楼 21 号", "公积金提取\n公积金贷款"),
    ("BDC", "BDC-01", "不动产登记窗口", "window", "市民中心一楼 5 号", "转移登记\n抵押登记", ),
]

# Every demo complaint opens on the tracking page (/complaints/track) with this query code.
DEMO_QUERY_CODE = "DEMO-2026"
DEADLINE_WORKDAYS = 10
# The closed complaint whose public reply `flask demo` suggests looking up.
TRACKING_EXAMPLE = "招工补贴申请被无故退回"

GOOD_COMMENTS = ["办理很快，工作人员很耐心", "一次就办好了", "", "", "", "指引清楚", "服务热情"]
BAD_COMMENTS = ["排队时间太长，窗口只开了一个", "材料要求前后说法不一，跑了两趟", "工作人员态度生硬，不愿解释",
                "系统故障无法办理，也没有告知何时恢复", "电话一直打不通"]


def seed_points() -> list[ServicePoint]:
    """The demo service points (added if missing; the QR posters are generated from them on demand)."""
    known = {p.code: p for p in db.session.scalars(select(ServicePoint))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    points = []
    for department_code, code, name, kind, location, items in POINTS:
        if code in known:
            points.append(known[code])
        elif department_code in departments:
            points.append(realtime.create_point(departments[department_code], code=code, name=name, kind=kind,
                                                location=location, district="城关区", service_items=items,
                                                require_sms_code=code == "ZWFW-12345"))
    return points


def seed_ratings(points: list[ServicePoint], days: int = 30) -> int:
    """A month of ratings, follow-ups in every state, and one flagged burst with an exclusion."""
    if db.session.scalar(select(func.count()).select_from(RealtimeRating)):
        return 0
    rng = random.Random(20261127)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    now = utcnow()
    made = 0
    for point in points:
        quality = rng.uniform(0.55, 0.9)  # how good this point is
        for day in range(days, 0, -1):
            for _ in range(rng.randint(0, 6)):
                at = now - timedelta(days=day, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
                overall = 5 if rng.random() < quality else rng.choice([4, 4, 3, 3, 2, 1])
                levels = {"overall": overall}
                for name in ("efficiency", "competence", "attitude"):
                    if rng.random() < 0.7:
                        levels[name] = max(1, min(5, overall + rng.choice([0, 0, 0, 1, -1])))
                bad = min(levels.values()) <= 2
                rating = RealtimeRating(
                    service_point=point, department_id=point.department_id, created_at=at,
                    comment=rng.choice(BAD_COMMENTS) if bad else rng.choice(GOOD_COMMENTS),
                    service_item=rng.choice(point.item_list) if point.item_list and rng.random() < 0.6 else "",
                    client_hash=realtime.keyed_hash("client", f"demo-{made}"), **levels)
                db.session.add(rating)
                made += 1
                if bad:
                    task = realtime.open_follow_up(rating)
                    if day > 7 or rng.random() < 0.5:  # most older ones were dealt with, some late
                        late = rng.random() < 0.2
                        task.status = FollowUpStatus.done
                        task.completed_at = at + timedelta(days=9 if late else rng.randint(1, 4))
                        task.action_taken = "已电话回访办事人，说明情况并致歉；对窗口人员进行提醒谈话，优化了叫号安排。"
                        task.contacted, task.rectified = rng.random() < 0.8, rng.random() < 0.85
    # A burst: twelve five-star ratings in ten minutes from one client at one window.
    burst_point = points[0]
    client = realtime.keyed_hash("client", "demo-burst")
    for i in range(12):
        db.session.add(RealtimeRating(service_point=burst_point, department_id=burst_point.department_id,
                                      created_at=now - timedelta(days=2, minutes=10 - i), overall=5,
                                      client_hash=client, flagged=True, flag_reason="client_burst"))
    db.session.flush()
    first = db.session.scalar(select(RealtimeRating).where(RealtimeRating.client_hash == client).limit(1))
    realtime.exclude(first, "同一来源 10 分钟内连续好评，疑似刷分", actor=admin)
    return made + 12


def seed_complaints() -> int:
    """Complaints in every state of the lifecycle, with a repeat complaint and a reopened one."""
    if db.session.scalar(select(func.count()).select_from(Complaint)):
        return 0
    handler = db.session.scalar(select(User).where(User.username == "complaints"))
    scjg_liaison = db.session.scalar(select(User).where(User.username == "liaison"))
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    if not {"SCJG", "ZJJ", "RSJ", "CGJ", "TAX", "XZSP"} <= set(departments):
        return 0
    today = local_today()
    made = []

    demo_code_hash = generate_password_hash(complaints.normalise_code(DEMO_QUERY_CODE))
    numbers: dict[str, int] = {}

    def new(category, codes, subject, description, days_ago, **identity):
        complaint, _code = complaints.submit(category=category, department_ids=[departments[c].id for c in codes],
                                             subject=subject, description=description, district="城关区", **identity)
        complaint.submitted_at = utcnow() - timedelta(days=days_ago)
        for event in complaint.events:
            event.at = complaint.submitted_at
        # Numbered by the day it was filed, and one query code that `flask demo` prints, to try the tracking page.
        prefix = f"TS{local_date(complaint.submitted_at):%Y%m%d}-"
        numbers[prefix] = numbers.get(prefix, 0) + 1
        complaint.tracking_number = f"{prefix}{numbers[prefix]:04d}"
        complaint.query_code_hash = demo_code_hash
        db.session.flush()
        made.append(complaint)
        return complaint

    # submitted (待受理)
    new("enterprise_policy", ["RSJ"], "稳岗补贴迟迟未发放", "今年6月申请的稳岗补贴，承诺两个月内发放，至今未到账，多次电话询问无果。",
        1, name="王经理", organisation="城关区某机械制造有限公司", phone="13800138001")
    # declined (不予受理)
    declined = new("procuratorial", ["SFJ"] if "SFJ" in departments else ["SCJG"], "对法院判决不服",
                   "对民事判决结果不服，要求重新审理。", 6)
    complaints.decline(declined, "该事项属于司法诉讼范围，请依法通过上诉或申请再审途径解决。", actor=handler)
    # accepted (已受理, not yet assigned)
    accepted = new("discipline", ["CGJ"], "执法人员吃拿卡要", "城管执法人员在检查门头招牌时暗示需要请客，否则从严处罚。", 2)
    complaints.accept(accepted, "属于纪检监察监督范围", actor=handler)
    # assigned and overdue (统一督办)
    overdue = new("enforcement", ["ZJJ"], "施工许可审批超时", "施工许可申请材料齐全，已超过承诺时限十个工作日仍未办结。", 20,
                  phone="13800138002")
    complaints.accept(overdue, actor=handler)
    (assignment,) = complaints.assign(overdue, [departments["ZJJ"]], today, "请核实审批超时原因并限期办结", actor=handler)
    assignment.due_on = today - timedelta(days=3)
    complaints.remind(assignment, "已逾期，请于两个工作日内答复", actor=handler)
    # assigned to two departments, one replied (办理中)
    both = new("enterprise_policy", ["TAX", "XZSP"], "留抵退税与登记变更相互推诿", "办理留抵退税需要先变更登记，两个部门互相要求对方先出证明。", 5,
               name="赵女士", contact="微信 zhao-demo")
    complaints.accept(both, actor=handler)
    a_tax, a_xzsp = complaints.assign(both, [departments["TAX"], departments["XZSP"]], today + timedelta(days=9),
                                      "请两部门会商，明确办理顺序", actor=handler)
    complaints.reply(a_tax, "已与行政审批局会商，退税可凭受理回执先行办理。")
    # replied, awaiting closure
    replied = new("enforcement", ["SCJG"], "重复检查影响经营", "一个月内被不同科室检查四次，内容基本相同。", 12)
    complaints.accept(replied, actor=handler)
    (a,) = complaints.assign(replied, [departments["SCJG"]], today + timedelta(days=3), actor=handler)
    complaints.reply(a, "经核查，确有多头检查，已纳入“双随机、一公开”统一计划，今后合并检查。", actor=scjg_liaison)
    # closed and substantiated (deduction), with a repeat complaint from the same phone
    closed = new("enterprise_policy", ["RSJ"], "招工补贴申请被无故退回", "材料齐全但被以格式不符为由退回三次。", 25,
                 phone="13800138003")
    complaints.accept(closed, actor=handler)
    (a,) = complaints.assign(closed, [departments["RSJ"]], today + timedelta(days=1), actor=handler)
    complaints.reply(a, "经核查情况属实，已当日受理并发放补贴，对经办人员批评教育。")
    complaints.close(closed, outcome="solved", satisfaction="satisfied", public_reply="经核查，反映问题属实，补贴已发放，相关人员已批评教育。",
                     substantiated_department_ids=[departments["RSJ"].id], actor=handler)
    new("enterprise_policy", ["RSJ"], "又被退回", "另一项补贴申请再次以格式为由退回。", 3, phone="13800138003")
    # closed unsatisfied, reopened and assigned again
    reopened = new("enforcement", ["CGJ"], "店外经营处罚过重", "首次违规即顶格处罚，未责令改正。", 18)
    complaints.accept(reopened, actor=handler)
    (a,) = complaints.assign(reopened, [departments["CGJ"]], today + timedelta(days=1), actor=handler)
    complaints.reply(a, "处罚依据充分，程序合法。")
    complaints.close(reopened, outcome="explained", satisfaction="unsatisfied", public_reply="处罚依据充分，程序合法。",
                     substantiated_department_ids=[], actor=handler)
    complaints.reopen(reopened, "投诉人对答复不满意：未说明为何不适用首违不罚", actor=handler)
    complaints.assign(reopened, [departments["CGJ"]], today + timedelta(days=5),
                      "请对照首违不罚清单重新核查", actor=handler)
    # assigned to the wrong department, moved to the right one (a withdrawn assignment)
    moved = new("enterprise_policy", ["GXJ"] if "GXJ" in departments else ["SCJG"], "技改补助资金拨付缓慢",
                "企业技术改造补助已公示两个月，资金仍未拨付。", 8, name="孙先生", phone="13800138004")
    complaints.accept(moved, actor=handler)
    (a,) = complaints.assign(moved, [departments["XZSP"]], today + timedelta(days=6), "请核实拨付进度", actor=handler)
    complaints.reassign(a, departments.get("GXJ", departments["SCJG"]), "补助资金由工信局拨付，改派工信局", actor=handler)
    # closed, basically satisfied, not substantiated
    basic = new("enforcement", ["SCJG"], "食品经营许可现场核查时间过长", "现场核查预约后等待两周，影响开业。", 16)
    complaints.accept(basic, actor=handler)
    (a,) = complaints.assign(basic, [departments["SCJG"]], today, actor=handler)
    complaints.reply(a, "经核查，核查排期在承诺时限内；已增派人员，核查等待时间缩短至五个工作日。", actor=scjg_liaison)
    complaints.close(basic, outcome="solved", satisfaction="basically", public_reply="核查在承诺时限内完成；我局已增派人员，缩短等待时间。",
                     substantiated_department_ids=[], actor=handler)
    for complaint in made:
        _spread_over_time(complaint)
    return len(made)


def _office_hours(moment: datetime) -> datetime:
    """The same day, moved into 9:00–17:00 local time: handlers work office hours."""
    local = moment.astimezone(local_zone())
    if 9 <= local.hour < 17:
        return moment
    return local.replace(hour=9 + local.hour % 8).astimezone(timezone.utc)


def _spread_over_time(complaint: Complaint) -> None:
    """Date a demo complaint's steps between its filing and now, as if handled over the days since."""
    events = sorted(complaint.events, key=lambda e: e.id)
    start = complaint.submitted_at
    span = (utcnow() - timedelta(hours=2) - start) * 0.9
    for i, event in enumerate(events):
        event.at = _office_hours(start + span * (i / max(1, len(events) - 1))) if i else start
    first = {}
    for event in events:
        first.setdefault(event.kind, event.at)
    complaint.accepted_at = first.get("accepted") if complaint.accepted_at else None
    complaint.declined_at = first.get("declined") if complaint.declined_at else None
    if complaint.closed_at:
        complaint.closed_at = [e.at for e in events if e.kind == "closed"][-1]
    assignments = sorted(complaint.assignments, key=lambda a: a.id)
    for assignment, event in zip(assignments, [e for e in events if e.kind == "assigned"]):
        assignment.assigned_at = event.at
        if assignment.status != AssignmentStatus.pending:  # handled ones had the usual deadline
            assignment.due_on = add_workdays(local_date(event.at), DEADLINE_WORKDAYS)
    for department_id in {a.department_id for a in assignments}:
        replied = [a for a in assignments if a.department_id == department_id and a.replied_at]
        times = [e.at for e in events if e.kind == "replied" and e.department_id == department_id]
        for assignment, at in zip(replied, times):
            assignment.replied_at = at


def seed_realtime_and_complaints() -> None:
    """Everything above, in one transaction."""
    points = seed_points()
    db.session.flush()
    if points:
        seed_ratings(points)
    db.session.commit()
    seed_complaints()
    db.session.commit()
