"""Importer tests: real export layouts, the ways Excel mangles them, and every bad case."""

from __future__ import annotations

import codecs
import csv
import io
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from matchmaker import importing
from matchmaker.choices import ROLES
from matchmaker.importing import (
    FIELDS,
    TEMPLATE_FIELDS,
    AttendeeRecord,
    ImportFileError,
    MappingError,
    RowError,
    Table,
    detect_mapping,
    normalize_email,
    normalize_meeting_mode,
    normalize_role,
    parse_attendee_file,
    read_table,
    split_phrases,
    template_csv,
    validate_rows,
)

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "attendees"
SAMPLE_NAMES = [
    "eventbrite_attendee_report.csv",
    "luma_guests.csv",
    "google_forms_responses.csv",
]


def summary(record: AttendeeRecord) -> tuple:
    return (
        record.email,
        record.name,
        record.organization,
        record.job_title,
        record.role,
        tuple(record.can_help_with),
        tuple(record.looking_for),
        tuple(record.interests),
        record.meeting_mode,
    )


def expected_people() -> list[tuple]:
    """The truth, read with the csv module alone from Luma's export (simple comma lists)."""
    role_keys = {label: key for key, label in ROLES.items()}
    modes = {"Virtual": "virtual", "In person": "in_person", "Either": "either"}
    with open(SAMPLES / "luma_guests.csv", encoding="utf-8", newline="") as f:
        return [
            (
                row["email"],
                row["name"],
                row["What is your company?"],
                row["What is your job title?"],
                role_keys[row["Which best describes you?"]],
                tuple(row["I can help others with"].split(", ")),
                tuple(row["I'm looking for"].split(", ")),
                tuple(row["My interests"].split(", ")),
                modes[row["Will you join in person or online?"]],
            )
            for row in csv.DictReader(f)
        ]


EXPECTED = expected_people()


def sample_rows(name: str) -> list[list[str]]:
    with open(SAMPLES / name, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_csv(rows: list[list[str]], delimiter: str = ",", lineterminator: str = "\r\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    return out.getvalue()


def cells(table: Table) -> list[list[str]]:
    return [row.cells for row in table.rows()]


def row_numbers(table: Table) -> list[int]:
    return [row.number for row in table.rows()]


def assert_same_people(report: importing.ImportReport) -> None:
    assert report.errors == []
    assert report.total_rows == 48
    assert [summary(r) for r in report.records] == EXPECTED


# --------------------------------------------------------------------------- the samples


def test_expected_people_are_plausible() -> None:
    assert len(EXPECTED) == 48
    assert len({p[0] for p in EXPECTED}) == 48
    assert EXPECTED[0] == (
        "uma.brown0@example.org",
        "Uma Brown",
        "Acme Analytics",
        "Head of Talent",
        "employer",
        ("employer branding", "product management"),
        ("UX designers",),
        ("open source", "sustainability", "climate tech", "photography"),
        "virtual",
    )
    assert any(p[1] == "Björn Novak" for p in EXPECTED)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_sample_gives_the_same_48_attendees(name: str) -> None:
    table, mapping, report = parse_attendee_file((SAMPLES / name).read_bytes(), name)
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert row_numbers(table) == list(range(2, 50))
    assert [r.row_number for r in report.records] == list(range(2, 50))
    assert_same_people(report)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not present in this checkout")
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_shared_data_matches_the_copies(name: str) -> None:
    _, _, report = parse_attendee_file((SHARED / name).read_bytes(), name)
    assert_same_people(report)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "eventbrite_attendee_report.csv",
            {
                "first_name": "First Name",
                "last_name": "Last Name",
                "email": "Email",
                "organization": "Company",
                "job_title": "Job Title",
                "role": "I am a...",
                "can_help_with": "What can you help other attendees with?",
                "looking_for": "What would you like help with?",
                "interests": "Topics you care about",
                "meeting_mode": "How will you attend?",
            },
        ),
        (
            "luma_guests.csv",
            {
                "first_name": "first_name",
                "last_name": "last_name",
                "name": "name",
                "email": "email",
                "organization": "What is your company?",
                "job_title": "What is your job title?",
                "role": "Which best describes you?",
                "can_help_with": "I can help others with",
                "looking_for": "I'm looking for",
                "interests": "My interests",
                "meeting_mode": "Will you join in person or online?",
            },
        ),
        (
            "google_forms_responses.csv",
            {
                "name": "Full name",
                "email": "Email Address",
                "organization": "Organisation",
                "job_title": "Role",
                "role": "Which of these describes you best?",
                "can_help_with": "Skills or experience you can share",
                "looking_for": "What are you hoping to get help with?",
                "interests": "Interests (comma separated)",
                "meeting_mode": "Meeting preference",
            },
        ),
    ],
)
def test_sample_headers_are_recognised(name: str, expected: dict[str, str]) -> None:
    table = read_table((SAMPLES / name).read_bytes(), name)
    with_rows = detect_mapping(table.headers, table.sample)
    headers_only = detect_mapping(table.headers)
    assert {key: table.headers[i] for key, i in with_rows.items()} == expected
    assert headers_only == with_rows


# --------------------------------------------------------------------------- file variants


def utf8_bom(rows: list[list[str]]) -> bytes:
    return codecs.BOM_UTF8 + write_csv(rows).encode()


def utf16_le_tabs(rows: list[list[str]]) -> bytes:
    """What Excel's "Unicode text" writes."""
    return codecs.BOM_UTF16_LE + write_csv(rows, "\t").encode("utf-16-le")


def utf16_be_tabs(rows: list[list[str]]) -> bytes:
    return codecs.BOM_UTF16_BE + write_csv(rows, "\t").encode("utf-16-be")


def cp1252(rows: list[list[str]]) -> bytes:
    return write_csv(rows).encode("cp1252")


def semicolons(rows: list[list[str]]) -> bytes:
    """European Excel: semicolons, and commas inside cells left unquoted."""
    return write_csv(rows, ";").encode("cp1252")


def unix_newlines(rows: list[list[str]]) -> bytes:
    return write_csv(rows, lineterminator="\n").encode()


def quoted_line_breaks(rows: list[list[str]]) -> bytes:
    """Lists typed one item a line, so every list cell holds quoted line breaks."""
    header = rows[0]
    lists = [i for i, h in enumerate(header) if "help" in h.lower() or "interest" in h.lower()]
    lists += [i for i, h in enumerate(header) if h in ("I'm looking for", "Topics you care about")]
    changed = [header] + [
        [cell.replace(", ", "\n") if i in lists else cell for i, cell in enumerate(row)]
        for row in rows[1:]
    ]
    text = write_csv(changed)
    assert text.count("\n") > 2 * len(rows)
    return text.encode()


def blank_lines(rows: list[list[str]]) -> bytes:
    lines = write_csv(rows).splitlines(keepends=True)
    empty_cells = "," * (len(rows[0]) - 1) + "\r\n"
    out = ["\r\n", lines[0], "\r\n", *lines[1:10], empty_cells, "  \r\n", *lines[10:], "\r\n"]
    return "".join(out).encode()


def trailing_empty_columns(rows: list[list[str]]) -> bytes:
    return write_csv([row + ["", "", ""] for row in rows]).encode()


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([int(cell) if cell.isdigit() else (cell or None) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


VARIANTS: dict[str, tuple[Callable[[list[list[str]]], bytes], str, str]] = {
    "utf8_bom": (utf8_bom, "utf-8-sig", ","),
    "utf16_le_tabs": (utf16_le_tabs, "utf-16-le", "\t"),
    "utf16_be_tabs": (utf16_be_tabs, "utf-16-be", "\t"),
    "cp1252": (cp1252, "cp1252", ","),
    "semicolons": (semicolons, "cp1252", ";"),
    "unix_newlines": (unix_newlines, "utf-8", ","),
    "quoted_line_breaks": (quoted_line_breaks, "utf-8", ","),
    "blank_lines": (blank_lines, "utf-8", ","),
    "trailing_empty_columns": (trailing_empty_columns, "utf-8", ","),
    "xlsx": (xlsx, "xlsx", ""),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_variants_give_the_same_attendees(name: str, variant: str) -> None:
    make, encoding, delimiter = VARIANTS[variant]
    rows = sample_rows(name)
    filename = name.replace(".csv", ".xlsx" if variant == "xlsx" else ".csv")
    table, _, report = parse_attendee_file(make(rows), filename)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert len(table.headers) == len(rows[0])
    assert_same_people(report)
    if variant == "blank_lines":
        # Header on row 2; data from row 4; two blank rows after the ninth attendee.
        assert row_numbers(table)[:2] == [4, 5]
        assert row_numbers(table)[9] == 15
    else:
        assert row_numbers(table) == list(range(2, 50))


@pytest.mark.parametrize(
    ("data", "encoding", "names"),
    [
        ("Name,Email\nJürgen Müller,j@example.org\nZoë Brontë,z@example.org\n", "cp1252", None),
        ("Name,Email\nJürgen Müller,j@example.org\nZoë Brontë,z@example.org\n", "utf-8", None),
        ("Name;Email\r\nJürgen Müller;j@x.org\r\nZoë Brontë;z@x.org\r\n", "cp1252", None),
    ],
)
def test_accented_names_survive_each_encoding(data: str, encoding: str, names: None) -> None:
    table, _, report = parse_attendee_file(data.encode(encoding))
    assert table.encoding == encoding
    assert [r.name for r in report.records] == ["Jürgen Müller", "Zoë Brontë"]


def test_xlsx_cells_of_other_types_become_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([None])  # the header may start lower down
    sheet.append(["Email", "Name", "Order #", "Paid", "Member"])
    sheet.append(["a@example.org", "Ann", 1200345000, 25.5, True])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue(), "guests.xlsx")
    assert table.headers == ["Email", "Name", "Order #", "Paid", "Member"]
    assert cells(table) == [["a@example.org", "Ann", "1200345000", "25.5", "TRUE"]]
    assert row_numbers(table) == [3]


def test_duplicate_and_empty_headers() -> None:
    data = b"Email,,Name,Email,Name\r\na@example.org,x,Ann,other@example.org,Annie\r\n"
    table, mapping, report = parse_attendee_file(data)
    assert table.headers == ["Email", "", "Name", "Email", "Name"]
    assert mapping == {"name": 2, "email": 0}
    assert [(r.name, r.email) for r in report.records] == [("Ann", "a@example.org")]


EXTRA_CELLS = [
    ["Order #", "First Name", "Last Name", "Email", "Company", "Job Title", "I am a...",
     "What can you help other attendees with?", "What would you like help with?",
     "How will you attend?"],
    ["1", "Ann", "Lee", "ann@example.org", "Acme", "CTO", "Expert", "Python", "hiring",
     "Either"],
    # Trailing blank cells (what Excel writes) are not extra cells.
    ["2", "Bo", "Ek", "bo@example.org", "Beta", "CEO", "Founder", "sales", "pricing",
     "Virtual", "", ""],
    # An unquoted comma inside the company moved every later cell one column to the right.
    ["3", "Cy", "Ng", "cy@example.org", "Northwind", " Inc.", "COO", "Employer", "hiring",
     "Python", "In person"],
    ["4", "Di", "Ho", "di@example.org", "Delta", "CFO", "Investor", "finance", "deals",
     "Either", "", "note", "", "more", "x", "y"],
    ["5", "Ed", "Ox", "not an email", "Echo", "Dev", "Expert", "Go", "Rust", "Either", "z"],
]  # fmt: skip


def test_rows_wider_than_the_header_are_reported_per_row() -> None:
    table, _, report = parse_attendee_file(write_csv(EXTRA_CELLS).encode())
    assert len(table.headers) == 10
    assert [r.email for r in report.records] == ["ann@example.org", "bo@example.org"]
    assert [(e.row, e.column) for e in report.errors] == [
        (4, "column K"),
        (5, "column L"),
        (6, "Email"),
        (6, "column K"),
    ]
    assert str(report.errors[0]) == (
        "Row 4, column 'column K': the row has 11 cells but the header has 10; the extra "
        "cell 'In person' and the rest of the row were not imported. A comma or quote inside "
        "a value often moves the cells after it: put that value in quotes, or give the extra "
        "column a heading."
    )
    assert (
        "has 16 cells but the header has 10; the extra cells 'note', 'more', 'x' and "
        "1 more and the rest" in report.errors[1].message
    )
    # The cells under the header are read as the header says; the rest is kept apart.
    row = list(table.rows())[2]
    assert (row.number, row.cells[4:6], row.extra) == (4, ["Northwind", " Inc."], ["In person"])


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_extra_cells_in_a_workbook_are_reported_too(kind: str) -> None:
    rows = [["Name", "Email"], ["Ann", "a@example.org", "note"], ["Bo", "b@example.org"]]
    data = xlsx(rows) if kind == "xlsx" else write_csv(rows).encode()
    _, _, report = parse_attendee_file(data, f"guests.{kind}")
    assert [(e.row, e.column) for e in report.errors] == [(2, "column C")]
    assert [r.name for r in report.records] == ["Bo"]


# --------------------------------------------------------------------------- template


def test_template_round_trips() -> None:
    text = template_csv()
    assert text.splitlines()[0].split(",")[:2] == ["Full name", "Email"]
    table, mapping, report = parse_attendee_file(text.encode(), "template.csv")
    assert mapping == {key: i for i, key in enumerate(TEMPLATE_FIELDS)}
    assert report.errors == []
    assert report.records == [
        AttendeeRecord(
            row_number=2,
            name="Ada Lovelace",
            email="ada@example.org",
            organization="Analytical Engines Ltd",
            job_title="Head of Engineering",
            role="expert",
            bio="Builds teams that ship reliable data products.",
            can_help_with=["Python", "hiring junior developers", "technical interviews"],
            looking_for=["UX designers", "beta testers"],
            interests=["open source", "climate tech"],
            meeting_mode="either",
            timezone="Europe/London",
            linkedin_url="https://www.linkedin.com/in/ada-example",
            website_url="https://example.org",
        )
    ]


def test_every_field_label_is_recognised() -> None:
    assert detect_mapping(list(FIELDS.values())) == {key: i for i, key in enumerate(FIELDS)}


# --------------------------------------------------------------------------- mapping


@pytest.mark.parametrize(
    ("headers", "rows", "expected"),
    [
        (["Job Title", "Role"], None, {"job_title": 0, "role": 1}),
        (["Role"], [["Employer"], ["Job seeker"], ["founder"]], {"role": 0}),
        (["Role"], [["Head of Talent"], ["Employer"]], {"job_title": 0}),
        (["Role", "I am a..."], None, {"job_title": 0, "role": 1}),
        (["E-mail", "Surname", "Given name"], None, {"first_name": 2, "last_name": 1, "email": 0}),
        (["qr_code_url", "Website URL"], None, {"website": 1}),
        (["Personal website", "LinkedIn profile"], None, {"linkedin": 1, "website": 0}),
        (["Your time zone", "Timestamp"], None, {"timezone": 0}),
        (["Buyer email", "Email"], None, {"email": 1}),
        (["ticket_name", "Attendee Status", "Attendee #"], None, {}),
        (["", "  ", "???"], None, {}),
        (["Role"], [[""], [" "]], {"role": 0}),
        (
            ["What topics can you help with?", "What would you like help with?"],
            None,
            {"can_help_with": 0, "looking_for": 1},
        ),
    ],
)
def test_detect_mapping(
    headers: list[str], rows: list[list[str]] | None, expected: dict[str, int]
) -> None:
    assert detect_mapping(headers, rows) == expected


def test_mapping_can_be_overridden() -> None:
    data = b"Contact,Who\r\nann@example.org,Ann\r\n"
    with pytest.raises(MappingError, match="email"):
        parse_attendee_file(data)
    _, mapping, report = parse_attendee_file(data, mapping={"email": 0, "name": 1})
    assert mapping == {"email": 0, "name": 1}
    assert [(r.name, r.email) for r in report.records] == [("Ann", "ann@example.org")]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"name": 0}, "email address"),
        ({"email": 1, "last_name": 0}, "name"),
        ({"email": 1, "name": 7}, "not in the file"),
        ({"email": 1, "name": 0, "shoe_size": 0}, "not an attendee field"),
    ],
)
def test_bad_mappings_raise(mapping: dict[str, int], message: str) -> None:
    table = read_table(b"Name,Email\r\nAnn,a@example.org\r\n")
    with pytest.raises(MappingError, match=message):
        validate_rows(table, mapping)
    assert issubclass(MappingError, ImportFileError)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Job seeker", "job_seeker"),
        ("Looking for work", "job_seeker"),
        ("job_seeker", "job_seeker"),
        ("Employer", "employer"),
        ("Hiring", "employer"),
        ("We're hiring!", "employer"),
        ("Expert", "expert"),
        ("Mentor", "expert"),
        ("Founder", "founder"),
        ("CEO & Co-founder", "founder"),
        ("Student", "student"),
        ("MSc student", "student"),
        ("Investor", "investor"),
        ("Angel investor", "investor"),
        ("Other", "other"),
        ("Head of Talent", "other"),
        ("", "other"),
    ],
)
def test_normalize_role(text: str, role: str) -> None:
    assert normalize_role(text) == role


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("In person", "in_person"),
        ("in-person", "in_person"),
        ("On site", "in_person"),
        ("in_person", "in_person"),
        ("Virtual", "virtual"),
        ("Online", "virtual"),
        ("Remote", "virtual"),
        ("Either", "either"),
        ("Both", "either"),
        ("Hybrid", "either"),
        ("In person or online", "either"),
        ("No preference", "either"),
        ("", "either"),
        ("Maybe", "either"),
    ],
)
def test_normalize_meeting_mode(text: str, mode: str) -> None:
    assert normalize_meeting_mode(text) == mode


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("Python, data analysis", ["Python", "data analysis"]),
        ("Python; SQL;; ", ["Python", "SQL"]),
        ("Python\nSQL\r\nGo", ["Python", "SQL", "Go"]),
        ("UX / UI design / research", ["UX", "UI design", "research"]),
        ("CI/CD, TCP/IP", ["CI/CD", "TCP/IP"]),
        ("• Python • SQL", ["Python", "SQL"]),
        ("- hiring\n- co-founder search\n* React", ["hiring", "co-founder search", "React"]),
        ("1. pricing\n2) sales", ["pricing", "sales"]),
        ("Python, python, PYTHON, Go", ["Python", "Go"]),
        ("  machine   learning ,  ", ["machine learning"]),
        (".NET, Node.js", [".NET", "Node.js"]),
        ("", []),
    ],
)
def test_split_phrases(text: str, phrases: list[str]) -> None:
    assert split_phrases(text) == phrases


# --------------------------------------------------------------------------- row errors

LONG_LIST = ", ".join(f"topic {i}" for i in range(51))
BAD_ROWS = [
    ["Name", "Email", "Company", "Job title", "Bio", "Interests", "Time zone", "LinkedIn",
     "Website"],
    ["Ann Lee", "Ann@Example.org", "", "", "Line one\nline two", "", "europe/helsinki", "", ""],
    ["Bob", "bob@", "", "", "", "", "", "", ""],
    ["", "carl@example.org", "", "", "", "", "", "", ""],
    ["Dana", "", "", "", "", "", "", "", ""],
    ["Eve", " ann@example.ORG ", "", "", "", "", "", "", ""],
    [],
    ["Finn", "finn@example.org", "", "", "", "", "Mars/Olympus", "", ""],
    ["Gus", "gus@example.org", "", "", "", "", "", "ftp://linkedin.com/in/gus", ""],
    ["Hal", "hal@example.org", "", "", "", "", "", "", "javascript:alert(1)"],
    ["Ivy", "ivy@example.org", "x" * 201, "y" * 201, "z" * 2001, "", "", "", ""],
    ["Jo", "jo@example.org", "", "", "", LONG_LIST, "", "", ""],
    ["Kim", "kim@example.org", "", "", "", "ok, " + "p" * 301, "", "", ""],
    ["M" * 201, "m" * 250 + "@example.org", "", "", "", "", "", "", ""],
    ["Ned", "ned@example.org", "", "", "", "", "", "https://x.org/" + "a" * 490, "site"],
    ["Oli", "oli@example.org", "", "", "", "", "", "linkedin.com/in/oli", "www.oli.dev"],
]  # fmt: skip
EXPECTED_ERRORS = [
    (3, "Email", "'bob@' is not a valid email address"),
    (4, "Name", "the name is missing"),
    (5, "Email", "the email address is missing"),
    (6, "Email", "'ann@example.org' already appears on row 2"),
    (8, "Time zone", "'Mars/Olympus' is not a known time zone (use a name like Europe/Helsinki)"),
    (9, "LinkedIn", "'ftp://linkedin.com/in/gus' is not a web address starting with http:// "
     "or https://"),
    (10, "Website", "'javascript:alert(1)' is not a web address starting with http:// or https://"),
    (11, "Company", "the value is too long (201 characters; at most 200)"),
    (11, "Job title", "the value is too long (201 characters; at most 200)"),
    (11, "Bio", "the value is too long (2001 characters; at most 2000)"),
    (12, "Interests", "there are 51 items; at most 50 are allowed"),
    (13, "Interests", f"'{'p' * 39}\u2026' is too long (301 characters; each item may have at "
     "most 300)"),
    (14, "Name", "the value is too long (201 characters; at most 200)"),
    (14, "Email", "the value is too long (262 characters; at most 254)"),
    (15, "LinkedIn", "the value is too long (504 characters; at most 500)"),
    (15, "Website", "'site' is not a web address starting with http:// or https://"),
]  # fmt: skip


def test_every_bad_row_is_reported_with_row_and_column() -> None:
    _, _, report = parse_attendee_file(write_csv(BAD_ROWS).encode(), "bad.csv")
    assert [(e.row, e.column, e.message) for e in report.errors] == EXPECTED_ERRORS
    assert report.total_rows == 14
    ann, oli = report.records
    assert (ann.row_number, ann.email, ann.timezone, ann.bio) == (
        2,
        "ann@example.org",
        "Europe/Helsinki",
        "Line one\nline two",
    )
    assert (oli.row_number, oli.linkedin_url, oli.website_url) == (
        16,
        "https://linkedin.com/in/oli",
        "https://www.oli.dev",
    )


@pytest.mark.parametrize("encode", [write_csv, lambda rows: write_csv(rows, "\t")])
def test_row_numbers_count_records_not_lines(encode: Callable[[list[list[str]]], str]) -> None:
    """Ann's bio holds a line break, so Bob's bad email is on line 4 but spreadsheet row 3."""
    text = encode(BAD_ROWS[:3])
    assert text.splitlines()[3].startswith("Bob")
    _, _, report = parse_attendee_file(text.encode())
    assert [str(e) for e in report.errors] == [
        "Row 3, column 'Email': 'bob@' is not a valid email address"
    ]


def test_missing_name_points_at_first_name_column() -> None:
    data = b"First Name,Last Name,Email\r\n, ,s@example.org\r\nAl,,al@example.org\r\n"
    _, _, report = parse_attendee_file(data)
    assert [str(e) for e in report.errors] == ["Row 2, column 'First Name': the name is missing"]
    assert [r.name for r in report.records] == ["Al"]


def test_full_name_wins_over_first_and_last() -> None:
    data = b"name,first_name,last_name,email\r\nAnn Lee,Ann,,a@x.org\r\n,Bo,Ek,b@x.org\r\n"
    _, _, report = parse_attendee_file(data)
    assert [r.name for r in report.records] == ["Ann Lee", "Bo Ek"]


def test_unnamed_column_is_named_by_letter() -> None:
    data = b"Name,,Email\r\nAnn,x,a@example.org\r\n"
    table = read_table(data)
    report = validate_rows(table, {"name": 0, "email": 2, "timezone": 1})
    assert [str(e) for e in report.errors] == [
        "Row 2, column 'column B': 'x' is not a known time zone (use a name like Europe/Helsinki)"
    ]


def test_row_error_text() -> None:
    error = RowError(7, "Email", "'bob@' is not a valid email address")
    assert str(error) == "Row 7, column 'Email': 'bob@' is not a valid email address"


# --------------------------------------------------------------------------- unreadable files


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "", "empty"),
        (b" \r\n\r\n\t\n", "", "empty"),
        (b",,,\r\n,,\r\n", "", "empty"),
        (b"Name,Email\r\n", "", "no attendee rows"),
        (b"Name,Email\r\n\r\n,\r\n", "", "no attendee rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "list.pdf", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", r"\.xls"),
        (bytes(range(256)) * 8, "", "not a text or spreadsheet"),
        (b"\x00\x01\x02\x03garbage\x00", "", "not a text or spreadsheet"),
        (_zip_bytes(), "guests.xlsx", "Excel workbook"),
        (b"Name,Email\nAnn,a@example.org\n", "guests.xlsx", "not one"),
        (codecs.BOM_UTF16_LE + b"N\x00a", "", "UTF-16-LE"),
        (b"hello\nworld\n", "", "single column headed 'hello'"),
        (b'Name,Email\r\nAnn,"' + b"x" * 200_000 + b'"\r\n', "", "could not be read"),
    ],
)
def test_unreadable_files_raise_a_clear_error(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_table(data, filename)


def test_single_known_column_is_a_table() -> None:
    table = read_table(b"Email\r\na@example.org\r\n")
    assert (table.headers, cells(table)) == (["Email"], [["a@example.org"]])


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing.reading, "MAX_ROWS", 3)
    data = write_csv([["Name", "Email"]] + [["A", f"a{i}@example.org"] for i in range(4)])
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read_table(data.encode())


def test_reading_has_no_size_limit_of_its_own() -> None:
    """How large an upload may be is the web app's setting (MAX_UPLOAD_MB), and the command
    line has no limit at all."""
    note = "n" * 10_000
    rows = [["Name", "Email", "Notes"]]
    rows += [[f"P{i}", f"p{i}@example.org", note] for i in range(1300)]
    data = write_csv(rows).encode()
    assert len(data) > 12 * 1024 * 1024
    table, _, report = parse_attendee_file(data)
    assert (table.row_count, len(report.records), report.errors) == (1300, 1300, [])


def test_reading_keeps_no_copy_of_the_file() -> None:
    """Text is decoded as the csv module reads it and rows are not kept, so reading and
    walking a 6 MB file allocates a small part of its size (a decoded copy, a StringIO and
    the rows as lists took about ten times the file's size)."""
    rows = sample_rows("eventbrite_attendee_report.csv")
    body = [[*r[:4], f"p{i}@example.org", *r[5:]] for i, r in enumerate(rows[1:] * 400)]
    data = codecs.BOM_UTF8 + write_csv([rows[0], *body]).encode()
    assert len(data) > 6_000_000
    tracemalloc.start()
    try:
        table = read_table(data, "big.csv")
        walked = sum(1 for _ in table.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert walked == table.row_count == 19_200
    assert peak < len(data) / 3


def test_validation_reports_progress() -> None:
    rows = [["Name", "Email"]] + [[f"P{i}", f"p{i}@example.org"] for i in range(2500)]
    seen: list[int] = []
    table = read_table(write_csv(rows).encode())
    report = validate_rows(table, {"name": 0, "email": 1}, progress=seen.append)
    assert seen == [1000, 2000] and report.total_rows == 2500


def test_text_in_an_unusual_encoding_is_guessed() -> None:
    """Neither UTF-8 nor the Windows code page (0x90, the "ђ", is undefined there):
    charset_normalizer names it, and the rows read as usual."""
    names = [f"Ђорђе Петровић {i}" for i in range(30)]
    text = "Name,Email\r\n" + "".join(f"{n},p{i}@example.org\r\n" for i, n in enumerate(names))
    table, _, report = parse_attendee_file(text.encode("cp1251"))
    assert table.encoding not in ("utf-8", "cp1252")
    assert [r.name for r in report.records] == names


def test_many_rows_parse_and_validate() -> None:
    rows = sample_rows("eventbrite_attendee_report.csv")
    body = [[*r[:4], f"person{i}@example.org", *r[5:]] for i, r in enumerate(rows[1:] * 210)]
    _, _, report = parse_attendee_file(write_csv([rows[0], *body]).encode())
    assert (report.total_rows, len(report.records), report.errors) == (10_080, 10_080, [])


# --------------------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4096))
def test_read_table_only_raises_import_file_error(data: bytes) -> None:
    try:
        read_table(data)
    except ImportFileError:
        pass


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([b"PK\x03\x04", codecs.BOM_UTF16_LE, b""]))
def test_prefixed_garbage_only_raises_import_file_error(data: bytes, prefix: bytes) -> None:
    try:
        read_table(prefix + data, "x.xlsx" if prefix.startswith(b"PK") else "")
    except ImportFileError:
        pass


CELL = st.text(alphabet=st.sampled_from(list('ab@.,;\t\n\r" /•é')), max_size=12)


@FUZZ
@given(st.lists(st.lists(CELL, max_size=5), max_size=6), st.sampled_from(",;\t"))
def test_table_like_text_parses_and_validates(rows: list[list[str]], delimiter: str) -> None:
    data = write_csv([["Name", "Email", "Interests", "Website"], *rows], delimiter).encode()
    try:
        table, mapping, report = parse_attendee_file(data)
    except ImportFileError:
        return
    rows = list(table.rows())
    assert len(rows) == table.row_count == report.total_rows
    assert all(len(row.cells) == len(table.headers) for row in rows)
    assert report.total_rows - len(report.records) == len({e.row for e in report.errors})
    assert len(report.records) <= report.total_rows


def _damaged_workbooks() -> list[bytes]:
    good = xlsx([["Name", "Email"], ["Ann", "a@example.org"]])
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(rewritten, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            target.writestr(item, b"<worksheet><oops" if "sheet1" in item.filename else body)
    return [good[: len(good) // 2], good[:-30], rewritten.getvalue()]


@pytest.mark.parametrize("data", _damaged_workbooks())
def test_damaged_workbooks_raise_a_clear_error(data: bytes) -> None:
    with pytest.raises(ImportFileError, match="could not be opened as an Excel workbook"):
        read_table(data, "guests.xlsx")


def _library_verdict(email: str) -> str | None:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _our_verdict(email: str) -> str | None:
    try:
        return normalize_email(email)
    except EmailNotValidError:
        return None


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (" Ann.Lee+tag@Example.ORG ", "ann.lee+tag@example.org"),
        ("mailto:ann@example.org", "ann@example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("ann@example", None),
        ("a..b@example.org", None),
        (".ann@example.org", None),
        ("ann@-example.org", None),
        ("ann@example..org", None),
        ("ann@localhost", None),
        ("ann@example.invalid", None),
        ("zoë@exämple.org", "zoë@exämple.org"),
        ("x" * 65 + "@example.org", "x" * 65 + "@example.org"),  # the library allows it
    ],
)
def test_normalize_email(email: str, expected: str | None) -> None:
    assert _our_verdict(email) == expected


@FUZZ
@given(
    st.one_of(
        st.emails(),
        st.text(alphabet=st.sampled_from(list("aZ0.-_+@'\"ä ")), max_size=20),
    )
)
def test_cached_email_check_agrees_with_email_validator(email: str) -> None:
    """Caching the domain check must not change a single verdict."""
    assert _our_verdict(email) == _library_verdict(email.strip().lower())


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_columns(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(importing.reading, "MAX_COLUMNS", 3)
    rows = [["Name", "Email"], ["Ann", "a@example.org", "", "", "far right"]]
    data = xlsx(rows) if kind == "xlsx" else write_csv(rows).encode()
    with pytest.raises(ImportFileError, match="more than 3 columns"):
        read_table(data)
