"""The public catalogue on the demo city's catalogue: every published item is listed, its page reads, and its
self-check answers with nothing entered and with a plausible enterprise's figures."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db, limiter
from app.policy.models import ItemStatus, PolicyItem
from app.policy.public import asked_fields, mentioned_qualifications
from tests.integration.test_demo_policy import city  # noqa: F401  (the demo's module-wide fixture)

PLAUSIBLE = {"industry": "C3911", "size": "小型", "district": "高新区", "registered_on": "2018-06-01",
             "revenue": "3200", "employees": "85", "tax_paid": "160", "rd_ratio": "5.2"}


def test_every_published_demo_item_is_listed_readable_and_self_checkable(city):  # noqa: F811
    client = city.test_client()
    with city.app_context():
        items = list(db.session.scalars(select(PolicyItem).where(PolicyItem.status == ItemStatus.published)))
        hidden = list(db.session.scalars(select(PolicyItem.code).where(PolicyItem.status != ItemStatus.published)))
        plans = {i.code: (asked_fields(i.current), mentioned_qualifications(i.current)) for i in items}
    assert len(items) >= 20
    listed = set()
    page = 1
    while True:
        html = client.get("/policies", query_string={"page": page}).get_data(as_text=True)
        found = set(re.findall(r'href="/policies/([^"?#]+)"', html))
        if not found - listed:
            break
        listed |= found
        page += 1
    assert listed == set(plans) and not listed & set(hidden)
    token = client.csrf_token()
    results = set()
    for code, (keys, qualifications) in plans.items():
        limiter.reset()
        assert client.get(f"/policies/{code}").status_code == 200, code
        empty = client.post(f"/policies/{code}", data={"csrf_token": token}).get_data(as_text=True)
        assert 'id="result"' in empty, code
        data = {k: v for k, v in PLAUSIBLE.items() if k in keys}
        if "qualifications" in keys:
            data["qualifications"] = qualifications[:1]
        full = client.post(f"/policies/{code}", data={"csrf_token": token, **data})
        assert full.status_code == 200, code
        body = full.get_data(as_text=True)
        assert 'id="result"' in body and 'class="err"' not in body, code
        results.add(re.search(r'class="result result-(\w+)"', body).group(1))
    assert {"eligible", "likely", "ineligible"} & results and len(results) >= 2
