"""Every step an application's history and the audit log record has a name (issue 18): a step added without one
would show its code to the enterprise on its tracking page and to the auditor."""
import re
from pathlib import Path

from app.casework.models import CaseEvent
from app.policy_window.labels import STEPS

PACKAGE = Path(__file__).resolve().parents[2] / "app" / "policy_window"
MOVE = re.compile(r'\bmove\(\s*[\w.]+,\s*[\w.]+,\s*"([a-z_]+)"')
EVENT = re.compile(r'casework\.event\(\s*[\w.]+,\s*"([a-z_]+)"')


def test_every_recorded_step_of_an_application_has_a_name():
    steps = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        steps.update(MOVE.findall(text))
        steps.update(EVENT.findall(text))
    assert "applied" in steps  # the scan found the code's calls
    assert sorted(steps - STEPS.keys()) == []
    assert [step for step in STEPS if len(step) > CaseEvent.kind.type.length] == []  # a history step's name fits
