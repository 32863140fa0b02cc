"""The questionnaires a designer can start from: the default 好差评 department questionnaire, a service-window
survey, an enterprise survey and a blank one.

Each is data: the default lives in ``questionnaire.defaults`` (migration 0003 installs a frozen copy of it), the
others in JSON files beside this module. Each passes ``validate_document`` and the readiness checks, so a draft
started from one can be published as it is; its XLSForm is the exporter's output of the same document.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from questionnaire.defaults import default_questionnaire

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Template:
    """A starting point: its key (in URLs and the audit) and where its document comes from."""

    key: str
    file: str | None = None  # a JSON file beside this module; None: the default questionnaire

    def document(self) -> dict:
        """A fresh copy of the template's questionnaire document."""
        if self.file is None:
            return default_questionnaire()
        return json.loads((_HERE / self.file).read_text(encoding="utf-8"))


# In the order the builder offers them.
TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("department"),
    Template("service_window", "service_window.json"),
    Template("enterprise", "enterprise.json"),
    Template("blank", "blank.json"),
)}
BLANK = "blank"


def template_document(key: str) -> dict:
    """A fresh copy of the document of the template ``key`` (KeyError for an unknown key)."""
    return TEMPLATES[key].document()
