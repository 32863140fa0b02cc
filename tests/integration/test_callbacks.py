"""The call-back check (回访抽查, issue 16 point 6): the verifiable sample, the one-time link, the anonymous answers,
the report."""
from __future__ import annotations

import io
import re
import zipfile
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

import sampling
from app.callbacks import calls, draw, report
from app.callbacks.models import (
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackFrameMember,
    CallbackSealedAnswer,
    CheckStatus,
)
from app.complaints import service as complaints
from app.extensions import db
from app.platform.calendar import local_today
from app.sms.models import SmsOutbox
from tests.conftest import PASSWORD
from tools import verify_draw

PHONES = iter(f"1380013{n:04d}" for n in range(10_000))


def closed_case(department, outcome: str = "solved", phone: bool = True):
    """A complaint about ``department``, handled and closed today with ``outcome`` after a staff call."""
    complaint, _code = complaints.submit(category="enterprise_policy", department_ids=[department.id],
                                         subject="惠企政策未兑现", description="申请的稳岗补贴超过承诺时限仍未发放。",
                                         phone=next(PHONES) if phone else "")
    complaints.accept(complaint)
    for assignment in complaints.assign(complaint, [department], local_today()):
        complaints.reply(assignment, "经核查已发放补贴，并向企业说明。")
    kept = None
    if outcome == "duplicate":
        kept = closed_case(department)
    complaints.close(complaint, outcome=outcome, satisfaction="satisfied", public_reply="已按规定办理完毕。",
                     substantiated_department_ids=[], duplicate_of=kept)
    db.session.commit()
    return complaint


def new_check(user=None, minimum: int = 2, maximum: int = 4) -> CallbackCheck:
    today = local_today()
    check = draw.create(today, today, minimum, maximum, user)
    db.session.commit()
    return check


def drawn_check(minimum: int = 2, maximum: int = 4, seed: str = "2026120612345") -> CallbackCheck:
    check = new_check(minimum=minimum, maximum=maximum)
    draw.set_seed(check, None, seed)
    draw.draw(check, None)
    db.session.commit()
    return check


def links(check: CallbackCheck) -> list[str]:
    """Send the check's links and read the tokens out of the console outbox, as the raisers' phones would."""
    calls.send(check.id)
    texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "callback")).all()
    return [re.search(r"/c/([A-Za-z0-9_-]+)", text).group(1) for text in texts]


def as_role(app, make_user, role: str):
    user = make_user(role, username=f"{role}-cb")
    client = app.test_client()
    assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client, user


# --------------------------------------------------------------------------- the frame and the draw

def test_the_frame_is_every_valid_closed_case_with_a_phone_by_department_and_claim(app, make_department):
    a, b = make_department("AAA", "甲局"), make_department("BBB", "乙局")
    for outcome in ("solved", "solved", "partly_solved", "explained", "explained"):
        closed_case(a, outcome)
    closed_case(a, "solved", phone=False)
    closed_case(a, "duplicate")
    closed_case(b, "explained")
    open_one, _code = complaints.submit(category="enterprise_policy", department_ids=[b.id], subject="未办结",
                                        description="仍在办理中的事项。", phone=next(PHONES))
    check = new_check(minimum=1)
    # The duplicate's kept case is a solved case of A too: 4 solved-or-partly, 2 explained.
    assert check.stratum_sizes == {"AAA|solved": 4, "AAA|unsolved": 2, "BBB|unsolved": 1}
    assert check.without_phone == {str(a.id): 1}
    members = db.session.scalars(select(CallbackFrameMember.case_id)).all()
    assert open_one.id not in members and len(members) == check.frame_size == 7
    keys = db.session.execute(select(CallbackFrameMember.key, CallbackFrameMember.stratum)).all()
    assert check.commitment == sampling.commitment([k for k, _ in keys], [s for _, s in keys])


def test_the_minimum_and_maximum_per_department_are_respected(app, make_department):
    a, b, c = make_department("AAA"), make_department("BBB"), make_department("CCC")
    for i in range(12):
        closed_case(a, "solved" if i % 3 else "explained")
    for _ in range(3):
        closed_case(b)
    closed_case(c)
    check = drawn_check(minimum=2, maximum=5)
    per_department = Counter(db.session.scalars(select(CallbackCall.department_id)))
    assert per_department == {a.id: 5, b.id: 3}  # A capped at the maximum, B all of its 3, C too few
    assert check.allocation == {"AAA|solved": 3, "AAA|unsolved": 2, "BBB|solved": 3, "CCC|solved": 0}
    row_c = next(r for r in report.rows(check) if r.department.id == c.id)
    assert row_c.too_few and row_c.sampled == 0


def test_the_allocation_caps_each_department_and_shares_it_between_the_claims():
    sizes = {"A|solved": 30, "A|unsolved": 10, "B|solved": 4, "B|unsolved": 2, "C|solved": 3}
    assert draw.allocate(sizes, minimum=5, maximum=8) == {
        "A|solved": 6, "A|unsolved": 2, "B|solved": 4, "B|unsolved": 2, "C|solved": 0}


def test_the_sample_is_reproducible_from_its_seed_and_the_verifier_agrees(app, make_department, tmp_path):
    a, b = make_department("AAA"), make_department("BBB")
    for i in range(9):
        closed_case(a if i % 2 else b, "solved" if i % 4 else "partly_solved")
    check = drawn_check(minimum=2, maximum=3, seed="福彩3D 2026-12-06 407")
    drawn = set(db.session.scalars(select(CallbackFrameMember.key).join(
        CallbackCall, (CallbackCall.check_id == CallbackFrameMember.check_id)
        & (CallbackCall.case_id == CallbackFrameMember.case_id))))
    frame = db.session.execute(select(CallbackFrameMember.key, CallbackFrameMember.stratum)).all()
    assert set(sampling.select([k for k, _ in frame], [s for _, s in frame], check.allocation, check.seed)) == drawn
    assert draw.verify(check).ok

    # The same frame and seed in a second check give the same cases.
    again = drawn_check(minimum=2, maximum=3, seed="福彩3D 2026-12-06 407")
    assert set(db.session.scalars(select(CallbackFrameMember.key).join(
        CallbackCall, (CallbackCall.check_id == CallbackFrameMember.check_id)
        & (CallbackCall.case_id == CallbackFrameMember.case_id)).where(CallbackCall.check_id == again.id))) == drawn

    # The auditor's script, on the files the page offers.
    for name, content in draw.evidence_files(check).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    lines = []
    assert verify_draw.verify(tmp_path, say=lines.append) == 0, lines
    selected = (tmp_path / "selected.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "selected.csv").write_text("\n".join(selected[:-1]) + "\n", encoding="utf-8")
    assert verify_draw.verify(tmp_path, say=lines.append) == 1


def test_the_seed_comes_after_the_commitment_once_and_the_draw_happens_once(app, make_department):
    closed_case(make_department())
    check = new_check(minimum=1)
    with pytest.raises(draw.CallbackError):
        draw.draw(check, None)
    with pytest.raises(draw.CallbackError):
        draw.set_seed(check, None, "two\nlines")
    assert check.status == CheckStatus.frozen and check.seed is None
    draw.set_seed(check, None, "first")
    with pytest.raises(draw.CallbackError):
        draw.set_seed(check, None, "second")
    assert draw.draw(check, None) == 1
    with pytest.raises(draw.CallbackError):
        draw.draw(check, None)
    db.session.commit()
    assert check.seed == "first" and db.session.scalar(select(func.count()).select_from(CallbackCall)) == 1


# --------------------------------------------------------------------------- the link and the answers

def test_a_link_works_once(app, make_department):
    closed_case(make_department())
    check = drawn_check(minimum=1)
    (token,) = links(check)
    visitor = app.test_client()
    page = visitor.get(f"/c/{token}")
    assert page.status_code == 200 and "是否已经解决" in page.get_data(as_text=True)
    answered = visitor.post_form(f"/c/{token}", {"solved": "partly", "satisfied": "basically", "returns": "2"})
    assert answered.status_code == 302 and answered.headers["Location"].endswith("/c/thanks")
    again = visitor.post_form(f"/c/{token}", {"solved": "no", "satisfied": "not_satisfied", "returns": "3"})
    assert again.status_code == 410 and "已经使用" in again.get_data(as_text=True)
    assert visitor.get(f"/c/{token}").status_code == 410
    assert db.session.scalar(select(func.count()).select_from(CallbackSealedAnswer)) \
        + db.session.scalar(select(func.count()).select_from(CallbackAnswer)) == 1
    assert visitor.get("/c/" + "x" * 22).status_code == 404


@pytest.mark.parametrize("data", [
    {"satisfied": "satisfied", "returns": "0"},                       # a question left out
    {"solved": "maybe", "satisfied": "satisfied", "returns": "0"},    # a choice that is not offered
    {"solved": "yes", "satisfied": "satisfied", "returns": "7"},
])
def test_bad_answers_change_nothing(app, make_department, data):
    closed_case(make_department())
    check = drawn_check(minimum=1)
    (token,) = links(check)
    visitor = app.test_client()
    response = visitor.post_form(f"/c/{token}", data)
    assert response.status_code == 400 and 'class="err"' in response.get_data(as_text=True)
    assert db.session.scalar(select(CallbackCall.used)) is False
    assert db.session.scalar(select(func.count()).select_from(CallbackSealedAnswer)) == 0
    # A post without its CSRF token is refused too, and the link still works afterwards.
    forged = visitor.post(f"/c/{token}", data={"solved": "yes", "satisfied": "satisfied", "returns": "0"})
    assert forged.status_code == 400
    assert visitor.get(f"/c/{token}").status_code == 200


def test_the_answers_hold_no_link_to_the_cases_or_the_calls(app, make_department):
    app.config["CALLBACK_RELEASE_BATCH"] = 3
    a = make_department("AAA")
    cases = [closed_case(a, outcome) for outcome in ("solved", "solved", "explained", "solved")]
    check = drawn_check(minimum=1, maximum=4)
    tokens = links(check)
    visitor = app.test_client()
    for token, answer in zip(tokens[:2], (("yes", "satisfied", "0"), ("no", "not_satisfied", "3"))):
        visitor.post_form(f"/c/{token}", dict(zip(("solved", "satisfied", "returns"), answer)))
    # Two answers wait sealed: one released alone would be matched to the call just marked used.
    assert db.session.scalar(select(func.count()).select_from(CallbackAnswer)) == 0
    visitor.post_form(f"/c/{tokens[2]}", {"solved": "partly", "satisfied": "basically", "returns": "1"})
    assert db.session.scalar(select(func.count()).select_from(CallbackAnswer)) == 3
    assert db.session.scalar(select(func.count()).select_from(CallbackSealedAnswer)) == 0

    # Schema: the answers table has the check, the department, the claim and the answers — nothing else, and no
    # foreign key to a case, a call or a person; the call's mark says only that it was used.
    inspector = inspect(db.engine)
    assert {c["name"] for c in inspector.get_columns("callback_answers")} == {
        "id", "check_id", "department_id", "claimed_solved", "solved", "satisfied", "returns"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("callback_answers")} == {
        "callback_checks", "departments"}
    assert {c["name"] for c in inspector.get_columns("callback_calls")} >= {"used"}
    assert not {c["name"] for c in inspector.get_columns("callback_calls")} & {
        "used_at", "answer_id", "solved", "satisfied", "returns", "answered_at"}
    # Data: the stored rows hold those columns only, and their ids are random (no insertion order, and no case,
    # call or tracking number in them); the calls say only which were used.
    identifiers = {str(c.id) for c in cases} | {c.tracking_number for c in cases} | {
        str(i) for i in db.session.scalars(select(CallbackCall.id))}
    rows = db.session.execute(select(CallbackAnswer.__table__)).mappings().all()
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"id", "check_id", "department_id", "claimed_solved", "solved", "satisfied", "returns"}
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"]) and row["id"] not in identifiers
    assert sorted((r["solved"], r["satisfied"], r["returns"]) for r in rows) == [
        ("no", "not_satisfied", 3), ("partly", "basically", 1), ("yes", "satisfied", 0)]
    assert sorted(db.session.scalars(select(CallbackCall.used))) == [False, True, True, True]


def test_closing_stops_the_links_and_releases_every_answer(app, make_department, make_user):
    app.config["CALLBACK_RELEASE_BATCH"] = 10
    for _ in range(2):
        closed_case(make_department())
    check = drawn_check(minimum=1)
    first, second = links(check)
    visitor = app.test_client()
    visitor.post_form(f"/c/{first}", {"solved": "yes", "satisfied": "satisfied", "returns": "0"})
    assert db.session.scalar(select(func.count()).select_from(CallbackAnswer)) == 0
    handler, _user = as_role(app, make_user, "complaints")
    assert handler.post_form(f"/admin/callbacks/{check.id}/close", {}).status_code == 302  # unconfirmed: nothing
    assert db.session.get(CallbackCheck, check.id).status == CheckStatus.drawn
    handler.post_form(f"/admin/callbacks/{check.id}/close", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(CallbackCheck, check.id).status == CheckStatus.closed
    assert db.session.scalar(select(func.count()).select_from(CallbackAnswer)) == 1
    page = visitor.get(f"/c/{second}")
    assert page.status_code == 410 and "已结束" in page.get_data(as_text=True)


# --------------------------------------------------------------------------- the report

def test_the_report_sets_claimed_against_confirmed_with_wilson_intervals(app, make_department, make_user):
    app.config["CALLBACK_RELEASE_BATCH"] = 1
    a, b, c = make_department("AAA", "甲局"), make_department("BBB", "乙局"), make_department("CCC", "丙局")
    for outcome in ("solved",) * 4 + ("explained",) * 2:
        closed_case(a, outcome)
    closed_case(b)
    for outcome in ("solved",) * 3 + ("explained",):
        closed_case(c, outcome)
    check = drawn_check(minimum=2, maximum=6)
    # What each raiser answers, by department and claim, in the order of the calls (None: never answers).
    plan = {(a.id, True): ["yes", "yes", "no", None], (a.id, False): ["partly", "no"],
            (c.id, True): ["yes", "yes", "yes"], (c.id, False): ["no"]}
    visitor = app.test_client()
    for token, call in zip(links(check), db.session.scalars(select(CallbackCall).order_by(CallbackCall.id)).all()):
        answers = plan.get((call.department_id, call.claimed_solved))
        solved = answers.pop(0) if answers else None
        if solved:
            visitor.post_form(f"/c/{token}", {"solved": solved, "satisfied": "satisfied", "returns": "0"})
    row_a, row_b, row_c = report.rows(check)
    assert (row_a.closed, row_a.sampled, row_a.answered) == (6, 6, 5)
    assert (row_a.claimed.k, row_a.claimed.n) == (4, 6)
    assert (row_a.confirmed.k, row_a.confirmed.n) == (3, 5)                     # 2 yes + 1 partly of 5
    assert (row_a.confirmed_of_claimed.k, row_a.confirmed_of_claimed.n) == (2, 3)
    assert row_a.confirmed.interval == pytest.approx((0.2307, 0.8824), abs=1e-4)  # Wilson, 3 of 5, by hand
    assert row_b.too_few and row_b.confirmed is None                              # 1 case < minimum 2
    # C: 3 of 4 confirm; the one unclaimed answer alone would be laid bare by the difference, so the claimed
    # part is not shown.
    assert (row_c.confirmed.k, row_c.confirmed.n) == (3, 4) and row_c.confirmed_of_claimed is None

    auditor, _user = as_role(app, make_user, "auditor")
    page = auditor.get(f"/admin/callbacks/{check.id}").get_data(as_text=True)
    assert "60.0%" in page and "23.1%–88.2%" in page and "样本过少，无法判断" in page
    workbook = load_workbook(io.BytesIO(auditor.get(f"/admin/callbacks/{check.id}/report.xlsx").data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["部门代码", "部门", "办结案件数"] and "回访确认解决率" in header
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["AAA"][header.index("回访确认解决率")] == pytest.approx(0.6)
    assert values["AAA"][header.index("95%区间下限")] == pytest.approx(0.2307, abs=1e-4)
    assert values["BBB"][header.index("回访确认解决率")] is None
    assert values["BBB"][header.index("判断")].startswith("样本过少，无法判断")


# --------------------------------------------------------------------------- the staff's pages

def test_a_handler_runs_a_check_through_the_pages_and_an_auditor_replays_it(app, make_department, make_user,
                                                                              tmp_path):
    a = make_department("AAA")
    for _ in range(3):
        closed_case(a)
    handler, _user = as_role(app, make_user, "complaints")
    today = local_today().isoformat()
    created = handler.post_form("/admin/callbacks/new", {"period_start": today, "period_end": today,
                                                          "minimum": "1", "maximum": "2"})
    check = db.session.scalar(select(CallbackCheck))
    assert created.status_code == 302 and created.headers["Location"].endswith(f"/admin/callbacks/{check.id}")
    assert handler.post_form(f"/admin/callbacks/{check.id}/seed", {"seed": "开奖号码 07 12 19",
                                                                    "action": "typed"}).status_code == 302
    assert handler.post_form(f"/admin/callbacks/{check.id}/draw", {}).status_code == 302
    handler.post_form(f"/admin/callbacks/{check.id}/send", {"confirm": "y"})
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox).where(SmsOutbox.kind == "callback")) == 2
    page = handler.get(f"/admin/callbacks/{check.id}").get_data(as_text=True)
    assert "已重新计算：承诺值和抽中名单均一致" in page
    assert "<td>报称已解决</td><td>3</td><td>2</td>" in page  # the stratum in words, N and n

    auditor, _user = as_role(app, make_user, "auditor")
    assert auditor.post_form(f"/admin/callbacks/{check.id}/close", {"confirm": "y"}).status_code == 403
    archive = zipfile.ZipFile(io.BytesIO(auditor.get(f"/admin/callbacks/{check.id}/evidence.zip").data))
    archive.extractall(tmp_path)
    assert verify_draw.verify(tmp_path / f"callback-{check.id}", say=lambda line: None) == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"period_start": "2026-12-05", "period_end": "2026-12-01", "minimum": "2", "maximum": "5"},
     "期间的第一天（2026-12-05）晚于最后一天（2026-12-01）。"),
    ({"period_start": "2026-12-01", "period_end": "2026-12-05", "minimum": "6", "maximum": "5"},
     "每部门最少数（6）大于最大值（5）。"),
    ({"period_start": "2026-12-01", "period_end": "", "minimum": "2", "maximum": "5"}, "请填写期间的最后一天。"),
    ({"period_start": "2026-12-01", "period_end": "2026-12-05", "minimum": "0", "maximum": "5"},
     "数值大小必须介于 1 到 500 之间。"),
])
def test_a_bad_plan_is_refused_with_a_reason_and_creates_nothing(app, make_department, make_user, data, message):
    closed_case(make_department())
    handler, _user = as_role(app, make_user, "complaints")
    response = handler.post_form("/admin/callbacks/new", data, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CallbackCheck)) == 0
    assert db.session.scalar(select(func.count()).select_from(CallbackFrameMember)) == 0


def test_the_raisers_page_is_light_and_works_without_javascript(app, make_department):
    closed_case(make_department())
    (token,) = links(drawn_check(minimum=1))
    page = app.test_client().get(f"/c/{token}")
    html = page.get_data(as_text=True)
    assert "<script" not in html and 'type="radio"' in html and 'method="post"' in html
    css = app.test_client().get(re.search(r'href="([^"]+survey[^"]*\.css)"', html).group(1))
    assert len(page.data) + len(css.data) < 30 * 1024
