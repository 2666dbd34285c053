"""Files that leave the app: safe spreadsheet cells and download names."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from matchmaker.exports import disposition, neutralize


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+2", "'=1+2"), ("+1", "'+1"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("Ana", "Ana")],
)
def test_formulas_are_shown_as_text(value: str, cell: str) -> None:
    assert neutralize(value) == cell


def read_name(header: str) -> str | None:
    """The file name a browser-style reading (``filename*`` first, RFC 6266) finds."""
    return parse_options_header(header)[1].get("filename")


@pytest.mark.parametrize(
    ("name", "plain", "real"),
    [
        ("meeting-Lina Nyström.ics", "meeting-Lina-Nystrom.ics", "meeting-Lina Nyström.ics"),
        ("Åsa Øberg.vcf", "Asa-berg.vcf", "Åsa Øberg.vcf"),
        ("plain-name.json", "plain-name.json", "plain-name.json"),
        ('../evil"\r\nX-Header: 1.ics', "evil-X-Header-1.ics", "evil-X-Header: 1.ics"),
        ("日本.ics", "calendar.ics", "日本.ics"),
    ],
)
def test_download_names_keep_their_letters_and_stay_one_header(
    name: str, plain: str, real: str
) -> None:
    header = disposition("attachment", name, "calendar.ics")
    assert "\r" not in header and "\n" not in header
    assert f'filename="{plain}"' in header
    assert read_name(header) == real


def test_a_name_with_nothing_plain_left_falls_back_to_the_default() -> None:
    assert disposition("inline", "---", "calendar.ics") == 'inline; filename="calendar.ics"'
