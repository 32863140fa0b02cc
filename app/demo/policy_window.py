"""The demo's policy window, part 2: window staff at their windows and applications in every state.

The city's window (``window-city``), 临江县's (``window-lj``) and 高新区's (its cases opened by the policy officer)
hold applications at every stage of the chain — draft, intake, 补正 with its one list, with the department (one
overdue at 市市场监督管理局, in the ``liaison`` account's inbox), under the window's review, approved, partly and
fully paid, delivered (confirmed by link and by phone), rejected (naming the failed condition and its article),
withdrawn — consultations (one turned into an application), one 免申即享 batch with every consent answer, payments
that take one item near its budget, and a closed delivery check (兑现回访) over the paid applications.

Everything goes through the window's services; only the dates are set back afterwards (``_settle``), so that the
applications spread over the last two months. Seeded once: a second run finds applications and changes nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import or_, select

from app.accounts.models import User
from app.callbacks import calls, draw
from app.callbacks.models import CallbackCall, CallbackCheck, Purpose
from app.casework.deadlines import due_date
from app.casework.models import CaseAssignment, CaseEvent, Satisfaction
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.phones import current_vault
from app.policy.explain import rule_set
from app.policy.models import ItemStatus, PolicyItem, PolicyItemVersion, PolicyWindow
from app.policy_window import automatic, cases, consultations, decisions, intake, online, payments
from app.policy_window.models import Channel, Consent, Decision, Origin, PolicyCase, Receipt, WindowPost
from app.profiles.facts import facts_of
from app.pool.models import Respondent
from app.profiles.models import EnterpriseProfile
from eligibility.evaluation import Result

# Demo account → the district of its window ("" is the city's).
POSTS = {"window-city": "", "window-lj": "临江县"}
OFFICER = "policy"
SEED = "演示兑现回访 2026"

# The items of the demo's applications (by the name of their current version).
GIANT = "专精特新“小巨人”企业一次性奖励"  # GXJ, fixed 50, budget 1,000: paid often enough to near its budget
RD = "企业研发投入后补助"  # KJJ, 1% of revenue up to 50: partly approved, partly paid
SPECIALISED = "省级专精特新中小企业认定"  # GXJ, a qualification: delivered, not paid
START_UP = "新设小微企业开办补助"  # SCJG, 临江县, fixed 1, 3 working days: one overdue at the department
SOFTWARE = "软件企业营收奖励"  # GXJ, 高新区, 1% of revenue up to 30
AUTOMATIC = "首次纳入规模以上工业统计奖励"  # GXJ, 免申即享, fixed 10
GIANT_PAID = 17  # × 50 of a budget of 1,000


def seed_window_staff() -> None:
    """Post each demo window account at its window, once."""
    for username, district in POSTS.items():
        user = db.session.scalar(select(User).where(User.username == username))
        window = db.session.scalar(select(PolicyWindow).where(PolicyWindow.district == district))
        if user is not None and window is not None and db.session.get(WindowPost, user.id) is None:
            db.session.add(WindowPost(user_id=user.id, window_id=window.id))


# --------------------------------------------------------------------------- helpers

@dataclass
class Desk:
    """What a scenario works with: the windows, the staff, the items' current versions, the profiles used."""

    windows: dict[str, PolicyWindow]
    staff: dict[str, User]
    officer: User
    started: datetime
    used: set[int]

    def user(self, district: str) -> User:
        return self.staff.get(district) or self.officer


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _version(name: str) -> PolicyItemVersion | None:
    return db.session.scalar(
        select(PolicyItemVersion).join(PolicyItem, PolicyItem.current_version_id == PolicyItemVersion.id)
        .where(PolicyItem.status == ItemStatus.published, PolicyItemVersion.name == name))


def _profiles(desk: Desk, version: PolicyItemVersion, district: str | None, wanted: Result | None, n: int,
              rng: random.Random) -> list[EnterpriseProfile]:
    """``n`` profiles with a contact phone not used yet, of the district (None: outside the county windows'),
    whose result for ``version`` is ``wanted`` (eligible first, then any, when ``wanted`` is None)."""
    query = select(EnterpriseProfile).where(or_(EnterpriseProfile.contact_phone != "",
                                                EnterpriseProfile.respondent_id.is_not(None)))
    if district is None:
        query = query.where(EnterpriseProfile.district.not_in(("临江县", "高新区")))
    else:
        query = query.where(EnterpriseProfile.district == district)
    found = [p for p in db.session.scalars(query.order_by(EnterpriseProfile.id)) if p.id not in desk.used]
    rules, today = rule_set(version), local_today()
    results = {p.id: rules.match(facts_of(p, today)).result for p in found}
    if wanted is not None:
        chosen = [p for p in found if results[p.id] == wanted]
    else:
        chosen = [p for p in found if results[p.id] == Result.eligible] + \
                 [p for p in found if results[p.id] != Result.eligible]
    if wanted is not None:
        rng.shuffle(chosen)
    chosen = chosen[:n]
    desk.used.update(p.id for p in chosen)
    return chosen


def _moment(days_ago: float) -> datetime:
    return utcnow().replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


CASE_TIMES = ("submitted_at", "accepted_at", "declined_at", "closed_at", "decided_at", "reviewed_at", "consent_at",
              "paid_at", "receipt_at")


def _settle(desk: Desk, case: PolicyCase, days_ago: float) -> None:
    """Date what the services just did on ``case`` (everything stamped since the seed began) ``days_ago``: its
    times, its new assignments (and their deadlines, in the item's promised working days), its history and its
    payments."""
    db.session.flush()
    when = _moment(days_ago)
    fresh = desk.started
    for name in CASE_TIMES:
        value = getattr(case, name, None)
        if value is not None and value >= fresh:
            setattr(case, name, when)
    for assignment in db.session.scalars(select(CaseAssignment).where(CaseAssignment.case_id == case.id)):
        if assignment.assigned_at >= fresh:
            assignment.assigned_at = when
            assignment.due_on = due_date(when, case.version.promised_days)
        for name in ("acknowledged_at", "replied_at"):
            value = getattr(assignment, name)
            if value is not None and value >= fresh:
                setattr(assignment, name, when)
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.at >= fresh)):
        event.at = when
    for payment in case.payments:
        if payment.recorded_at >= fresh:
            payment.recorded_at, payment.paid_on = when, when.date()
    db.session.flush()


def _phone(profile: EnterpriseProfile) -> str | None:
    """The number the application's messages go to: the profile's contact, else its pool member's (the window
    writes down the number the enterprise gives)."""
    if profile.contact_phone or profile.respondent_id is None:
        return None
    member = db.session.get(Respondent, profile.respondent_id)
    return current_vault().open(member.phone) if member is not None and member.phone else None


def _open(desk: Desk, district: str, version: PolicyItemVersion, profile: EnterpriseProfile, days_ago: float,
          declared: dict | None = None) -> PolicyCase:
    """An application opened at the window, as ``intake.start_at_window`` does (one visit), with the number the
    enterprise gives for its messages."""
    case = cases.open_case(version, profile, desk.windows[district], Origin.window, actor=desk.user(district),
                           declared=declared, phone_e164=_phone(profile))
    case.visits = 1
    _settle(desk, case, days_ago)
    return case


def _receive_all(desk: Desk, case: PolicyCase, district: str, but: int = 0) -> None:
    names = [m["name"] for m in case.materials]
    if but:
        names = names[:-but]
    if names:
        intake.receive(case, names, None, desk.user(district))


def _refer(desk: Desk, case: PolicyCase, district: str, days_ago: float) -> None:
    _receive_all(desk, case, district)
    intake.accept(case, desk.user(district))
    _settle(desk, case, days_ago)


def _liaison_of(case: PolicyCase) -> User | None:
    return db.session.scalar(select(User).where(User.department_id == case.version.department_id)
                             .order_by(User.id).limit(1))


def _decide(desk: Desk, case: PolicyCase, decision: Decision, days_ago: float, **kwargs) -> None:
    decisions.decide(decisions.lead_of(case), decision, actor=_liaison_of(case), **kwargs)
    _settle(desk, case, days_ago)


def _review(desk: Desk, case: PolicyCase, district: str, days_ago: float) -> None:
    decisions.review(case, desk.user(district), True)
    _settle(desk, case, days_ago)


def _pay(desk: Desk, case: PolicyCase, district: str, amount, days_ago: float, voucher: str) -> None:
    payments.record_payment(case, amount, local_today(), voucher, case.version.department, desk.user(district))
    _settle(desk, case, days_ago)


def _approve_and_pay(desk: Desk, case: PolicyCase, district: str, start: float, amount, voucher: str,
                     receipt: Receipt | None, satisfaction: Satisfaction = Satisfaction.satisfied) -> None:
    """From the window to the money: referred, decided, reviewed, paid in full, and confirmed if ``receipt``."""
    _refer(desk, case, district, start)
    _decide(desk, case, Decision.approved, start - 6, amount=amount)
    _review(desk, case, district, start - 7)
    _pay(desk, case, district, amount, start - 10, voucher)
    _confirm(desk, case, district, receipt, start - 12, satisfaction)


def _confirm(desk: Desk, case: PolicyCase, district: str, receipt: Receipt | None, days_ago: float,
             satisfaction: Satisfaction = Satisfaction.satisfied) -> None:
    if receipt == Receipt.link:  # the enterprise, from its tracking page
        online.confirm_receipt(case, satisfaction, comment="资金已到账，谢谢。")
    elif receipt == Receipt.phone:
        payments.confirm_receipt_by_phone(case, desk.user(district), satisfaction, note="电话回访，企业确认已到账。")
    else:
        return
    _settle(desk, case, days_ago)


def _voucher(n: int) -> str:
    return f"财拨〔2026〕{n:04d}号"


# --------------------------------------------------------------------------- the scenarios

def _city(desk: Desk, rng: random.Random) -> None:
    city = ""
    giant, rd, specialised = _version(GIANT), _version(RD), _version(SPECIALISED)
    actor = desk.user(city)
    # 小巨人: many paid (the budget nears its end), and one of every stage before.
    paid = _profiles(desk, giant, None, None, GIANT_PAID + 7, rng)
    for n, profile in enumerate(paid[:GIANT_PAID]):
        start = 58 - n * 2.5
        case = _open(desk, city, giant, profile, start)
        receipt = (Receipt.link, Receipt.phone, None)[n % 3]
        _approve_and_pay(desk, case, city, start, Decimal("50"), _voucher(100 + n), receipt,
                         (Satisfaction.satisfied, Satisfaction.basically)[n % 2])
    rest = iter(paid[GIANT_PAID:])
    draft = online.start(giant, next(rest))  # the enterprise's own draft, from its link
    _settle(desk, draft, 1)
    handed_in = online.start(rd, _profiles(desk, rd, None, None, 1, rng)[0])  # handed in online, at the window now
    online.save_draft(handed_in, {"revenue": 3100})
    online.submit(handed_in)
    _refer(desk, handed_in, city, 2)
    at_window = _open(desk, city, giant, next(rest), 1)
    _receive_all(desk, at_window, city, but=2)
    _settle(desk, at_window, 1)
    supplement = _open(desk, city, giant, next(rest), 4)
    _receive_all(desk, supplement, city, but=2)
    intake.request_supplement(supplement, intake.missing(supplement), "请携带原件到窗口核验，一次补齐即可受理。",
                              actor)
    _settle(desk, supplement, 4)
    review = _open(desk, city, giant, next(rest), 12)
    _refer(desk, review, city, 12)
    _decide(desk, review, Decision.approved, 3, amount=Decimal("50"))
    approved = _open(desk, city, giant, next(rest), 16)
    _refer(desk, approved, city, 16)
    _decide(desk, approved, Decision.approved, 5, amount=Decimal("50"))
    _review(desk, approved, city, 4)
    withdrawn = _open(desk, city, giant, next(rest), 20)
    _refer(desk, withdrawn, city, 20)
    intake.withdraw(withdrawn, "企业因项目调整，申请撤回本次申请。", actor)
    _settle(desk, withdrawn, 15)
    # 研发投入后补助: a rejection naming the failed condition, a partly approved one partly paid, one with KJJ.
    rejected = _profiles(desk, rd, None, Result.ineligible, 1, rng) or _profiles(desk, rd, None, None, 1, rng)
    case = _open(desk, city, rd, rejected[0], 40, declared={"revenue": 1800})
    _refer(desk, case, city, 40)
    _decide(desk, case, Decision.rejected, 30, failed=0,
            note="经核查研发费用专项审计报告，上年研发投入占营业收入比重为1.6%，未达到3%。")
    _review(desk, case, city, 29)
    decisions.close_rejected(case, Satisfaction.basically, actor)
    _settle(desk, case, 27)
    eligible = iter(_profiles(desk, rd, None, None, 2, rng))
    partly = _open(desk, city, rd, next(eligible), 35, declared={"revenue": 4000})
    _refer(desk, partly, city, 35)
    _decide(desk, partly, Decision.partly, 25, amount=Decimal("30"),
            note="部分研发费用不属于加计扣除范围，按核定后的研发投入折算补助。")
    _review(desk, partly, city, 24)
    _pay(desk, partly, city, Decimal("15"), 20, _voucher(201))  # the first half; the second is to come
    handling = _open(desk, city, rd, next(eligible), 3, declared={"revenue": 2600})
    _refer(desk, handling, city, 3)
    # 省级专精特新中小企业认定: delivered (a certificate), confirmed by phone.
    for n, profile in enumerate(_profiles(desk, specialised, None, None, 2, rng)):
        case = _open(desk, city, specialised, profile, 45 - n * 10)
        _refer(desk, case, city, 45 - n * 10)
        _decide(desk, case, Decision.approved, 36 - n * 10, note="经专家评审，符合认定条件。")
        _review(desk, case, city, 35 - n * 10)
        payments.record_delivery(case, "已颁发省级专精特新中小企业证书（有效期三年）。", actor)
        _settle(desk, case, 33 - n * 10)
        _confirm(desk, case, city, Receipt.phone if n == 0 else None, 32 - n * 10)
    # Consultations: answered, waiting, one turned into an application.
    window = desk.windows[city]
    asked = _profiles(desk, giant, None, None, 2, rng)
    consultations.log(window, Channel.window, "我公司去年获评国家级“小巨人”，一次性奖励需要准备哪些材料？",
                      profile=asked[0], item=giant.item,
                      answer="需营业执照复印件、申请表、认定文件、开户证明和信用承诺书，材料齐全可当场受理。",
                      actor=actor)
    consultations.log(window, Channel.phone, "研发后补助的营业收入按哪一年度计算？", enterprise_name="澄越精密机械有限公司",
                      item=rd.item, answer="按上一会计年度经审计的营业收入计算。", actor=actor)
    consultations.log(window, Channel.phone, "技术改造补助今年什么时候开始申报？", enterprise_name="沣禾新材料有限公司",
                      actor=actor)
    turned = consultations.log(window, Channel.window, "材料已带齐，能否今天就申请“小巨人”奖励？", profile=asked[1],
                               item=giant.item, answer="可以，当场转为申请办理。", actor=actor)
    consultations.apply(turned, actor)
    asked_online, _token = online.ask(giant.item, "外地迁入本市的企业，原认定的“小巨人”称号能否申请本市奖励？",
                                      "13907100018")
    consultations.answer(asked_online, "称号在有效期内、且已在本市注册纳税的，可以申请。", actor)
    online.ask(rd.item, "研发费用专项审计报告必须由本市的会计师事务所出具吗？", "13907100019")


def _linjiang(desk: Desk, rng: random.Random) -> None:
    county = "临江县"
    start_up = _version(START_UP)
    actor = desk.user(county)
    people = iter(_profiles(desk, start_up, county, None, 7, rng))
    overdue = _open(desk, county, start_up, next(people), 9)  # 3 working days promised: long overdue at SCJG
    _refer(desk, overdue, county, 9)
    _approve_and_pay(desk, _open(desk, county, start_up, next(people), 30), county, 30, Decimal("1"),
                     _voucher(301), Receipt.link)
    _approve_and_pay(desk, _open(desk, county, start_up, next(people), 22), county, 22, Decimal("1"),
                     _voucher(302), Receipt.phone)
    _approve_and_pay(desk, _open(desk, county, start_up, next(people), 14), county, 14, Decimal("1"),
                     _voucher(303), None)
    supplement = _open(desk, county, start_up, next(people), 2)
    _receive_all(desk, supplement, county, but=1)
    intake.request_supplement(supplement, intake.missing(supplement), "开户证明可到开户银行打印后补交。", actor)
    _settle(desk, supplement, 2)
    _receive_all(desk, _open(desk, county, start_up, next(people), 0.5), county, but=1)
    rejected = _open(desk, county, start_up, next(people), 26)
    _refer(desk, rejected, county, 26)
    _decide(desk, rejected, Decision.rejected, 24, failed=1,
            note="经核查，企业成立日期已超过一年，不属于新设企业。")
    _review(desk, rejected, county, 23)
    consultations.log(desk.windows[county], Channel.window, "个体工商户转为企业后能否申请开办补助？",
                      enterprise_name="临江县鑫源商贸有限公司", item=start_up.item,
                      answer="按新设立企业的成立日期计算，成立不满一年且为小微企业即可申请。", actor=actor)


def _gaoxin(desk: Desk, rng: random.Random) -> None:
    district = "高新区"
    software = _version(SOFTWARE)
    people = iter(_profiles(desk, software, district, None, 3, rng))
    _approve_and_pay(desk, _open(desk, district, software, next(people), 40, declared={"revenue": 2000}), district,
                     40, Decimal("20"), _voucher(401), Receipt.link)
    review = _open(desk, district, software, next(people), 10, declared={"revenue": 1200})
    _refer(desk, review, district, 10)
    _decide(desk, review, Decision.approved, 2, amount=Decimal("12"))
    handling = _open(desk, district, software, next(people), 2, declared={"revenue": 900})
    _refer(desk, handling, district, 2)


# (consent, paid) of the batch's enterprises, in order; None: not answered yet.
BATCH = [(Consent.accepted, Receipt.link), (Consent.accepted, Receipt.phone), (Consent.accepted, None),
         (Consent.accepted, "unpaid"), (Consent.declined, None), (Consent.correction, None), (None, None),
         (None, None)]


CONSENT_NOTES = {Consent.declined: "企业暂不需要，放弃享受。",
                 Consent.correction: "企业成立日期登记有误，应为2022年3月，请更正。"}


BATCH_SIZE = 10  # the first enterprises of the reviewed list; the others are left for a later batch, with the reason
LATER = "统计部门新纳规名单尚在核对，待下一批核实后兑现。"


def _batch(desk: Desk, rng: random.Random) -> None:
    """One 免申即享 batch at the city's window (``automatic.prepare`` and ``create_batch``), and every answer to it
    from the enterprises' tracking pages; the accepted ones reviewed by the window and paid."""
    city = ""
    version = _version(AUTOMATIC)
    officer = desk.officer
    window = desk.windows[city]
    listed = automatic.prepare(version, officer, window)
    later = {c.profile.id: LATER for c in listed.candidates[BATCH_SIZE:]}
    batch = automatic.create_batch(version, listed.run, window, later, officer)
    members = list(db.session.scalars(select(PolicyCase).where(PolicyCase.batch_id == batch.id)
                                      .order_by(PolicyCase.id)))
    for case in members:
        _settle(desk, case, 25)
    for n, (case, (consent, paid)) in enumerate(zip(members, BATCH)):
        start = 25 - n
        if consent is None:
            continue
        online.consent(case, consent, CONSENT_NOTES.get(consent, ""))  # the enterprise, from its tracking page
        _settle(desk, case, start - 2)
        if consent != Consent.accepted or paid == "unpaid":
            continue
        # Accepted, the prepared decision waits for the window's review (``decisions.take_offer``); then the money.
        _review(desk, case, city, start - 5)
        _pay(desk, case, city, case.approved_amount, start - 8, _voucher(500 + n))
        _confirm(desk, case, city, paid, start - 10)


def _delivery_check(desk: Desk) -> CallbackCheck | None:
    """A closed delivery check over the last three months' paid applications: drawn, answered, closed."""
    if db.session.scalar(select(CallbackCheck.id).where(CallbackCheck.purpose == Purpose.delivery).limit(1)):
        return None
    officer = desk.officer
    today = local_today()
    try:
        check = draw.create(today - timedelta(days=92), today, minimum=1, maximum=8, user=officer,
                            purpose=Purpose.delivery)
    except draw.CallbackError:
        return None
    draw.set_seed(check, officer, SEED)
    draw.draw(check, officer)
    db.session.commit()
    calls.send(check.id, officer.id)
    rng = random.Random(SEED)
    answered = 0
    for call in db.session.scalars(select(CallbackCall).where(CallbackCall.check_id == check.id)
                                   .order_by(CallbackCall.id)).all():
        if answered and rng.random() < 0.15:  # some never answer
            continue
        answered += 1
        if answered % 5 == 2:  # now and then: not received, and the enterprise asks to be contacted
            calls.answer_delivery(call, "no" if answered % 2 else "partly", "no", rng.choice([2, 3]),
                                  "not_satisfied", follow_up=True)
        else:
            calls.answer_delivery(call, "yes", "yes", rng.choice([0, 1, 1, 1, 2]),
                                  rng.choice(["satisfied", "satisfied", "basically"]))
    calls.close(check, officer)
    return check


def seed_window_cases(base_url: str = "http://127.0.0.1:5000") -> None:
    """The applications, consultations, the batch, the payments and the delivery check, once (the messages'
    tracking links point at ``base_url``)."""
    officer = _user(OFFICER)
    windows = {w.district: w for w in db.session.scalars(select(PolicyWindow))}
    if officer is None or not {"", "临江县", "高新区"} <= set(windows):
        return
    if db.session.scalar(select(PolicyCase.id).limit(1)) is None:
        staff = {district: user for username, district in POSTS.items() if (user := _user(username)) is not None}
        desk = Desk(windows=windows, staff=staff, officer=officer, started=utcnow() - timedelta(seconds=1),
                    used=set())
        rng = random.Random(SEED)
        with current_app.test_request_context(base_url=base_url):
            _city(desk, rng)
            _linjiang(desk, rng)
            _gaoxin(desk, rng)
            _batch(desk, rng)
        db.session.commit()
    _delivery_check(Desk(windows=windows, staff={}, officer=officer, started=utcnow(), used=set()))
