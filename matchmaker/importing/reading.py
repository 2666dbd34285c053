"""Bytes of an uploaded file -> a :class:`Table` of text cells, whatever wrote the file.

Organizers upload whatever their ticketing tool gave them, often after a round trip through
Excel, so reading is forgiving: UTF-8, UTF-16 and the Windows code page, commas, semicolons,
tabs or pipes, stray blank lines, XLSX workbooks. Anything that is not a table is refused
with a message that says what the file looks like and how to save it instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from .columns import detect_mapping
from .errors import ImportFileError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 500


@dataclass
class Table:
    """A rectangular table as read from a file, blank rows dropped.

    ``row_numbers[i]`` is the spreadsheet row of ``rows[i]``: the header is row 1 when the file
    starts with it. Rows are counted as records, not physical lines, so a cell with a quoted
    line break still counts as one row, which is what Excel and Google Sheets show. Blank rows
    are counted (a spreadsheet shows them) but not returned.
    """

    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    encoding: str
    delimiter: str


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NOT_TABLES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Word file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_ZIP_MAGIC = b"PK\x03\x04"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f-\x9f\ufffe\uffff]")
# Control characters never found in text files; \x1a is the old DOS end-of-file mark.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f]")
_DELIMITERS = (",", ";", "\t", "|")
_BLANK_CHARS = " \t\r\n,;|"  # a line of only separators is a blank row
_SAMPLE_CHARS = 64 * 1024
_SAVE_AS = "Please save it as CSV (UTF-8) or as an Excel workbook (.xlsx) and upload that."


def read_table(data: bytes, filename: str = "") -> Table:
    """Read CSV/TSV text or an XLSX workbook into a :class:`Table`.

    Raises :class:`ImportFileError`, and only that, for anything that is not a readable table.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    for magic, what in _NOT_TABLES:
        if data.startswith(magic):
            raise ImportFileError(f"This looks like {what}, not an attendee list. {_SAVE_AS}")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"'{filename}' is named like an Excel workbook but is not one.")
    text, encoding = _decode(data)
    return _read_delimited(text.rstrip("\x1a"), encoding)


def _decode(data: bytes) -> tuple[str, str]:
    """Excel writes UTF-16 with a BOM, or the Windows code page; everything else is UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.removesuffix("-sig")), encoding
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"The file says it is {encoding.upper()} text but is not. {_SAVE_AS}"
                ) from None
    head = data[:4096]
    utf16_like = head.count(b"\x00") > len(head) // 4
    sample = data[:_SAMPLE_CHARS]
    if not utf16_like and len(_CONTROL_BYTES.findall(sample)) > len(sample) // 100:
        raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}")
    if utf16_like:
        # UTF-16 without a BOM: ASCII characters leave every other byte zero.
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}") from None
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError(f"The text encoding of this file is not recognised. {_SAVE_AS}")
    return str(best), best.encoding


def _read_delimited(text: str, encoding: str) -> Table:
    sample = text[:_SAMPLE_CHARS]
    if "\x00" in text or len(_CONTROL_CHARS.findall(sample)) > len(sample) // 100:
        raise ImportFileError(f"This is not a text or spreadsheet file. {_SAVE_AS}")
    delimiter = _guess_delimiter(sample, truncated=len(text) > len(sample))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _build_table(reader, encoding, delimiter)
    except csv.Error as exc:
        raise ImportFileError(
            f"The file could not be read as a table ({exc}). {_SAVE_AS}"
        ) from None


def _guess_delimiter(sample: str, truncated: bool) -> str:
    """Pick the separator that gives the widest header and the most rows of the same width.

    Scoring every candidate copes with European Excel (semicolons, unquoted commas inside
    cells) where csv.Sniffer alone often guesses wrong; the Sniffer only breaks ties.
    """
    scores: dict[str, tuple[float, int]] = {}
    for delimiter in _DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)]
        except csv.Error:
            continue
        if truncated and len(records) > 1:
            records.pop()  # the sample may have cut the last record in half
        records = [r for r in records if "".join(r).strip(_BLANK_CHARS)][:50]
        if not records:
            continue
        width = len(_trim(records[0]))
        body = records[1:] or records
        same = sum(1 for r in body if len(_trim(r)) <= width and len(r) >= width) / len(body)
        scores[delimiter] = (same if width > 1 else 0.0, width)
    if not scores:
        return ","
    best = max(scores.values())
    tied = [d for d in _DELIMITERS if scores.get(d) == best]
    if len(tied) > 1:
        try:
            sniffed = csv.Sniffer().sniff(sample[:8192], delimiters="".join(tied)).delimiter
        except csv.Error:
            sniffed = tied[0]
        return sniffed if sniffed in tied else tied[0]
    return tied[0]


def _trim(cells: Sequence[str]) -> Sequence[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _build_table(records: Iterable[list[str]], encoding: str, delimiter: str) -> Table:
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    width = 0
    for number, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.replace("\ufeff", "").strip() for cell in record]
            width = len(_trim(header))
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; please split it.")
        rows.append(record)
        numbers.append(number)
        if len(record) > width:
            width = max(width, len(_trim(record)))
    if header is None:
        raise ImportFileError("The file is empty.")
    if not rows:
        raise ImportFileError("The file has a header row but no attendee rows under it.")
    if width > MAX_COLUMNS:
        raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
    headers = (header + [""] * width)[:width]
    for i, row in enumerate(rows):
        if len(row) != width:
            rows[i] = (row + [""] * (width - len(row)))[:width]
    if width == 1 and not detect_mapping(headers):
        raise ImportFileError(
            f"The file has a single column headed '{headers[0][:60]}', which is not an attendee "
            "field. Check that the first row holds column headings such as Name and Email, "
            "and that columns are separated by commas, semicolons or tabs."
        )
    return Table(headers, rows, numbers, encoding, delimiter)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportFileError("The workbook has no worksheet.")
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # some writers store wrong dimensions
                records = _xlsx_records(sheet.iter_rows(values_only=True))
                return _build_table(records, "xlsx", "")
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many unrelated types on damaged workbooks
        raise ImportFileError(
            f"This file could not be opened as an Excel workbook (.xlsx). {_SAVE_AS}"
        ) from None


def _xlsx_records(rows: Iterable[tuple[object, ...]]) -> Iterable[list[str]]:
    for values in rows:
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        if end > MAX_COLUMNS:
            raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
        yield [_cell_text(value) for value in values[:end]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)
