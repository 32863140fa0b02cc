"""Helpers of the browser tests: logging in, the Chinese text of a message, axe-core, and the data a
scenario starts from (seeded through the services, as the earlier steps of the story would have left it)."""
from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.pool import importing as pool_import
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.rounds import draws, sending, service as rounds
from app.rounds.models import Campaign, LinkMode

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every browser test then
    expect = None

PASSWORD = "correct horse battery"  # what make_user gives every account (tests/conftest.py)
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
REPORTS = Path(os.environ.get("E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")) / "accessibility"
BLOCKING = ("serious", "critical")


def zh(msgid: str, **variables) -> str:
    """A message as the Chinese interface shows it (the catalog's translation, or the English text)."""
    with force_locale("zh"):
        return gettext(msgid, **variables)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form[action='/login'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


# --------------------------------------------------------------------------- accessibility

def axe(page) -> list[dict]:
    """Run axe-core (vendored) on the page: its violations, and the serious results it could not decide
    (``review``: axe asks a person to look; reported, never failing a test).

    The file is evaluated through the DevTools protocol, which the page's CSP does not govern; an inline
    <script> (``add_script_tag``) would rightly be refused by it.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations', 'incomplete']});
        const summary = (v, review) => ({id: v.id, impact: v.impact, help: v.help, review: review,
            nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\\s+/g, ' '))});
        const serious = result.incomplete.filter(v => ['serious', 'critical'].includes(v.impact));
        return result.violations.map(v => summary(v, false)).concat(serious.map(v => summary(v, true)));
    }""")


class Accessibility:
    """Collects axe results of a test's pages into artifacts/accessibility/<test>.txt; fails on serious ones."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []

    def check(self, page, label: str, *, blocking: bool = True) -> list[dict]:
        """Every violation is written to the report; with ``blocking``, a serious or critical one fails."""
        results = axe(page)
        violations = [v for v in results if not v["review"]]
        self.lines.append(f"## {label} ({page.url}): {len(violations)} violation(s), "
                          f"{len(results) - len(violations)} serious to review")
        for v in results:
            self.lines.append(f"- [{v['impact']}{', needs review' if v['review'] else ''}] {v['id']}: {v['help']}")
            self.lines.extend(f"    {node}" for node in v["nodes"][:10])
        self._write()
        for v in results:
            print(f"axe {label}: [{v['impact']}{' review' if v['review'] else ''}] {v['id']} {v['help']} "
                  f"{v['nodes'][:3]}")
        serious = [v for v in violations if v["impact"] in BLOCKING]
        if blocking:
            assert not serious, f"{label}: serious accessibility violations:\n" + json.dumps(serious, indent=1,
                                                                                            ensure_ascii=False)
        return violations

    def _write(self) -> None:
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{self.name}.txt").write_text("\n".join(self.lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- seeding

def import_pool(sizes: dict[str, int]) -> int:
    """Pool members per category key, through the real import; returns how many."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "类别", "区县", "单位", "手机"])
    n = 0
    for category, size in sizes.items():
        for _ in range(size):
            writer.writerow([f"成员{n}", category, "城关区", "", f"1370000{n:04d}"])
            n += 1
    plan = pool_import.check("pool.csv", buffer.getvalue().encode("utf-8"))
    assert not plan.errors, plan.errors[:3]
    pool_import.commit(plan, filename="pool.csv")
    db.session.commit()
    return n


def default_version() -> QuestionnaireVersion:
    """The default questionnaire the migrations publish."""
    return db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.published).order_by(QuestionnaireVersion.id)).first()


def invitation_text(base_url: str) -> str:
    return f"【市营商办】${{name}}您好，请于${{deadline}}前完成评价：{base_url}/s/${{token}} 回复TD退订"


def sent_round(base_url: str, departments, *, size: int, version: QuestionnaireVersion | None = None) -> Campaign:
    """An open round whose invitations went through the console SMS backend: the outbox holds the links."""
    campaign = Campaign(month="2026-11", title="十一月营商环境评价", sample_size=size)
    db.session.add(campaign)
    db.session.flush()
    text = invitation_text(base_url)
    rounds.configure(campaign, None, version=version or default_version(), departments=list(departments),
                     opens_on=None,
                     closes_on=date.today() + timedelta(days=10), link_mode=LinkMode.link,
                     sms_template_code="SMS_0001", sms_template_text=text, reminder_template_text=text,
                     max_reminders=2, reminder_spacing_days=3)
    draw = draws.freeze(campaign, None)
    draws.set_seed(draw, None, "e2e seed")
    draws.draw_sample(draw, None)
    sending.start(campaign, None)
    db.session.commit()
    sending.send_queued(campaign.id)
    db.session.commit()
    return campaign


def closed_round(departments, *, sample_size: int = 80, seed: int = 1) -> Campaign:
    """A closed round with simulated responses (~80% answering, four departments each at most): with four
    departments each has more than the default scheme's 30 raters, so every one is ranked."""
    from app.demo.assessment import build_round, simulate_responses

    campaign = build_round(date(2026, 10, 1), "十月营商环境评价", list(departments), sample_size=sample_size,
                           exclusion_window=0)
    simulate_responses(campaign, np.random.default_rng(seed), rate=0.8, picks=4, comment_rate=0.3)
    rounds.close(campaign, None)
    db.session.commit()
    return campaign
