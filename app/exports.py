"""What every spreadsheet the platform hands out shares: cells that cannot run, and CSV that Excel reads."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# What a spreadsheet cell cannot hold; defined with the forms, which refuse it in what is typed.
from forms.characters import CONTROL_CHARACTERS

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ tab or CR gets a ' in front, and characters no
    cell can hold are dropped (one typed into an edit form must not make an export fail)."""
    text = CONTROL_CHARACTERS.sub("", "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM, so that Excel opens the Chinese text correctly.

    Callers pass text cells through formula_safe; numbers stay numbers (a negative change is not a formula).
    """
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
