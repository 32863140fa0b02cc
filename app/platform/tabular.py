"""Reading uploaded spreadsheets (CSV or XLSX) as rows of named fields, safely.

Shared by every import (departments, the respondent pool). It only reads and
names columns; each import validates the values itself. Rows are numbered as
the spreadsheet shows them, the header being row 1.

- CSV: UTF-8 with or without BOM, else GB18030 (what many Chinese offices send);
  comma, semicolon or tab separated.
- XLSX: streamed by app/platform/xlsx_reader.py (expat with defusedxml's refusals of
  DTDs and entities; openpyxl's rules for dates); the archive is inspected
  first and refused if it would unpack to more than the configured cap (a zip
  bomb).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask_babel import gettext as _


class TableError(ValueError):
    """The file as a whole cannot be read: wrong type, unreadable, too large, no usable header.

    ``row`` is the row to blame when there is one (a CSV line that cannot be parsed).
    """

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


from app.platform.exports import CONTROL_CHARACTERS  # noqa: E402 (what no spreadsheet cell can hold)


def control_character(text: str) -> str | None:
    """The first control character of ``text`` as U+XXXX, or None; such text could not be exported again."""
    found = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def display_name(filename: str | None, limit: int = 200) -> str:
    """An uploaded file's name fit to store and show: its last part, without control characters, shortened."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cs"))[:limit]


class Row(NamedTuple):
    """One data row: its number as the spreadsheet shows it, the known fields, the other columns."""

    number: int
    values: dict[str, str]
    extra: dict[str, str]


@dataclass
class Table:
    """A spreadsheet's columns mapped to field names, and its data rows."""

    fields: list[str]  # canonical field names present, in column order
    extra_headers: list[str] = field(default_factory=list)  # other non-empty headers, as written
    rows: Iterator[Row] = iter(())


def normalise_header(text: str) -> str:
    """Lower-case, without spaces, BOMs, asterisks (often marking required columns) or colons."""
    return "".join(ch for ch in text.strip().lower() if ch not in " \t\r\n\ufeff*:：_-()（）")


def cell_text(value) -> str:
    """A cell's value as the text a person sees in it: 13800138000.0 becomes 13800138000."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(
    filename: str,
    data: bytes,
    aliases: Mapping[str, str],
    *,
    required: tuple[str, ...] = (),
    max_uncompressed: int = 256 * 1024 * 1024,
    max_bytes: int = 16 * 1024 * 1024,
) -> Table:
    """Open ``data`` (named ``filename``) and map its header to fields through ``aliases``.

    ``aliases`` maps normalised header texts (see normalise_header) to field
    names. Raises TableError when the file cannot be read or a required column
    is missing — also while the rows are read, for a defect further down.
    """
    if len(data) > max_bytes:
        raise TableError(_("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data, max_uncompressed)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    else:
        raise TableError(_("Unsupported file type: choose a .csv or .xlsx file."))

    header = _find_header(rows, aliases, required)
    fields: list[str | None] = []
    extra: dict[int, str] = {}
    seen: set[str] = set()
    for index, text in enumerate(header):
        canonical = aliases.get(normalise_header(text))
        if canonical is None or canonical in seen:
            fields.append(None)
            if text.strip() and text.strip() not in extra.values():
                extra[index] = text.strip()
        else:
            fields.append(canonical)
            seen.add(canonical)
    missing = [f for f in required if f not in seen]
    if missing:
        raise TableError(_("Required columns are missing: %(columns)s.", columns=", ".join(missing)))

    named = [(i, f) for i, f in enumerate(fields) if f is not None]

    def named_rows() -> Iterator[Row]:
        for number, values in rows:
            texts = [cell_text(v) for v in values]
            if not any(texts):
                continue  # blank lines are common at the end of spreadsheets
            width = len(texts)
            yield Row(
                number,
                {f: (texts[i] if i < width else "") for i, f in named},
                {h: texts[i] for i, h in extra.items() if i < width and texts[i]},
            )

    return Table(fields=[f for _, f in named], extra_headers=list(extra.values()), rows=named_rows())


# A title row (often merged across the columns) may stand above the header; look this far down for it.
HEADER_SEARCH_ROWS = 10


def _find_header(rows: Iterator, aliases: Mapping[str, str], required: tuple[str, ...]) -> list[str]:
    """Consume rows up to the header: the first that names every required column (else the first non-empty)."""
    first_nonempty: list[str] | None = None
    for number, values in rows:
        texts = [cell_text(v) for v in values]
        if not any(texts):
            continue
        if first_nonempty is None:
            first_nonempty = texts
        if set(required) <= {aliases.get(normalise_header(t)) for t in texts}:
            return texts
        if number >= HEADER_SEARCH_ROWS:
            break
    if first_nonempty is None:
        raise TableError(_("The file is empty."))
    return first_nonempty


def _decode(data: bytes) -> str:
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data[3:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError:
        if bom:  # it says it is UTF-8 but it is not: GB18030 would only read the BOM as garbage
            raise TableError(_("The file starts as UTF-8 but is not UTF-8 text; save it as CSV (UTF-8) and try "
                               "again.")) from None
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(_("The file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8) and try again.")) from None


def _csv_rows(data: bytes) -> Iterator:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as exc:
        raise TableError(_("Row %(row)d is not valid CSV: %(reason)s", row=number + 1, reason=str(exc)),
                         row=number + 1) from None


def _xlsx_rows(data: bytes, max_uncompressed: int) -> Iterator:
    """The rows of the first sheet; a zip bomb is refused before it is unpacked (see app/platform/xlsx_reader.py)."""
    from app.platform.xlsx_reader import XlsxBomb, XlsxError, XlsxTooLarge, XlsxTooManyParts, iter_rows

    try:
        yield from iter_rows(data, max_uncompressed=max_uncompressed)
    except XlsxBomb:
        raise TableError(_("The spreadsheet is compressed far more than a real one can be; it is refused as a "
                           "zip bomb.")) from None
    except XlsxTooLarge:
        raise TableError(_("The spreadsheet unpacks to more than the allowed size.")) from None
    except XlsxTooManyParts:
        raise TableError(_("The file holds far more parts than any spreadsheet; it is refused.")) from None
    except XlsxError as exc:
        if exc.cell:
            raise TableError(_("The file is not a valid .xlsx spreadsheet: cell %(cell)s cannot be read.",
                               cell=exc.cell)) from None
        raise TableError(_("The file is not a valid .xlsx spreadsheet.")) from None
