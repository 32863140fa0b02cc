"""The policy officer's profile pages (list, profile, edit, import with its preview) and `flask profiles import`."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.calendar import local_today
from app.profiles.models import EnterpriseProfile
from tests.integration.test_profiles_import import ROWS, A, B, C, csv_bytes, profile, run

PAGES = ["/admin/profiles/", f"/admin/profiles/{A}", f"/admin/profiles/{A}/edit", "/admin/profiles/import"]


@pytest.fixture
def officer(make_user, login):
    user = make_user("policy")
    login(user)
    return user


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(EnterpriseProfile))


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def upload(client, data: bytes, filename="profiles.csv"):
    return client.post_form("/admin/profiles/import", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")


@pytest.mark.parametrize("role", ["liaison", "operator", "hr"])
def test_the_pages_need_the_policy_role(app, client, make_user, login, role):
    run(csv_bytes(ROWS))
    login(make_user(role))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post_form("/admin/profiles/import", {}).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    run(csv_bytes(ROWS))
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["policy", "admin"])
def test_the_policy_officer_and_the_admin_see_the_pages_and_the_menu_entry(app, client, make_user, login, role):
    run(csv_bytes(ROWS))
    login(make_user(role))
    for path in PAGES:
        page(client, path)
    assert 'href="/admin/profiles/"' in page(client, "/")
    assert "企业画像" in page(client, "/")


def test_the_list_searches_and_filters(app, client, officer):
    run(csv_bytes(ROWS))
    listing = page(client, "/admin/profiles/")
    assert all(name in listing for name in ("星河电子有限公司", "青禾软件科技有限公司", "李记餐饮"))
    assert "3 个企业画像" in listing
    found = page(client, "/admin/profiles/?q=星河")
    assert "星河电子有限公司" in found and "李记餐饮" not in found
    found = page(client, f"/admin/profiles/?q={B.lower()}")
    assert "青禾软件科技有限公司" in found and "星河电子有限公司" not in found
    found = page(client, "/admin/profiles/?q=东湖")  # the district
    assert "李记餐饮" in found and "星河电子有限公司" not in found
    found = page(client, "/admin/profiles/?size=小型")
    assert "青禾软件科技有限公司" in found and "李记餐饮" not in found
    found = page(client, "/admin/profiles/?district=高新区")
    assert "星河电子有限公司" in found and "青禾软件科技有限公司" not in found
    # missing: 李记餐饮 has no R&D ratio and no qualifications given... but an empty 资质 cell is a known "none"
    found = page(client, "/admin/profiles/?incomplete=missing")
    assert "李记餐饮" in found and "星河电子有限公司" not in found
    star = profile(A)
    star.field_updated = {**star.field_updated, "revenue": (local_today() - timedelta(days=600)).isoformat()}
    db.session.commit()
    found = page(client, "/admin/profiles/?incomplete=stale")
    assert "星河电子有限公司" in found and "李记餐饮" not in found and "青禾软件科技有限公司" not in found
    assert "没有符合条件的企业画像" in page(client, "/admin/profiles/?q=不存在的企业")


def test_the_list_is_paginated(app, client, officer):
    from eligibility.uscc import check_character

    rows = []
    for n in range(55):
        first17 = f"9135010000000{n:04d}"
        rows.append([first17 + check_character(first17), f"企业{n:02d}"])
    report, plan = run(csv_bytes(rows, header=["统一社会信用代码", "企业名称"]))
    assert report.created == 55, plan.errors[:3]
    first = page(client, "/admin/profiles/")
    assert "企业00" in first and "企业54" not in first and "page=2" in first
    second = page(client, "/admin/profiles/?page=2")
    assert "企业54" in second and "企业00" not in second


def test_a_profile_shows_each_field_with_its_day_stale_and_expired_marks_and_a_masked_phone(app, client, officer):
    run(csv_bytes(ROWS))
    star = profile(A)
    old = (local_today() - timedelta(days=600)).isoformat()
    star.field_updated = {**star.field_updated, "employees": old}
    star.qualifications = [{"name": "高新技术企业", "valid_to": "2020-12-31"}, {"name": "专精特新", "valid_to": None}]
    db.session.commit()
    shown = page(client, f"/admin/profiles/{A}")
    assert '<code translate="no">C3911</code> 计算机、通信和其他电子设备制造业' in shown
    assert "138****0001" in shown and "13800000001" not in shown
    assert old in shown and local_today().isoformat() in shown
    row = re.search(r"从业人数</th>.*?</tr>", shown, re.S).group()
    assert "230" in row and "过期" in row
    qualifications = re.search(r"资质</th>.*?</tr>", shown, re.S).group()
    assert "有效期至 2020-12-31" in qualifications and "已过期" in qualifications
    assert qualifications.count("已过期") == 1
    assert "不在样本库中" in shown
    lee = page(client, f"/admin/profiles/{C}")
    assert re.search(r"研发投入占比（%）</th>.*?缺失", lee, re.S)
    assert client.get("/admin/profiles/91350100M000100Y40").status_code == 404


def test_the_edit_form_saves_changes_and_dates_only_the_changed_fields(app, client, officer):
    run(csv_bytes(ROWS))
    star = profile(A)
    old = (local_today() - timedelta(days=600)).isoformat()
    star.field_updated = {key: old for key in star.field_updated}
    db.session.commit()
    form = page(client, f"/admin/profiles/{A}/edit")
    assert 'value="138****0001"' in form and "高新技术企业（有效期至2027-12-31）；专精特新" in form
    data = {"name": "星河电子有限公司", "industry": "C3911", "size": "中型", "district": "高新区",
            "registered_on": "2015-03-18", "revenue": "15000", "employees": "230", "tax_paid": "612.4",
            "rd_ratio": "5.2", "qualifications": "高新技术企业（有效期至2027-12-31）\n专精特新",
            "contact_name": "周敏", "contact_phone": "138****0001", "member_key": ""}
    response = client.post_form(f"/admin/profiles/{A}/edit", data)
    assert response.status_code == 302
    star = profile(A)
    assert str(star.revenue) == "15000.00"
    assert star.field_updated["revenue"] == local_today().isoformat()
    assert star.field_updated["employees"] == old and star.field_updated["qualifications"] == old
    assert star.contact_phone_masked == "138****0001"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "profile.update")).one()
    assert entry.details["fields"] == ["revenue"]

    bad = {**data, "industry": "A39", "size": "巨型", "contact_phone": "12345", "member_key": "P999999"}
    response = client.post_form(f"/admin/profiles/{A}/edit", bad)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "大类 39 属于门类 C" in text and "不是有效的中国大陆手机号码" in text
    assert "P999999" in text
    assert profile(A).industry == "C3911"


def test_the_import_page_previews_then_imports_on_confirmation(app, client, officer):
    response = upload(client, csv_bytes(ROWS, encoding="gb18030"))
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    text = preview.get_data(as_text=True)
    assert "将新建 3 个画像" in text and count() == 0
    done = client.post_form(response.headers["Location"], {"action": "commit"})
    assert done.status_code == 302 and count() == 3
    assert "新建 3 个" in page(client, "/admin/profiles/")


def test_the_import_page_lists_errors_by_row_and_column_and_offers_no_import(app, client, officer):
    rows = [list(r) for r in ROWS]
    rows[2][0] = rows[2][0][:17] + ("0" if rows[2][0][17] != "0" else "1")
    response = upload(client, csv_bytes(rows))
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<td>4</td><td>统一社会信用代码</td>.*?校验码错误", preview)
    assert 'value="commit"' not in preview
    # forcing the commit anyway writes nothing
    client.post_form(response.headers["Location"], {"action": "commit"})
    assert count() == 0


def test_another_users_staged_file_is_not_found(app, client, make_user, login, officer):
    response = upload(client, csv_bytes(ROWS))
    location = response.headers["Location"]
    client.post_form("/logout")
    login(make_user("policy", username="second-officer"))
    assert client.get(location).headers["Location"].endswith("/admin/profiles/import")
    client.post_form(location, {"action": "commit"})
    assert count() == 0


def test_the_cli_imports_a_good_file_and_refuses_a_bad_one_with_exit_status_1(app, runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(ROWS, encoding="gb18030"))
    result = runner.invoke(args=["profiles", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output and count() == 3

    rows = [list(r) for r in ROWS]
    rows[1][0] = rows[1][0][:17] + ("0" if rows[1][0][17] != "0" else "1")
    rows[1][1] = "青禾软件（改名）"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows))
    result = runner.invoke(args=["profiles", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 3, 统一社会信用代码:" in result.output and "nothing imported" in result.output
    db.session.expire_all()
    assert profile(B).name == "青禾软件科技有限公司"


def test_the_list_reads_the_pool_members_of_a_page_at_once(app, client, officer):
    """A page of 50 profiles linked to pool members costs a fixed number of queries, not one per row."""
    from sqlalchemy import event

    from app.pool.models import Respondent
    from eligibility.uscc import check_character
    from tests.integration.test_pool_import import csv_bytes as pool_csv, run_import

    run_import(pool_csv([[f"成员{n}", "sme", "城关区", f"单位{n}", f"1380000{n:04d}"] for n in range(40)]))
    for n, member in enumerate(db.session.scalars(select(Respondent).order_by(Respondent.id))):
        first17 = f"9135010000000{n:04d}"
        db.session.add(EnterpriseProfile(uscc=first17 + check_character(first17), name=f"企业{n:02d}",
                                         respondent_id=member.id))
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        text = page(client, "/admin/profiles/")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "P000040" in text and "企业39" in text
    assert len([s for s in statements if "respondents" in s.lower()]) <= 2, statements


def test_an_enterprise_that_asked_for_no_policy_messages_gets_them_again_only_with_a_reason(app, client, officer):
    run(csv_bytes(ROWS))
    star = profile(A)
    assert "恢复推送" not in page(client, f"/admin/profiles/{A}")  # nothing to restore
    star.push_opted_out_at = datetime.now(timezone.utc)
    db.session.commit()
    assert "恢复推送" in page(client, f"/admin/profiles/{A}")
    client.post_form(f"/admin/profiles/{A}/push-restore", {"reason": "否"})
    db.session.refresh(star)
    assert star.push_opted_out_at is not None  # no reason given: nothing changes
    client.post_form(f"/admin/profiles/{A}/push-restore", {"reason": "企业致电窗口要求恢复"})
    db.session.refresh(star)
    assert star.push_opted_out_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "profile.push_restore")) == 1
