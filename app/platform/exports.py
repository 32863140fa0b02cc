"""The one writer of every spreadsheet the platform hands out: CSV (UTF-8 with a BOM, so Excel reads the Chinese
text) and XLSX (a bold frozen header, column widths and number formats), with text cells that can never run as a
formula, and the download response that carries either.

Callers pass rows of plain values: text, numbers, None. Text goes through ``formula_safe`` here, whatever its
origin; numbers stay numbers. Headers are translated by the caller (``_()``), like every text a user reads.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Number
from urllib.parse import quote

from flask import Response

# What a spreadsheet cell cannot hold; defined with the forms, which refuse it in what is typed.
from app.platform.characters import CONTROL_CHARACTERS

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-1.25") is read as a number, never as a formula: it keeps its sign.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_safe(value) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ tab or CR gets a ' in front, and characters no
    cell can hold are dropped (one typed into an edit form must not make an export fail)."""
    text = CONTROL_CHARACTERS.sub("", "" if value is None else str(value))
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_cell(value):
    """A cell as written: numbers and None unchanged (booleans are text), everything else formula-safe text."""
    if value is None or (isinstance(value, Number) and not isinstance(value, bool)):
        return value
    return formula_safe(value)


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM, every text cell formula-safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass
class Sheet:
    """One worksheet: a title, rows (the first is the header), and per column an optional number format and
    width; ``wrap`` names the columns (1-based) whose cells wrap."""

    title: str
    rows: list[list]
    formats: Sequence[str | None] = ()
    widths: Sequence[float] = ()
    wrap: Sequence[int] = field(default_factory=tuple)


def sheet_title(text: str, used: set[str]) -> str:
    """A worksheet title Excel accepts (no []:*?/\\, at most 31 characters), unique among ``used``."""
    title = "".join(c for c in text if c not in "[]:*?/\\")[:31] or "表"
    while title in used:
        title = title[:28] + f"_{len(used)}"
    used.add(title)
    return title


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of the given sheets, every text cell formula-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        for row in sheet.rows:
            ws.append([safe_cell(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7F0")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for i, fmt in enumerate(sheet.formats, start=1):
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        for i in sheet.wrap:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def download(body: bytes, filename: str, mimetype: str | None = None) -> Response:
    """The response that saves ``body`` as ``filename`` (a non-ASCII name is sent as RFC 5987 filename*)."""
    if mimetype is None:
        mimetype = XLSX_MIMETYPE if filename.endswith(".xlsx") else CSV_MIMETYPE if filename.endswith(".csv") \
            else "application/octet-stream"
    disposition = f"attachment; filename={filename}" if filename.isascii() \
        else f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
