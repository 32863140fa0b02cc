"""兑现回访 (issue 18, point 8): the call-back check with the purpose ``delivery`` — a verifiable sample of the policy
applications paid or delivered in a period, per department; four anonymous questions; the follow-up list from the
enterprises' own consent; the report with Wilson intervals and the 只跑一次 figures."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

import sampling
from app.callbacks import calls, delivery, draw, report
from app.callbacks.models import (
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackDeliveryAnswer,
    CallbackFrameMember,
    CallbackSealedAnswer,
    Purpose,
)
from app.casework import service as casework
from app.casework.models import CaseStatus, Outcome
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.phones import current_vault, mask
from app.policy.models import DeliveryMode, ItemKind, ItemStatus, Policy, PolicyItem, PolicyItemVersion, PolicyWindow
from app.policy_window import kind  # noqa: F401  (registers the kind: its phone is how the check reaches it)
from app.policy_window.models import Origin, PolicyCase, Stage
from app.profiles.models import EnterpriseProfile
from app.sms.models import SmsOutbox
from scoring import wilson
from tests.conftest import PASSWORD
from tests.integration.test_callbacks import closed_case
from tests.integration.test_language import foreign_words, visible_text
from tools import verify_draw

NUMBERS = count(1)
ANSWER = {"received": "yes", "amount_right": "yes", "visits": "1", "satisfied": "satisfied"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def window(name: str = "市政务服务中心政策兑现窗口") -> PolicyWindow:
    found = db.session.scalar(select(PolicyWindow).where(PolicyWindow.name == name))
    if found is None:
        found = PolicyWindow(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def item(department, name: str = "稳岗补贴") -> PolicyItemVersion:
    n = next(NUMBERS)
    policy = Policy(title="关于支持企业稳岗的若干措施", issuer="市人社局", level="city")
    entry = PolicyItem(policy=policy, code=f"ZC-2026-{n:03d}", status=ItemStatus.published)
    version = PolicyItemVersion(item=entry, name=name, kind=ItemKind.grant, department_id=department.id,
                                mode=DeliveryMode.review, benefit_kind="fixed")
    db.session.add_all([policy, entry, version])
    db.session.flush()
    return version


def application(department, stage: Stage = Stage.paid, *, paid_days_ago: int | None = 0, phone: bool = True,
                version: PolicyItemVersion | None = None, place: PolicyWindow | None = None) -> PolicyCase:
    """A policy application of ``department``'s at ``stage``, paid ``paid_days_ago`` (None: never paid)."""
    n = next(NUMBERS)
    version = version or item(department)
    profile = EnterpriseProfile(uscc=f"91350100M{n:08d}X"[:18], name=f"企业{n}")
    e164 = f"+86139{n:08d}"
    case = PolicyCase(version=version, profile=profile, window=place or window(), origin=Origin.window, stage=stage,
                      subject=f"{version.name} · {profile.name}", identity_shared=True,
                      phone=current_vault().seal(e164) if phone else "", phone_masked=mask(e164) if phone else "",
                      paid_at=None if paid_days_ago is None else _now() - timedelta(days=paid_days_ago))
    db.session.add(profile)
    casework.add_numbered(case, "ZC")
    casework.accept(case)
    casework.assign(case, [department], local_today(), lead_id=department.id)
    if stage == Stage.delivered:  # confirmed: the engine's case is closed as solved
        case.status, case.outcome, case.closed_at = CaseStatus.closed, Outcome.solved, _now()
    db.session.commit()
    return case


def new_check(minimum: int = 1, maximum: int = 5, start=None, end=None, user=None) -> CallbackCheck:
    today = local_today()
    check = draw.create(start or today, end or today, minimum, maximum, user, Purpose.delivery)
    db.session.commit()
    return check


def drawn_check(minimum: int = 1, maximum: int = 5, seed: str = "兑现回访 2026-12-07") -> CallbackCheck:
    check = new_check(minimum, maximum)
    draw.set_seed(check, None, seed)
    draw.draw(check, None)
    db.session.commit()
    return check


def links(check: CallbackCheck) -> dict[int, str]:
    """{case id: token}: the links sent, read from the console outbox as the enterprises' phones would."""
    calls.send(check.id)
    by_phone = {case.phone_masked: case.id for case in db.session.scalars(select(PolicyCase))}
    return {by_phone[masked]: re.search(r"/c/([A-Za-z0-9_-]+)", text).group(1)
            for masked, text in db.session.execute(select(SmsOutbox.phone_masked, SmsOutbox.text)
                                                   .where(SmsOutbox.kind == "callback"))}


def as_role(app, make_user, role: str):
    user = make_user(role, username=f"{role}-dc")
    client = app.test_client()
    assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def count_of(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- the frame and the draw

def test_the_frame_is_the_paid_or_delivered_applications_of_the_period_by_department(app, make_department):
    a, b = make_department("AAA", "甲局"), make_department("BBB", "乙局")
    paid, delivered = application(a, Stage.paid), application(a, Stage.delivered)
    in_b = application(b, Stage.delivered)
    application(a, Stage.paid, phone=False)                         # cannot be called: counted apart
    left_out = [application(a, Stage.approved, paid_days_ago=None),  # approved, not paid
                application(a, Stage.handling, paid_days_ago=None),
                application(b, Stage.paid, paid_days_ago=40)]       # paid before the period
    complaint = closed_case(a)                                      # a closed complaint is not a delivery
    check = new_check()
    assert check.purpose == Purpose.delivery
    assert check.stratum_sizes == {"AAA|delivered": 2, "BBB|delivered": 1}
    assert check.without_phone == {str(a.id): 1}
    members = dict(db.session.execute(select(CallbackFrameMember.case_id, CallbackFrameMember.stratum)).all())
    assert members == {paid.id: "AAA|delivered", delivered.id: "AAA|delivered", in_b.id: "BBB|delivered"}
    assert not {c.id for c in left_out} & set(members) and complaint.id not in members
    keys = db.session.execute(select(CallbackFrameMember.key, CallbackFrameMember.stratum)).all()
    assert check.commitment == sampling.commitment([k for k, _ in keys], [s for _, s in keys])

    # The resolution check of the same day keeps to closed cases: the complaint and the delivered application.
    resolution = draw.create(local_today(), local_today(), 1, 5, None)
    assert resolution.purpose == Purpose.resolution
    assert set(db.session.scalars(select(CallbackFrameMember.case_id)
                                  .where(CallbackFrameMember.check_id == resolution.id))) == {
        complaint.id, delivered.id, in_b.id}


def test_a_period_without_paid_applications_is_refused_with_a_reason(app, make_department):
    application(make_department("AAA"), Stage.approved, paid_days_ago=None)
    with pytest.raises(draw.CallbackError, match="没有可回访的已兑现政策申请"):
        new_check()
    assert count_of(CallbackCheck) == 0


def test_the_delivery_draw_is_reproducible_from_its_seed_and_the_verifier_replays_it(app, make_department,
                                                                                     tmp_path):
    a, b = make_department("AAA"), make_department("BBB")
    for i in range(9):
        application(a if i % 3 else b, Stage.paid if i % 2 else Stage.delivered)
    check = drawn_check(minimum=2, maximum=3, seed="福彩3D 2026-12-07 318")
    assert check.allocation == {"AAA|delivered": 3, "BBB|delivered": 3}
    frame = db.session.execute(select(CallbackFrameMember.key, CallbackFrameMember.stratum)
                               .where(CallbackFrameMember.check_id == check.id)).all()
    drawn = set(db.session.scalars(select(CallbackFrameMember.key).join(
        CallbackCall, (CallbackCall.check_id == CallbackFrameMember.check_id)
        & (CallbackCall.case_id == CallbackFrameMember.case_id))))
    assert set(sampling.select([k for k, _ in frame], [s for _, s in frame], check.allocation, check.seed)) == drawn
    assert len(drawn) == 6 and draw.verify(check).ok

    files = draw.evidence_files(check)
    assert '"purpose": "delivery"' in files["plan.json"]
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    said = []
    assert verify_draw.verify(tmp_path, say=said.append) == 0, said
    # Another seed gives another selection, which the verifier refuses.
    (tmp_path / "seed.txt").write_text("另一个种子\n", encoding="utf-8")
    assert verify_draw.verify(tmp_path, say=said.append) == 1


# --------------------------------------------------------------------------- the enterprise's page

def test_the_enterprise_answers_four_questions_once_and_the_answers_know_no_case(app, make_department):
    app.config["CALLBACK_RELEASE_BATCH"] = 3
    a = make_department("AAA")
    cases = [application(a) for _ in range(4)]
    check = drawn_check(maximum=4)
    tokens = links(check)
    assert "您申请的惠企政策已兑现" in db.session.scalar(select(SmsOutbox.text).limit(1))
    visitor = app.test_client()
    page = visitor.get(f"/c/{tokens[cases[0].id]}").get_data(as_text=True)
    assert "是否收到" in page and "请窗口与我联系" in page and "<script" not in page
    assert "您的身份" in page and foreign_words(visible_text(page), set()) == []
    given = [{**ANSWER}, {**ANSWER, "received": "no", "amount_right": "not_money", "visits": "3",
                          "satisfied": "not_satisfied", "follow_up": "y"},
             {**ANSWER, "received": "partly", "amount_right": "no", "visits": "2", "satisfied": "basically"}]
    for case, data in zip(cases, given):
        answered = visitor.post_form(f"/c/{tokens[case.id]}", data)
        assert answered.status_code == 302 and answered.headers["Location"].endswith("/c/thanks")
    again = visitor.post_form(f"/c/{tokens[cases[0].id]}", {**ANSWER, "received": "no"})
    assert again.status_code == 410

    # Released in one shuffled batch of three, into the delivery table; nothing in the resolution table.
    assert count_of(CallbackSealedAnswer) == 0 and count_of(CallbackAnswer) == 0
    rows = db.session.execute(select(CallbackDeliveryAnswer.__table__)).mappings().all()
    assert sorted((r["received"], r["amount_right"], r["visits"], r["satisfied"]) for r in rows) == [
        ("no", "not_money", 3, "not_satisfied"), ("partly", "no", 2, "basically"), ("yes", "yes", 1, "satisfied")]

    # The schema: no column of the answer tables can join to a case, a call, a person or a time.
    inspector = inspect(db.engine)
    for table in ("callback_answers", "callback_delivery_answers"):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert {fk["referred_table"] for fk in inspector.get_foreign_keys(table)} == {"callback_checks",
                                                                                     "departments"}
        assert not {name for name in columns if name.endswith(("_at", "_by_id"))} | (
            columns & {"case_id", "call_id", "profile_id", "follow_up_requested", "tracking_number", "token_hash"})
    assert {c["name"] for c in inspector.get_columns("callback_delivery_answers")} == {
        "id", "check_id", "department_id", "received", "amount_right", "visits", "satisfied"}
    identifiers = {str(c.id) for c in cases} | {c.tracking_number for c in cases} | {
        str(i) for i in db.session.scalars(select(CallbackCall.id))}
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"]) and row["id"] not in identifiers
    # The calls say that they were used, and which enterprise asked to be contacted — not what anyone answered.
    assert sorted(db.session.scalars(select(CallbackCall.used))) == [False, True, True, True]
    assert set(db.session.scalars(select(CallbackCall.case_id).where(CallbackCall.follow_up_requested))) == {
        cases[1].id}


def test_the_release_shuffles_the_answers(app, make_department):
    """The released rows are not written in the order the answers were handed in: the same eight sealed answers,
    released five times, are written (in the table's physical order) in more than one order."""
    app.config["CALLBACK_RELEASE_BATCH"] = 100
    a = make_department("AAA")
    for _ in range(8):
        application(a)
    check = drawn_check(maximum=8)
    satisfaction = ["satisfied", "basically", "not_satisfied"]
    orders = set()
    for _attempt in range(5):
        for i in range(8):  # (visits, satisfied) = (i mod 4, i mod 3) tells the eight apart
            db.session.add(CallbackSealedAnswer(check_id=check.id, payload={
                "department_id": a.id, "received": "yes", "amount_right": "yes", "visits": i % 4,
                "satisfied": satisfaction[i % 3]}))
            db.session.commit()
        assert calls.release(check.id, 1) == 8
        written = db.session.execute(select(CallbackDeliveryAnswer.visits, CallbackDeliveryAnswer.satisfied)).all()
        orders.add(tuple((visits, satisfied.value) for visits, satisfied in written))
        assert len(set(written)) == 8
        db.session.execute(CallbackDeliveryAnswer.__table__.delete())
        db.session.commit()
    assert len(orders) > 1


@pytest.mark.parametrize(("data", "message"), [
    ({**ANSWER, "follow_up": "y"}, "仅在未收到或部分收到时"),       # contact asked though received in full
    ({**ANSWER, "received": ""}, "请选择一项"),
    ({**ANSWER, "amount_right": "maybe"}, ""),
    ({**ANSWER, "visits": "9"}, ""),
])
def test_bad_answers_change_nothing(app, make_department, data, message):
    application(make_department("AAA"))
    check = drawn_check()
    (token,) = links(check).values()
    visitor = app.test_client()
    response = visitor.post_form(f"/c/{token}", data)
    assert response.status_code == 400 and 'class="err"' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(CallbackCall.used)) is False
    assert db.session.scalar(select(CallbackCall.follow_up_requested)) is False
    assert count_of(CallbackSealedAnswer) == 0 and visitor.get(f"/c/{token}").status_code == 200


# --------------------------------------------------------------------------- the report and the follow-up list

def test_the_report_gives_received_visits_and_amount_with_wilson_intervals_and_the_follow_up_list(
        app, make_department, make_user):
    app.config["CALLBACK_RELEASE_BATCH"] = 1
    a, b = make_department("AAA", "甲局"), make_department("BBB", "乙局")
    county = window("临江县政务服务中心政策兑现窗口")
    grant = item(a, "研发费用补助")
    in_a = [application(a, version=grant, place=county) for _ in range(6)]
    in_b = [application(b), application(b)]
    application(a, phone=False)
    check = drawn_check(minimum=2, maximum=6)
    tokens = links(check)
    # A: 6 answers — 3 received, 2 partly, 1 not; visits 0,1,1,2,3,1; amount: 4 right, 1 wrong, 1 not money.
    plan = [("yes", "yes", 0, "satisfied", False), ("yes", "yes", 1, "satisfied", False),
            ("yes", "not_money", 1, "basically", False), ("partly", "no", 2, "basically", True),
            ("partly", "yes", 3, "not_satisfied", False), ("no", "yes", 1, "not_satisfied", True)]
    visitor = app.test_client()
    for case, (received, amount, visits, satisfied, contact) in zip(in_a, plan):
        data = {"received": received, "amount_right": amount, "visits": str(visits), "satisfied": satisfied}
        if contact:
            data["follow_up"] = "y"
        assert visitor.post_form(f"/c/{tokens[case.id]}", data).status_code == 302
    visitor.post_form(f"/c/{tokens[in_b[0].id]}", {**ANSWER, "received": "no", "follow_up": "y"})

    row_a, row_b = report.delivery_rows(check)
    assert (row_a.reported, row_a.without_phone, row_a.sampled, row_a.answered) == (7, 1, 6, 6)
    assert (row_a.received.k, row_a.received.n) == (3, 6) and (row_a.partly.k, row_a.partly.n) == (2, 6)
    assert (row_a.amount_right.k, row_a.amount_right.n) == (4, 5)
    assert row_a.visits_mean == pytest.approx(8 / 6) and (row_a.once.k, row_a.once.n) == (4, 6)
    assert (row_a.satisfied.k, row_a.satisfied.n) == (4, 6)
    # Wilson by hand, z = 1.96, n = 6: 3 of 6 → centre 0.5, half-width 0.3124 → (0.1876, 0.8124);
    # 4 of 6 → centre 0.6016, half-width 0.3016 → (0.3000, 0.9032).
    assert row_a.received.interval == pytest.approx((0.1876, 0.8124), abs=1e-4)
    assert row_a.once.interval == pytest.approx((0.3000, 0.9032), abs=1e-4)
    assert row_a.once.interval == pytest.approx(wilson(4, 6))
    assert row_b.too_few and row_b.received is None  # one answer: fewer than the minimum of 2

    # The follow-up list: exactly the enterprises that asked — B's too, though B is too few to judge.
    follow = delivery.follow_ups(check)
    assert [f.tracking_number for f in follow] == [in_a[3].tracking_number, in_a[5].tracking_number,
                                                   in_b[0].tracking_number]
    assert follow[0].window == "临江县政务服务中心政策兑现窗口" and follow[0].item.endswith("研发费用补助")
    assert follow[0].department.code == "AAA"

    officer = as_role(app, make_user, "policy")
    page = officer.get(f"/admin/callbacks/{check.id}").get_data(as_text=True)
    assert "50.0%" in page and "18.8%–81.2%" in page and "1.33" in page and "样本过少，无法判断" in page
    assert in_a[3].tracking_number in page and in_a[0].tracking_number not in page
    assert foreign_words(visible_text(page), {"policy-dc"}) == []
    listing = officer.get("/admin/callbacks/").get_data(as_text=True)
    assert foreign_words(visible_text(listing), {"policy-dc"}) == []
    sheets = load_workbook(io.BytesIO(officer.get(f"/admin/callbacks/{check.id}/report.xlsx").data))
    figures, listed = sheets.worksheets
    header = [cell.value for cell in figures[1]]
    assert header[:3] == ["部门代码", "部门", "已兑现申请数"] and "回访确认收到率" in header
    values = {row[0]: row for row in figures.iter_rows(min_row=2, values_only=True)}
    assert values["AAA"][header.index("回访确认收到率")] == pytest.approx(0.5)
    assert values["AAA"][header.index("95%区间下限")] == pytest.approx(0.1876, abs=1e-4)
    assert values["AAA"][header.index("到窗口次数（平均）")] == pytest.approx(8 / 6)
    assert values["BBB"][header.index("回访确认收到率")] is None
    assert [cell.value for cell in listed[1]] == ["受理编号", "政策事项", "窗口", "部门代码", "部门"]
    assert [row[0] for row in listed.iter_rows(min_row=2, values_only=True)] == [f.tracking_number for f in follow]
    for sheet in sheets.worksheets:
        assert foreign_words(" ".join(str(cell.value) for cell in sheet[1]), set()) == []


# --------------------------------------------------------------------------- the staff's pages and roles

def test_the_policy_officer_runs_a_delivery_check_and_sees_no_other(app, make_department, make_user, tmp_path):
    a = make_department("AAA")
    for _ in range(3):
        application(a)
    closed_case(a)
    officer = as_role(app, make_user, "policy")
    form = officer.get("/admin/callbacks/").get_data(as_text=True)
    assert 'value="delivery"' in form and 'value="resolution"' not in form
    today = local_today().isoformat()
    plan = {"period_start": today, "period_end": today, "minimum": "1", "maximum": "2"}
    refused = officer.post_form("/admin/callbacks/new", {**plan, "purpose": "resolution"})
    assert refused.status_code == 400 and count_of(CallbackCheck) == 0
    created = officer.post_form("/admin/callbacks/new", {**plan, "purpose": "delivery"})
    check = db.session.scalar(select(CallbackCheck))
    assert created.status_code == 302 and check.purpose == Purpose.delivery and check.frame_size == 3
    assert officer.post_form(f"/admin/callbacks/{check.id}/seed", {"seed": "开奖号码 03 11 27",
                                                                    "action": "typed"}).status_code == 302
    assert officer.post_form(f"/admin/callbacks/{check.id}/draw", {}).status_code == 302
    page = officer.get(f"/admin/callbacks/{check.id}").get_data(as_text=True)
    assert "已重新计算：承诺值和抽中名单均一致" in page and "<td>报称已兑现</td><td>3</td><td>2</td>" in page
    archive = zipfile.ZipFile(io.BytesIO(officer.get(f"/admin/callbacks/{check.id}/evidence.zip").data))
    archive.extractall(tmp_path)
    assert verify_draw.verify(tmp_path / f"callback-{check.id}", say=lambda line: None) == 0

    # A resolution check is the complaints centre's: the policy officer neither lists nor opens nor runs it.
    handler = as_role(app, make_user, "complaints")
    handler.post_form("/admin/callbacks/new", {**plan, "purpose": "resolution"})
    other = db.session.scalar(select(CallbackCheck).where(CallbackCheck.purpose == Purpose.resolution))
    assert other is not None and f"/admin/callbacks/{other.id}\"" in handler.get("/admin/callbacks/").get_data(
        as_text=True)
    assert f"/admin/callbacks/{other.id}\"" not in officer.get("/admin/callbacks/").get_data(as_text=True)
    for path in ("", "/report.xlsx", "/evidence.zip"):
        assert officer.get(f"/admin/callbacks/{other.id}{path}").status_code == 404
    assert officer.post_form(f"/admin/callbacks/{other.id}/seed", {"seed": "x", "action": "typed"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(CallbackCheck, other.id).seed is None
    # A liaison sees no check at all.
    liaison = as_role(app, make_user, "liaison")
    assert liaison.get(f"/admin/callbacks/{check.id}").status_code == 403
