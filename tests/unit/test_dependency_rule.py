"""The dependency rule of DESIGN.md: the pure cores stay pure; forms/ stays off the database (see also .importlinter)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_AND_DATABASE = {"flask", "flask_babel", "flask_wtf", "sqlalchemy", "flask_sqlalchemy", "app", "forms", "wtforms"}
FORBIDDEN = {
    "rules": WEB_AND_DATABASE | {"questionnaire", "numpy", "jsonschema", "openpyxl"},
    "questionnaire": WEB_AND_DATABASE,
    "sampling": WEB_AND_DATABASE,
    "scoring": WEB_AND_DATABASE,
    "forms": {"sqlalchemy", "flask_sqlalchemy", "app"},
}


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_source_does_not_import_forbidden_modules(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_level_modules(path) & FORBIDDEN[package])
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pure_cores_import_without_flask_or_sqlalchemy():
    """Importing the pure cores in a clean interpreter loads neither Flask, nor WTForms, nor SQLAlchemy."""
    code = (
        "import sys, rules, questionnaire, sampling, scoring, pkgutil, importlib\n"
        "for pkg in (rules, questionnaire, sampling, scoring):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'app', 'wtforms', 'forms'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_checker_catches_a_forbidden_import(tmp_path):
    """The AST check is not vacuous: it sees both import forms."""
    sample = tmp_path / "x.py"
    sample.write_text("import numpy\nfrom flask import Flask\nimport sqlalchemy.orm as orm\nfrom . import sibling\n")
    assert imported_top_level_modules(sample) == {"numpy", "flask", "sqlalchemy"}
