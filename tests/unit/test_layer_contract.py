"""The layer contract (.importlinter) holds, and it is not vacuous: an upward import breaks the build."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "eligibility", "forms", "questionnaire", "rules", "sampling", "scoring")
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
        "--no-cache"]


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=cwd, capture_output=True, text=True)


def test_the_source_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture()
def tree(tmp_path):
    """A copy of the sources and the contract, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "translations"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("app/complaints/models.py", "from app.complaints import service", "A domain's models import no service"),
    ("app/platform/calendar.py", "from app.departments.models import Department", "Domains are layered"),
    ("app/departments/service.py", "from app.rounds import draws", "Domains are layered"),
    ("app/assessment/scoring.py", "from app.complaints import routes", "No domain imports another domain's routes"),
    ("app/responses/store.py", "from app.pool.models import Respondent", "The response store knows no person"),
    ("app/rounds/service.py", "from app.models import Campaign", "The model registry"),
    ("scoring/ranking.py", "import flask", "The pure cores import neither"),
    ("eligibility/evaluation.py", "from app.extensions import db", "The pure cores import neither"),
    ("app/profiles/models.py", "from app.policy.models import Policy", "Domains are layered"),
    ("rules/expressions.py", "import questionnaire", "The expression language is the standard library only"),
    ("forms/fields.py", "from app.extensions import db", "forms/ builds WTForms"),
])
def test_an_import_against_the_layers_breaks_the_contract(tree, module, line, contract):
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # deliberate\n", encoding="utf-8")
    result = lint(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout
