"""The demo city: realistic data for every part of the platform, seeded idempotently by `flask demo`."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.service import check_password_policy, create_user
from app.departments import service as department_service
from app.departments.models import Department, DepartmentKind
from app.extensions import db
from app.platform.roles import Role

# (code, name, kind). Names follow the usual pattern of a prefecture-level city's government.
DEPARTMENTS = [
    ("FGW", "市发展和改革委员会", "service"),
    ("JYJ", "市教育局", "service"),
    ("KJJ", "市科学技术局", "service"),
    ("GXJ", "市工业和信息化局", "service"),
    ("GAJ", "市公安局", "service"),
    ("MZJ", "市民政局", "service"),
    ("SFJ", "市司法局", "service"),
    ("CZJ", "市财政局", "service"),
    ("RSJ", "市人力资源和社会保障局", "service"),
    ("ZRZY", "市自然资源和规划局", "service"),
    ("SHJ", "市生态环境局", "service"),
    ("ZJJ", "市住房和城乡建设局", "service"),
    ("JTJ", "市交通运输局", "service"),
    ("SLJ", "市水利局", "service"),
    ("NYJ", "市农业农村局", "service"),
    ("SWJ", "市商务局", "service"),
    ("WGLJ", "市文化广电旅游局", "service"),
    ("WJW", "市卫生健康委员会", "service"),
    ("YJJ", "市应急管理局", "service"),
    ("SCJG", "市市场监督管理局", "service"),
    ("YBJ", "市医疗保障局", "service"),
    ("XZSP", "市行政审批服务局", "service"),
    ("ZWFW", "市政务服务和大数据管理局", "service"),
    ("CGJ", "市城市管理综合执法局", "service"),
    ("TAX", "国家税务总局市税务局", "service"),
    ("GJJ", "市住房公积金管理中心", "service"),
    ("BDC", "市不动产登记中心", "key_unit"),
    ("GGZY", "市公共资源交易中心", "key_unit"),
    ("GDGS", "国网市供电公司", "key_unit"),
    ("GSJT", "市供水集团有限公司", "key_unit"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    department_code: str | None = None
    tries: str = ""  # what to try with this account, printed by `flask demo`


# Demo passwords meet the password policy (never the username; the strength estimator scores them 4): the role,
# or the liaison's department, in pinyin, the year and "demo".
ACCOUNTS = [
    DemoAccount("admin", Role.admin, "Guanli-2026-demo",
                tries="everything below; 实时评价 → 评价与异常审核 (a flagged burst), add service points"),
    DemoAccount("designer", Role.designer, "Sheji-2026-demo",
                tries="问卷管理: new draft, conditions, preview on a phone frame, publish, diff, XLSForm export"),
    DemoAccount("operator", Role.operator, "Yunying-2026-demo",
                tries="月度评价: the open round (progress, 提醒, 延期, 结束本轮评价), 短信发件箱; 主体样本库: import"),
    DemoAccount("hr", Role.hr, "Kaohe-2026-demo",
                tries="考核结果: six published rounds with trends, XLSX export, corrections; "
                      "score the open round once closed"),
    DemoAccount("liaison", Role.liaison, "Lianluo-2026-demo", "SCJG",
                tries="own results only (k=5); 差评整改 follow-ups of its service window; 待办: an application for "
                      "新设小微企业开办补助 overdue at 市场监管局 — decide it"),
    DemoAccount("liaison-zjj", Role.liaison, "Zhujian-2026-demo", "ZJJ",
                tries="an overdue complaint assigned to 住建局: reply with evidence"),
    DemoAccount("forum", Role.forum, "Kentan-2026-demo",
                tries="企业家恳谈会: four meetings (draw, invitations, problems in every state); assign, close, "
                      "sign off; the meeting report (print, XLSX, publish the third) and the next agenda"),
    DemoAccount("complaints", Role.complaints, "Tousu-2026-demo",
                tries="投诉举报: complaints in every state; accept, assign, remind, close, reopen; 统一督办"),
    DemoAccount("policy", Role.policy, "Zhengce-2026-demo",
                tries="政策兑现: 12 policies, 30 items (a draft, two edited after publication, one expired, one "
                      "repealed); 1,000 enterprise profiles, some with missing or stale figures; two overdue "
                      "investment promises; every window's applications (高新区's too) and statistics; the closed "
                      "兑现回访 check (回访抽查) with its follow-up list"),
    DemoAccount("window-city", Role.window, "Chuangkou-2026-demo",
                tries="政策兑现专窗 (the city's window): consultations and applications of its own window, one in "
                      "every stage — 补正 with its one list, a decision to review, one to pay, a part payment, "
                      "receipts to confirm by phone; the 免申即享 batch with every consent answer; a budget "
                      "nearly used (小巨人奖励)"),
    DemoAccount("window-lj", Role.window, "Linjiang-2026-demo",
                tries="the 临江县 county window: sees its own window's applications only — one overdue at "
                      "市场监管局, one in 补正, one at intake, paid and received ones, a rejection"),
    DemoAccount("auditor", Role.auditor, "Jijian-2026-demo",
                tries="月度评价 → 抽样: evidence zip for tools/verify_draw.py; complaint analysis (read-only)"),
]


def seed_departments() -> int:
    """Add the demo departments that are missing; return how many were added."""
    known = set(db.session.scalars(select(Department.code)))
    added = 0
    for order, (code, name, kind) in enumerate(DEPARTMENTS, start=1):
        if code not in known:
            department_service.create(code, name, DepartmentKind(kind).value, sort_order=order * 10)
            added += 1
    return added


def seed_accounts() -> list[DemoAccount]:
    """Create one account per role; existing demo accounts get their demo password back.

    The printed passwords must work as printed: no demo account is sent to change its password first.
    """
    for account in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == account.username))
        if user is None:
            department = None
            if account.department_code:
                department = db.session.scalar(select(Department).where(Department.code == account.department_code))
            create_user(account.username, account.password, account.role, department=department,
                        must_change_password=False)
        elif not user.check_password(account.password):
            check_password_policy(account.password, user.username, user.display_name)
            user.set_password(account.password)
            user.must_change_password = False
    return ACCOUNTS


def seed_demo(base_url: str = "http://127.0.0.1:5000") -> list[DemoAccount]:
    """Seed the whole demo city in one transaction; running it again changes nothing."""
    from app.demo.pool import seed_pool
    from app.demo.realtime import seed_realtime_and_complaints
    from app.demo.rounds import seed_open_round

    seed_departments()
    accounts = seed_accounts()
    seed_pool()
    db.session.commit()
    seed_open_round(base_url)
    seed_realtime_and_complaints()
    from app.demo.assessment import seed_past_rounds
    seed_past_rounds()
    db.session.commit()
    from app.demo.forum import seed_forum
    seed_forum(base_url)
    db.session.commit()
    from app.demo.callbacks import seed_callback_check
    seed_callback_check()
    db.session.commit()
    from app.demo.policy import seed_policy, seed_pushes
    seed_pushes(seed_policy())
    db.session.commit()
    from app.demo.policy_window import seed_window_cases, seed_window_staff
    seed_window_staff()
    db.session.commit()
    seed_window_cases(base_url)
    db.session.commit()
    return accounts


@dataclass(frozen=True)
class DemoPointers:
    """Where to look in the seeded demo: what `flask demo` prints after the accounts."""

    open_round_id: int | None
    open_round_month: str | None
    respondent_link: str | None
    rating_path: str | None
    tracking_number: str | None
    query_code: str
    published_months: list[str]
    forum_link: str | None = None  # the personal link of an upcoming meeting's invitation not answered yet
    policy_item: str | None = None  # the code of a published item to match and push


def pointers(base_url: str = "http://127.0.0.1:5000") -> DemoPointers:
    from app.complaints.models import Complaint
    from app.demo.forum import upcoming_link
    from app.demo.policy import example_item
    from app.demo.realtime import DEMO_QUERY_CODE, TRACKING_EXAMPLE
    from app.demo.rounds import open_round, sample_link
    from app.realtime.models import ServicePoint
    from app.rounds.models import Campaign, CampaignStatus

    campaign = open_round()
    point = db.session.scalar(select(ServicePoint).order_by(ServicePoint.id).limit(1))
    months = list(db.session.scalars(select(Campaign.month).where(Campaign.status == CampaignStatus.published)
                                     .order_by(Campaign.month)))
    return DemoPointers(
        open_round_id=campaign.id if campaign else None, open_round_month=campaign.month if campaign else None,
        respondent_link=sample_link(), rating_path=f"/r/{point.slug}" if point else None,
        tracking_number=db.session.scalar(select(Complaint.tracking_number).where(
            Complaint.subject == TRACKING_EXAMPLE)),
        query_code=DEMO_QUERY_CODE, published_months=months, forum_link=upcoming_link(base_url),
        policy_item=example_item())
