"""The public policy catalogue (/policies) and its self-check: no login, no JavaScript, nothing stored."""
from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import inspect, text

from app.extensions import db
from app.policy.models import (
    DeliveryMode,
    ItemKind,
    ItemStatus,
    Policy,
    PolicyItem,
    PolicyItemVersion,
    PolicyLevel,
    PolicyWindow,
)

HIGH_TECH_RULES = [
    {"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上", "legal_ref": "第三条第一款"},
    {"expression": "{qualifications} contains '高新技术企业'", "label": "持有有效的高新技术企业证书",
     "legal_ref": "第三条第二款"},
    {"expression": "{age_years} >= 2", "label": "成立满两年", "legal_ref": "第三条第三款"},
]


def make_item(department, code: str, name: str, *, status=ItemStatus.published, kind=ItemKind.grant,
              level=PolicyLevel.city, title="关于支持高新技术企业发展的若干措施", doc_number="市政发〔2026〕12号",
              rules=None, reviews=None, sizes=(), industries=(), mode=DeliveryMode.review, source_url="",
              benefit=None) -> PolicyItem:
    policy = Policy(title=title, issuer="市人民政府", level=level, doc_number=doc_number,
                    issued_on=date(2026, 3, 1), valid_from=date(2026, 3, 1), valid_to=date(2028, 12, 31),
                    source_url=source_url)
    item = PolicyItem(policy=policy, code=code, status=status)
    version = PolicyItemVersion(item=item, number=1, name=name, kind=kind, department=department, mode=mode,
                                materials=["营业执照复印件", "上年度财务审计报告"], promised_days=15,
                                rules=list(rules if rules is not None else HIGH_TECH_RULES),
                                reviews=list(reviews if reviews is not None else
                                             [{"label": "近三年无重大安全事故", "legal_ref": "第五条"}]),
                                sizes=list(sizes), industries=list(industries),
                                **(benefit or {"benefit_kind": "fixed", "amount": Decimal("50")}))
    db.session.add_all([policy, item, version])
    db.session.flush()
    item.current_version_id = version.id
    db.session.commit()
    return item


@pytest.fixture
def catalogue(app, make_department):
    science = make_department(name="市科技局")
    finance = make_department(name="市财政局")
    db.session.add(PolicyWindow(name="市政务服务中心惠企政策兑现专窗", address="市民中心B座2楼12号窗口",
                                hours="工作日 9:00–17:00", phone="0571-8888 1234", sort_order=1))
    items = {
        "hightech": make_item(science, "ZC-2026-012-01", "高新技术企业认定奖励", industries=["C", "I"],
                              source_url="https://www.example.gov.cn/zc/12.html"),
        "tax": make_item(finance, "ZC-2026-013-01", "小微企业房产税减免", kind=ItemKind.tax,
                         level=PolicyLevel.provincial, title="关于减轻小微企业税费负担的通知",
                         doc_number="省财税〔2026〕3号", sizes=["小型", "微型"], mode=DeliveryMode.automatic,
                         rules=[{"expression": "{size} = '小型' or {size} = '微型'", "label": "小型或微型企业",
                                 "legal_ref": "第二条"}], reviews=[],
                         benefit={"benefit_kind": "rate", "rate": Decimal("10"), "rate_base": "tax_paid",
                                  "cap": Decimal("20")}),
        "draft": make_item(science, "ZC-2026-014-01", "研发费用后补助草案", status=ItemStatus.draft),
        "repealed": make_item(science, "ZC-2025-001-01", "旧版科技型企业补助", status=ItemStatus.repealed),
    }
    return items


def listed_codes(html: str) -> set[str]:
    return set(re.findall(r'href="/policies/([A-Z0-9-]+)"', html))


def test_catalogue_lists_only_published_items_without_login(client, catalogue):
    response = client.get("/policies")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert listed_codes(html) == {"ZC-2026-012-01", "ZC-2026-013-01"}
    assert "研发费用后补助草案" not in html and "旧版科技型企业补助" not in html
    assert "<script" not in html  # the page works with no JavaScript at all
    assert re.search(r'<form method="get" action="/policies"', html)  # search is a plain GET form


@pytest.mark.parametrize("code", ["ZC-2026-014-01", "ZC-2025-001-01", "NO-SUCH-ITEM"])
def test_draft_repealed_or_unknown_item_page_is_not_found(client, catalogue, code):
    assert client.get(f"/policies/{code}").status_code == 404


@pytest.mark.parametrize("query, expected", [
    ({"q": "房产税"}, {"ZC-2026-013-01"}),  # item name
    ({"q": "高新技术企业发展"}, {"ZC-2026-012-01"}),  # policy title
    ({"q": "省财税〔2026〕3号"}, {"ZC-2026-013-01"}),  # 文号
    ({"q": "草案"}, set()),  # a draft is never found
    ({"q": "100%"}, set()),  # a wildcard is a character, not a pattern
    ({"kind": "tax"}, {"ZC-2026-013-01"}),
    ({"level": "city"}, {"ZC-2026-012-01"}),
    ({"size": "中型"}, {"ZC-2026-012-01"}),  # no sizes: for every size; the tax relief is for small and micro
    ({"size": "微型"}, {"ZC-2026-012-01", "ZC-2026-013-01"}),
    ({"industry": "C"}, {"ZC-2026-012-01", "ZC-2026-013-01"}),  # no industries: for every industry
    ({"industry": "A"}, {"ZC-2026-013-01"}),
    ({"kind": "nonsense", "level": "x", "size": "巨型", "department": "abc"}, {"ZC-2026-012-01", "ZC-2026-013-01"}),
])
def test_search_and_filters(client, catalogue, query, expected):
    response = client.get("/policies", query_string=query)
    assert response.status_code == 200
    assert listed_codes(response.get_data(as_text=True)) == expected


def test_department_filter(client, catalogue):
    department_id = catalogue["tax"].current.department_id
    html = client.get("/policies", query_string={"department": department_id}).get_data(as_text=True)
    assert listed_codes(html) == {"ZC-2026-013-01"}
    assert '>C 制造业</option>' in html  # the industry sections offered with their names
    # The filter offers only departments with a published item (the science bureau's draft does not count twice).
    assert html.count("<option value=\"%d\" selected" % department_id) == 1


def test_catalogue_paginates(client, app, make_department):
    department = make_department(name="市商务局")
    for n in range(23):
        make_item(department, f"ZC-2026-1{n:02d}-01", f"外贸稳增长奖励{n:02d}", title="外贸政策", doc_number="")
    first = client.get("/policies").get_data(as_text=True)
    second = client.get("/policies", query_string={"page": 2}).get_data(as_text=True)
    assert len(listed_codes(first)) == 20 and len(listed_codes(second)) == 3
    assert not listed_codes(first) & listed_codes(second)
    assert 'href="/policies?page=2"' in first
    assert client.get("/policies", query_string={"page": 99}).status_code == 200


def test_item_page_says_everything_in_plain_words(client, catalogue):
    response = client.get("/policies/ZC-2026-012-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for words in ("高新技术企业认定奖励", "关于支持高新技术企业发展的若干措施", "市人民政府", "市政发〔2026〕12号",
                  "2026-03-01", "2028-12-31", "上年营业收入2000万元以上", "第三条第一款", "近三年无重大安全事故",
                  "第五条", "营业执照复印件", "上年度财务审计报告", "15 个工作日", "市科技局",
                  "市政务服务中心惠企政策兑现专窗", "市民中心B座2楼12号窗口", "工作日 9:00–17:00", "0571-8888 1234",
                  "申报审核", "资金奖补", "C 制造业"):
        assert words in html, words
    assert "需人工审核" in html  # the review condition is marked as checked by a person
    assert '<a href="https://www.example.gov.cn/zc/12.html" rel="noopener noreferrer external">' in html
    assert "<script" not in html
    assert 'name="csrf_token"' in html  # the self-check is a POST form with its token


def test_a_source_that_is_no_web_address_is_not_linked(client, app, make_department):
    make_item(make_department(), "ZC-2026-020-01", "测试事项", source_url="javascript:alert(1)")
    html = client.get("/policies/ZC-2026-020-01").get_data(as_text=True)
    assert "javascript:" not in html


def test_self_check_asks_only_what_the_rules_read(client, catalogue):
    html = client.get("/policies/ZC-2026-012-01").get_data(as_text=True)
    assert 'name="revenue"' in html and 'name="registered_on"' in html
    assert 'value="高新技术企业"' in html and 'type="checkbox"' in html  # qualifications named by the rules
    assert 'name="size"' not in html and 'name="district"' not in html and 'name="tax_paid"' not in html
    tax = client.get("/policies/ZC-2026-013-01").get_data(as_text=True)
    assert 'name="size"' in tax and "<option value=\"微型\">" in tax
    assert 'name="tax_paid"' in tax  # the rate's base, for the estimate
    assert 'name="revenue"' not in tax


def row_counts() -> dict[str, int]:
    tables = inspect(db.engine).get_table_names()
    return {t: db.session.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}


def check(client, code: str, data: dict):
    return client.post_form(f"/policies/{code}", data)


def test_self_check_gives_the_result_with_its_trace_and_stores_nothing(client, app, catalogue, caplog):
    caplog.set_level(logging.DEBUG)
    before = row_counts()
    eligible = check(client, "ZC-2026-012-01", {"revenue": "2500", "registered_on": "2020-05-01",
                                                "qualifications": ["高新技术企业"]})
    assert eligible.status_code == 200
    html = eligible.get_data(as_text=True)
    assert "可能符合" in html  # every rule holds, a review condition remains
    assert "trace-holds" in html and "50 万元" in html  # the fixed amount as the estimate

    missing = check(client, "ZC-2026-012-01", {"revenue": "2500", "qualifications": ["高新技术企业"]}) \
        .get_data(as_text=True)
    assert "缺少信息" in missing and "补充以下信息后可判断：成立日期" in missing  # named as the question asked

    ineligible = check(client, "ZC-2026-012-01", {"revenue": "800", "registered_on": "2020-05-01"}) \
        .get_data(as_text=True)
    assert "不符合" in ineligible and "trace-fails" in ineligible and "第三条第一款" in ineligible

    small = check(client, "ZC-2026-013-01", {"size": "小型", "tax_paid": "300"}).get_data(as_text=True)
    assert ">符合<" in small and "20 万元" in small  # 10% of 300 is 30, capped at 20
    assert row_counts() == before  # no row added or removed anywhere: nothing was stored
    assert "2500" not in caplog.text and "2020-05-01" not in caplog.text  # nor logged
    cookie = client.get_cookie("session")
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}
    assert set(session) <= {"csrf_token"}  # nor kept in the visitor's session


def test_self_check_bad_input_is_named_and_nothing_decided(client, catalogue):
    response = check(client, "ZC-2026-012-01", {"revenue": "很多", "registered_on": "2020-05-01"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="err"' in html and 'id="result"' not in html


def test_self_check_needs_the_csrf_token(client, catalogue):
    response = client.post("/policies/ZC-2026-012-01", data={"revenue": "2500"})
    assert response.status_code in (400, 200)
    assert 'id="result"' not in response.get_data(as_text=True)


def test_self_check_is_rate_limited(client, app, catalogue):
    app.config["POLICY_SELF_CHECK_RATE_LIMIT"] = "2 per hour"
    token = client.csrf_token()
    codes = [client.post("/policies/ZC-2026-013-01", data={"csrf_token": token, "size": "小型"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/policies/ZC-2026-013-01").status_code == 200  # reading is not limited


def test_catalogue_is_the_same_for_staff_of_any_role(client, catalogue, make_user, login):
    anonymous = listed_codes(client.get("/policies").get_data(as_text=True))
    login(make_user("liaison", username="someone"))
    assert client.get("/policies").status_code == 200
    assert listed_codes(client.get("/policies").get_data(as_text=True)) == anonymous
    assert client.get("/policies/ZC-2026-012-01").status_code == 200


def test_pages_and_the_result_are_in_chinese(client, catalogue):
    from tests.integration.test_language import foreign_words, visible_text

    pages = {
        "/policies": client.get("/policies"),
        "/policies?kind=tax": client.get("/policies", query_string={"kind": "tax"}),
        "item": client.get("/policies/ZC-2026-012-01"),
        "missing": check(client, "ZC-2026-012-01", {"revenue": "2500"}),
        "bad input": check(client, "ZC-2026-012-01", {"revenue": "x", "registered_on": "1800-01-01"}),
        "rate": check(client, "ZC-2026-013-01", {"size": "小型", "tax_paid": "300"}),
    }
    make_item(catalogue["hightech"].current.department, "ZC-2026-015-01", "制造业研发投入奖励",
              rules=[{"expression": "{industry_door} = 'C' and {district} = '高新区'", "label": "高新区制造业企业"},
                     {"expression": "{employees} >= 20 and {rd_ratio} >= 3", "label": "研发人员与投入达标"}],
              benefit={"benefit_kind": "text", "benefit_text": "优先推荐申报省级项目"})
    pages["every kind of question"] = client.get("/policies/ZC-2026-015-01")
    pages["bad industry"] = check(client, "ZC-2026-015-01", {"industry": "Z99", "employees": "-1", "rd_ratio": "101"})
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert foreign_words(visible_text(response.get_data(as_text=True)), set()) == [], where
    bad = pages["bad industry"].get_data(as_text=True)
    assert "“Z”不是国民经济行业分类的门类" in bad and bad.count('class="err"') == 3 and 'id="result"' not in bad


def test_self_check_reads_the_industry_code_district_and_figures(client, catalogue):
    make_item(catalogue["hightech"].current.department, "ZC-2026-015-01", "制造业研发投入奖励",
              rules=[{"expression": "{industry_door} = 'C' and {district} = '高新区'", "label": "高新区制造业企业"},
                     {"expression": "{employees} >= 20 and {rd_ratio} >= 3", "label": "研发人员与投入达标"}],
              reviews=[], benefit={"benefit_kind": "text", "benefit_text": "优先推荐申报省级项目"})
    page = client.get("/policies/ZC-2026-015-01").get_data(as_text=True)
    for name in ("industry", "district", "employees", "rd_ratio"):
        assert f'name="{name}"' in page
    assert "优先推荐申报省级项目" in page
    eligible = check(client, "ZC-2026-015-01", {"industry": "3911", "district": "高新区", "employees": "25",
                                                "rd_ratio": "3.5"}).get_data(as_text=True)
    assert ">符合<" in eligible and "预计金额" not in eligible  # digits alone: the section follows; no amount
    elsewhere = check(client, "ZC-2026-015-01", {"industry": "C3911", "district": "滨江区"}).get_data(as_text=True)
    assert "不符合" in elsewhere  # the first rule fails on what was entered; the figures left empty do not matter


def test_an_item_whose_rule_does_not_parse_still_shows_without_a_self_check(client, catalogue):
    make_item(catalogue["hightech"].current.department, "ZC-2026-016-01", "规则有误的事项",
              rules=[{"expression": "{revenue} >= ", "label": "上年营业收入达标"}])
    response = client.get("/policies/ZC-2026-016-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "上年营业收入达标" in html and "本事项暂不支持自测" in html and 'name="revenue"' not in html
    assert check(client, "ZC-2026-016-01", {"revenue": "1"}).status_code == 200


def test_the_landing_page_links_to_the_catalogue(client):
    html = client.get("/", follow_redirects=True).get_data(as_text=True)  # a visitor lands on the login page
    assert '<a href="/policies">惠企政策</a>' in html
