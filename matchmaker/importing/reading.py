"""Bytes of an uploaded file -> a :class:`Table` whose rows are read one at a time.

Organizers upload whatever their ticketing tool gave them, often after a round trip through
Excel, so reading is forgiving: UTF-8, UTF-16 and the Windows code page, commas, semicolons,
tabs or pipes, stray blank lines, XLSX workbooks. Anything that is not a table is refused
with a message that says what the file looks like and how to save it instead.

A big event's export (100,000 rows, 25 MB or more) must not cost several copies of itself:
text is decoded while the csv module reads it, never held as one string, and the rows are
read again from the bytes whenever they are needed instead of being kept as lists. Only
workbooks, whose parsing is the slow part, keep their cells once read. The size of what
may be uploaded is the web app's business (``MAX_UPLOAD_MB``); reading has no limit of its
own beyond :data:`MAX_ROWS`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TextIO

from .columns import detect_mapping
from .errors import ImportFileError

#: A guard against runaway files, well above the largest events (100,000 attendees).
MAX_ROWS = 500_000
MAX_COLUMNS = 500
#: Rows kept from the top of the file, to guess the columns and to show a preview.
SAMPLE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its spreadsheet row ``number``, exactly one cell per header column, and
    the cells beyond the header (``extra``, trailing blanks dropped; the importer reports them).
    """

    number: int
    cells: list[str]
    extra: list[str]


@dataclass
class Table:
    """A table as read from a file: the header, the first rows, and every row on demand.

    Row numbers are what a spreadsheet shows: the header is row 1 when the file starts with
    it, and rows are counted as records, not physical lines, so a cell with a quoted line
    break still counts as one row (as Excel and Google Sheets show). Blank rows are counted
    but not returned. The whole file has been read once, so :meth:`rows` meets no surprise.
    """

    headers: list[str]
    encoding: str
    delimiter: str
    row_count: int
    first_rows: list[Row]
    _records: Callable[[], Iterable[list[str]]] = field(repr=False)

    def rows(self) -> Iterator[Row]:
        """Every data row, read afresh from the file."""
        width = len(self.headers)
        numbered = _nonblank(self._records())
        next(numbered)  # the header
        for number, record in numbered:
            yield _row(number, record, width)

    @property
    def sample(self) -> list[list[str]]:
        """The first rows' cells, which is what guessing the columns looks at."""
        return [row.cells for row in self.first_rows]


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
_CHUNK_BYTES = 256 * 1024
_SAVE_AS = "Please save it as CSV (UTF-8) or as an Excel workbook (.xlsx) and upload that."
_NOT_TEXT = f"This is not a text or spreadsheet file. {_SAVE_AS}"


def read_table(data: bytes, filename: str = "") -> Table:
    """Read CSV/TSV text or an XLSX workbook into a :class:`Table`.

    Raises :class:`ImportFileError`, and only that, for anything that is not a readable table.
    """
    if not data or data.isspace():
        raise ImportFileError("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    for magic, what in _NOT_TABLES:
        if data.startswith(magic):
            raise ImportFileError(f"This looks like {what}, not an attendee list. {_SAVE_AS}")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"'{filename}' is named like an Excel workbook but is not one.")
    return _read_delimited(data)


# -- text ------------------------------------------------------------------------------------


def _read_delimited(data: bytes) -> Table:
    encoding, decoded = _encoding(data)

    def open_text() -> TextIO:
        if decoded is not None:
            return io.StringIO(decoded, newline="")
        buffer = io.BytesIO(data)  # shares the bytes, no copy
        buffer.seek(_bom_length(data, encoding))
        return io.TextIOWrapper(buffer, encoding=encoding, newline="")

    sample = open_text().read(_SAMPLE_CHARS + 1)
    truncated = len(sample) > _SAMPLE_CHARS
    sample = sample[:_SAMPLE_CHARS]
    if len(_CONTROL_CHARS.findall(sample)) > len(sample) // 100:
        raise ImportFileError(_NOT_TEXT)
    delimiter = _guess_delimiter(sample, truncated)

    def records() -> Iterator[list[str]]:
        try:
            yield from csv.reader(_lines(open_text()), delimiter=delimiter)
        except csv.Error as exc:
            raise ImportFileError(
                f"The file could not be read as a table ({exc}). {_SAVE_AS}"
            ) from None

    return _scan(records, encoding, delimiter)


def _encoding(data: bytes) -> tuple[str, str | None]:
    """The file's text encoding, checked over the whole file without keeping the text.

    Excel writes UTF-16 with a BOM, or the Windows code page; everything else is UTF-8. The
    second value is the decoded text, only when a guess by charset_normalizer was needed.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if not _decodes(data, encoding, start=len(bom)):
                raise ImportFileError(
                    f"The file says it is {encoding.upper()} text but is not. {_SAVE_AS}"
                )
            return encoding, None
    head = data[:4096]
    utf16_like = head.count(b"\x00") > len(head) // 4
    sample = data[:_SAMPLE_CHARS]
    if not utf16_like and len(_CONTROL_BYTES.findall(sample)) > len(sample) // 100:
        raise ImportFileError(_NOT_TEXT)
    if utf16_like:
        # UTF-16 without a BOM: ASCII characters leave every other byte zero.
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        if not _decodes(data, encoding):
            raise ImportFileError(_NOT_TEXT)
        return encoding, None
    for encoding in ("utf-8", "cp1252"):
        if _decodes(data, encoding):
            return encoding, None
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError(f"The text encoding of this file is not recognised. {_SAVE_AS}")
    return best.encoding, str(best)


def _decodes(data: bytes, encoding: str, start: int = 0) -> bool:
    """Whether ``data[start:]`` is valid ``encoding``, checked a chunk at a time."""
    decoder = codecs.getincrementaldecoder(encoding.removesuffix("-sig"))()
    view = memoryview(data)
    try:
        for offset in range(start, len(data), _CHUNK_BYTES):
            decoder.decode(view[offset : offset + _CHUNK_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bom_length(data: bytes, encoding: str) -> int:
    """Bytes to skip: the BOM of UTF-16 and UTF-32 (utf-8-sig skips its own)."""
    for bom, name in _BOMS:
        if name == encoding and name != "utf-8-sig" and data.startswith(bom):
            return len(bom)
    return 0


def _lines(text: TextIO) -> Iterator[str]:
    """The text's lines for the csv module, refusing NUL characters and dropping the DOS
    end-of-file mark at the very end."""
    previous = None
    for line in text:
        if "\x00" in line:
            raise ImportFileError(_NOT_TEXT)
        if previous is not None:
            yield previous
        previous = line
    if previous is not None:
        yield previous.rstrip("\x1a")


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


# -- rows ------------------------------------------------------------------------------------


def _trim(cells: Sequence[str]) -> Sequence[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _nonblank(records: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Records that hold something, with their spreadsheet row numbers."""
    for number, record in enumerate(records, start=1):
        if any(cell.strip() for cell in record):
            yield number, record


def _row(number: int, record: list[str], width: int) -> Row:
    if len(record) == width:
        return Row(number, record, [])
    if len(record) < width:
        return Row(number, record + [""] * (width - len(record)), [])
    return Row(number, record[:width], list(_trim(record[width:])))


def _scan(records: Callable[[], Iterable[list[str]]], encoding: str, delimiter: str) -> Table:
    """Read the whole file once: the header, the first rows, the count, and any damage."""
    numbered = _nonblank(records())
    first = next(numbered, None)
    if first is None:
        raise ImportFileError("The file is empty.")
    header = [cell.replace("\ufeff", "").strip() for cell in _trim(first[1])]
    width = len(header)
    if width > MAX_COLUMNS:
        raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
    first_rows: list[Row] = []
    count = 0
    for number, record in numbered:
        count += 1
        if count > MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; please split it.")
        if len(record) > MAX_COLUMNS and len(_trim(record)) > MAX_COLUMNS:
            raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
        if count <= SAMPLE_ROWS:
            first_rows.append(_row(number, record, width))
    if not count:
        raise ImportFileError("The file has a header row but no attendee rows under it.")
    if width == 1 and not detect_mapping(header):
        raise ImportFileError(
            f"The file has a single column headed '{header[0][:60]}', which is not an attendee "
            "field. Check that the first row holds column headings such as Name and Email, "
            "and that columns are separated by commas, semicolons or tabs."
        )
    return Table(header, encoding, delimiter, count, first_rows, records)


# -- workbooks -------------------------------------------------------------------------------


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
                # Parsing a workbook is slow, so its cells are kept rather than read again.
                cells = list(_xlsx_records(sheet.iter_rows(values_only=True)))
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many unrelated types on damaged workbooks
        raise ImportFileError(
            f"This file could not be opened as an Excel workbook (.xlsx). {_SAVE_AS}"
        ) from None
    return _scan(lambda: cells, "xlsx", "")


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
