"""A person -> vCard 3.0 text (RFC 2426), the contact file every address book imports.

Pure: no Flask, no database. The caller decides what goes in; a partner's email and links
are passed only where the viewer may see them, so the card never holds more than the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
LINE_OCTETS = 75


def build_vcard(
    name: str,
    *,
    organization: str = "",
    title: str = "",
    emails: Iterable[str] = (),
    urls: Iterable[str] = (),
    note: str = "",
) -> str:
    """One VCARD with CRLF line endings and lines folded at 75 octets.

    The structured name is guessed the way address books do for a single "full name" field:
    the last word is the family name and the rest the given names.
    """
    full = _one_line(name)
    if not full:
        raise ValueError("a vCard needs a name")
    given, _, family = full.rpartition(" ")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{_escape(family)};{_escape(given)};;;",
        f"FN:{_escape(full)}",
    ]
    if _one_line(organization):
        lines.append(f"ORG:{_escape(_one_line(organization))}")
    if _one_line(title):
        lines.append(f"TITLE:{_escape(_one_line(title))}")
    for email in emails:
        if _one_line(email):
            lines.append(f"EMAIL;TYPE=INTERNET:{_escape(_one_line(email))}")
    for url in urls:
        if _one_line(url):
            lines.append(f"URL:{_escape(_one_line(url))}")
    if note.strip():
        lines.append(f"NOTE:{_escape(_CONTROLS.sub('', note.strip()))}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", _CONTROLS.sub("", text or "")).strip()


def _escape(text: str) -> str:
    """TEXT values (RFC 2426 4): backslash, comma and semicolon escaped, line breaks as \\n."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Split a long line into pieces of at most 75 octets, never inside a character or an
    escape; each continuation starts with a space."""
    pieces: list[str] = []
    current, size = "", 0
    limit = LINE_OCTETS
    for char in _escape_units(line):
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            current, size = "", 1  # the leading space of the continuation line
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _escape_units(line: str) -> Iterable[str]:
    """Characters, with an escape (backslash and what follows) kept as one unit."""
    index = 0
    while index < len(line):
        step = 2 if line[index] == "\\" and index + 1 < len(line) else 1
        yield line[index : index + step]
        index += step
