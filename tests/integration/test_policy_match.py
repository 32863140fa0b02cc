"""Matching an item version against every enterprise profile: the four results with their traces, missing data
named (never "ineligible"), counts per district, the staff's pages and `flask policy match --format csv`.

The world is built with the models directly (the catalogue's services are another module's): a published item
whose two rules read revenue and qualifications, and one more with a review condition; seven fixed profiles.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.phones import current_vault, mask
from app.policy import matching
from app.policy.models import (
    DeliveryMode,
    ItemKind,
    ItemStatus,
    Policy,
    PolicyItem,
    PolicyItemVersion,
    PolicyLevel,
    PolicyMatchResult,
    PolicyWindow,
)
from app.pool.models import Respondent
from app.profiles.models import EnterpriseProfile
from tests.integration.test_draws import seed_pool

TODAY = date(2026, 12, 1)
RULES = [
    {"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上", "legal_ref": "第三条第一款"},
    {"expression": "{qualifications} contains '高新技术企业'", "label": "有效期内的高新技术企业",
     "legal_ref": "第三条第二款"},
]
FRESH = "2026-03-31"
HIGH_TECH = [{"name": "高新技术企业", "valid_to": "2027-12-31"}]


@dataclass
class World:
    item: PolicyItem
    version: PolicyItemVersion
    review_item: PolicyItem
    review_version: PolicyItemVersion
    profiles: dict


def make_item(department, code: str, name: str, rules=RULES, reviews=(), mode=DeliveryMode.review,
              status=ItemStatus.published, **content) -> PolicyItem:
    policy = db.session.scalar(select(Policy)) or Policy(title="关于支持高新技术企业高质量发展的若干措施",
                                                          issuer="市人民政府", level=PolicyLevel.city,
                                                          doc_number="市政发〔2026〕12号")
    item = PolicyItem(policy=policy, code=code, status=status)
    db.session.add(item)
    db.session.flush()
    version = add_version(item, department, name, rules=rules, reviews=reviews, mode=mode, **content)
    return item


def add_version(item: PolicyItem, department, name: str, rules=RULES, reviews=(), mode=DeliveryMode.review,
                **content) -> PolicyItemVersion:
    number = len(item.versions) + 1
    defaults = dict(kind=ItemKind.grant, benefit_kind="rate", rate=Decimal("1"), rate_base="revenue",
                    cap=Decimal("50"), materials=["营业执照复印件", "上年度财务审计报告"], promised_days=15)
    defaults.update(content)
    version = PolicyItemVersion(item=item, number=number, name=name, department_id=department.id, mode=mode,
                                rules=list(rules), reviews=list(reviews), **defaults)
    db.session.add(version)
    db.session.flush()
    item.current_version_id = version.id
    db.session.flush()
    return version


def profile(uscc: str, name: str, district: str, revenue=None, revenue_updated=FRESH, qualifications=HIGH_TECH,
            phone: str | None = None, member: Respondent | None = None, opted_out=False) -> EnterpriseProfile:
    updated = {"qualifications": FRESH}
    if revenue is not None and revenue_updated:
        updated["revenue"] = revenue_updated
    found = EnterpriseProfile(uscc=uscc, name=name, district=district, industry="C3911", size="小型",
                              revenue=None if revenue is None else Decimal(str(revenue)),
                              qualifications=qualifications, field_updated=updated, respondent=member,
                              push_opted_out_at=datetime(2026, 11, 1, tzinfo=timezone.utc) if opted_out else None)
    if phone:
        vault = current_vault()
        e164 = "+86" + phone
        found.contact_phone, found.contact_phone_hash = vault.seal(e164), vault.lookup_hash(e164)
        found.contact_phone_masked = mask(e164)
    db.session.add(found)
    return found


def build(make_department) -> World:
    department = make_department("KJ", "市科技局")
    seed_pool({"四上企业": 2})
    member = db.session.scalars(select(Respondent).order_by(Respondent.id)).first()
    p = {
        "eligible": profile("91000000000000001A", "甲科技有限公司", "高新区", 2500, phone="13800000001"),
        "ineligible": profile("91000000000000002B", "乙制造有限公司", "城关区", 800, phone="13800000002"),
        "missing": profile("91000000000000003C", "丙商贸有限公司", "高新区", None, phone="13800000003"),
        "stale": profile("91000000000000004D", "丁服务有限公司", "城关区", 3000, revenue_updated="2024-01-01",
                         phone="13800000004"),
        "no_phone": profile("91000000000000005E", "戊材料有限公司", "高新区", 5000),
        "member": profile("91000000000000006F", "己电子有限公司", "城关区", 4000, member=member),
        "opted_out": profile("91000000000000007G", "庚软件有限公司", "高新区", 2100, phone="13800000007",
                             opted_out=True),
    }
    item = make_item(department, "ZC-2026-012-01", "高新技术企业研发奖补")
    review_item = make_item(department, "ZC-2026-012-02", "高新技术企业贷款贴息",
                            reviews=[{"label": "近三年无重大安全事故", "legal_ref": "第五条"}],
                            benefit_kind="fixed", amount=Decimal("20"))
    db.session.add_all([PolicyWindow(name="市政务服务中心惠企政策兑现专窗", address="市民中心一楼B区12号",
                                     hours="工作日 9:00-17:00", phone="0571-88880000", sort_order=1),
                        PolicyWindow(name="高新区政务服务中心惠企专窗", district="高新区", address="科技大道8号",
                                     hours="工作日 9:00-17:30", phone="0571-88881111", sort_order=2),
                        PolicyWindow(name="城关区政务服务中心惠企专窗", district="城关区", address="城关路1号",
                                     hours="工作日 8:30-17:00", phone="0571-88882222", sort_order=3)])
    db.session.commit()
    return World(item, item.current, review_item, review_item.current, p)


@pytest.fixture
def world(app, make_department) -> World:
    return build(make_department)


@pytest.fixture
def officer(make_user, login):
    user = make_user("policy")
    login(user)
    return user


def results(run) -> dict[int, PolicyMatchResult]:
    return {r.profile_id: r for r in db.session.scalars(select(PolicyMatchResult)
                                                          .where(PolicyMatchResult.run_id == run.id))}


# --------------------------------------------------------------------------- the service

def test_the_four_results_with_their_traces(world):
    run = matching.run(world.version, today=TODAY)
    db.session.commit()
    found = results(run)
    p = world.profiles
    eligible = found[p["eligible"].id]
    assert eligible.result == "eligible"
    assert [e["state"] for e in eligible.trace] == ["holds", "holds"]
    assert eligible.trace[0]["values"] == {"revenue": 2500.0}
    ineligible = found[p["ineligible"].id]
    assert ineligible.result == "ineligible"
    assert ineligible.trace[0]["state"] == "fails" and ineligible.trace[0]["values"] == {"revenue": 800.0}
    assert ineligible.trace[1]["state"] == "holds"
    assert found[p["missing"].id].result == "missing"
    assert run.counts == {"eligible": 4, "likely": 0, "missing": 2, "ineligible": 1}
    assert run.profiles == 7
    # The same profiles against an item with a condition a person checks: those meeting the rules are 可能符合.
    review_run = matching.run(world.review_version, today=TODAY)
    review = results(review_run)
    assert review[p["eligible"].id].result == "likely"
    assert review[p["ineligible"].id].result == "ineligible"
    assert review_run.counts["likely"] == 4 and review_run.counts["eligible"] == 0


def test_an_empty_or_stale_field_gives_missing_data_naming_it_never_ineligible(world):
    run = matching.run(world.version, today=TODAY)
    found = results(run)
    empty, stale = found[world.profiles["missing"].id], found[world.profiles["stale"].id]
    assert empty.result == stale.result == "missing"
    assert empty.trace[0] == {"index": 0, "state": "unknown", "values": {"revenue": None}, "missing": ["revenue"]}
    assert stale.trace[0]["state"] == "unknown" and stale.trace[0]["stale"] == ["revenue"]
    from app.policy.explain import summary
    assert summary(world.version, empty.result, empty.trace) == "缺少信息：上年营业收入"
    assert summary(world.version, stale.result, stale.trace) == "缺少信息：上年营业收入"


def test_counts_per_district_and_the_audit_entry(world):
    run = matching.run(world.version, today=TODAY)
    db.session.commit()
    assert run.by_district == {
        "城关区": {"eligible": 1, "likely": 0, "missing": 1, "ineligible": 1},
        "高新区": {"eligible": 3, "likely": 0, "missing": 1, "ineligible": 0},
    }
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.match")).one()
    assert entry.target == f"policy_item_version:{world.version.id}"
    assert entry.details["profiles"] == 7 and entry.details["eligible"] == 4
    assert not any("有限公司" in str(v) for v in entry.details.values())  # counts only, no names
    assert matching.latest_run(world.version).id == run.id


def test_a_run_of_many_profiles_is_stored_in_bulk(world):
    rows = [EnterpriseProfile(uscc=f"92{n:016d}", name=f"批量企业{n}", district="城关区",
                              revenue=Decimal(1000 + n), qualifications=HIGH_TECH,
                              field_updated={"revenue": FRESH, "qualifications": FRESH}) for n in range(2500)]
    db.session.add_all(rows)
    db.session.commit()
    run = matching.run(world.version, today=TODAY)
    db.session.commit()
    assert run.profiles == 2507
    assert db.session.scalar(select(func.count()).select_from(PolicyMatchResult)
                             .where(PolicyMatchResult.run_id == run.id)) == 2507
    assert run.counts["eligible"] == 4 + 1500  # revenues 2000..3499


# --------------------------------------------------------------------------- the staff's pages

def test_the_officer_runs_a_match_and_reads_counts_reasons_and_a_trace(client, world, officer):
    page = client.get(f"/admin/policy/push/items/{world.item.id}").get_data(as_text=True)
    assert "此版本尚未匹配" in page
    flashed = client.post_form(f"/admin/policy/push/items/{world.item.id}/match", follow_redirects=True)
    assert "已匹配7家企业" in flashed.get_data(as_text=True)
    page = client.get(f"/admin/policy/push/items/{world.item.id}").get_data(as_text=True)
    assert "高新区" in page and "城关区" in page
    assert "不符合：上年营业收入2000万元以上（第三条第一款）" in page
    assert "缺少信息：上年营业收入" in page
    # Filtered to one result and one district.
    page = client.get(f"/admin/policy/push/items/{world.item.id}?result=missing&district=城关区").get_data(
        as_text=True)
    assert "丁服务有限公司" in page and "丙商贸有限公司" not in page and "甲科技有限公司" not in page
    # One enterprise's full trace.
    run = matching.latest_run(world.version)
    result = results(run)[world.profiles["ineligible"].id]
    page = client.get(f"/admin/policy/push/results/{result.id}").get_data(as_text=True)
    assert "乙制造有限公司" in page and "不符合" in page and "有效期内的高新技术企业" in page and "800" in page


def test_only_policy_officers_reach_the_pages(app, client, world, make_user, login):
    path = f"/admin/policy/push/items/{world.item.id}"
    assert client.get(path).status_code == 302  # to the login page
    login(make_user("forum"))
    assert client.get(path).status_code == 403
    assert client.post_form(f"/admin/policy/push/items/{world.item.id}/match").status_code == 403
    assert matching.latest_run(world.version) is None
    assert client.get("/admin/policy/push/").status_code == 403


# --------------------------------------------------------------------------- the command line

def test_cli_match_writes_one_csv_row_per_enterprise(runner, world):
    result = runner.invoke(args=["policy", "match", "ZC-2026-012-01", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert rows[0] == ["统一社会信用代码", "企业名称", "结果", "判定条件"]
    by_uscc = {row[0]: row for row in rows[1:]}
    assert len(by_uscc) == 7
    assert by_uscc["91000000000000001A"][2] == "符合" and by_uscc["91000000000000001A"][3] == ""
    assert by_uscc["91000000000000002B"][2:] == ["不符合", "上年营业收入2000万元以上（第三条第一款）"]
    assert by_uscc["91000000000000003C"][2:] == ["缺少信息", "上年营业收入2000万元以上（第三条第一款）"]
    assert matching.latest_run(world.version) is not None  # the run is kept


def test_cli_match_is_formula_safe_and_refuses_an_unknown_code(runner, world):
    world.profiles["eligible"].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    result = runner.invoke(args=["policy", "match", "ZC-2026-012-01", "--format", "csv"])
    text = result.stdout_bytes.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    result = runner.invoke(args=["policy", "match", "NO-SUCH-CODE"])
    assert result.exit_code != 0 and "NO-SUCH-CODE" in result.output


def test_the_results_of_a_run_come_with_their_profiles_in_one_query(world):
    """The officer's list and `flask policy match --format csv` read every result's enterprise: one query."""
    from sqlalchemy import event

    run = matching.run(world.version, today=TODAY)
    db.session.commit()
    db.session.expire_all()
    assert run.id  # (the run itself reloaded before counting)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        names = [found.profile.name for found in db.session.scalars(matching.results_query(run))]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(names) == 7 and "甲科技有限公司" in names
    assert len(statements) == 1, statements
