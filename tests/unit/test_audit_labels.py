"""Every action the code records, and every kind of target, has a name on the auditor's page (issue 23): an
action added without one would show its code to the auditor."""
import re
from pathlib import Path

import app.policy_window.labels  # noqa: F401 (registers the names of an application's steps)
from app.audit.labels import ACTIONS, CASE_STEPS, TARGETS
from app.casework.models import CaseKind
from app.rounds.models import CampaignStatus

APP = Path(__file__).resolve().parents[2] / "app"
CASE_STEP = re.compile(r'_audit\([\w.]+, "([a-z_.]+)"')  # app/casework records "<kind>.<step>"
ACTION = re.compile(r'record\(\s*"([a-z_.]+)"')
TARGET = re.compile(r'record\(\s*"[a-z_.]+",\s*f?"([a-z_-]+)')


def recorded_in_the_code() -> tuple[set[str], set[str]]:
    actions, targets = set(), set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        actions.update(ACTION.findall(text))
        targets.update(TARGET.findall(text))
    return actions, targets


def test_every_recorded_action_and_target_kind_has_a_name():
    actions, targets = recorded_in_the_code()
    assert len(actions) > 60  # the scan found the code's calls (it once matched nothing)
    # a round's moves are recorded as campaign.<its new status> (app/rounds/service.py)
    actions |= {f"campaign.{status.value}" for status in CampaignStatus if status != CampaignStatus.draft}
    assert sorted(actions - ACTIONS.keys()) == []
    assert sorted(targets - TARGETS.keys()) == []


def test_every_step_of_every_kind_of_case_has_a_name():
    steps = set()
    for path in (APP / "casework").rglob("*.py"):
        steps.update(CASE_STEP.findall(path.read_text(encoding="utf-8")))
    assert len(steps) > 10
    assert sorted(steps - CASE_STEPS.keys()) == []
    assert sorted({kind.value for kind in CaseKind} - TARGETS.keys()) == []
