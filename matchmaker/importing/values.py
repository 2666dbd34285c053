"""One cell's text -> the value we store: roles, meeting modes, phrase lists, emails, links.

People type answers in their own words ("Looking for work", "Hybrid", "a, b; c"); these
functions map them onto our vocabulary, forgiving in spelling and strict in what they accept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import validate_email

from matchmaker.choices import MEETING_MODES, ROLES


def plain_words(text: str) -> str:
    """Lowercase ASCII words: 'Organisation:' and 'organisation' compare equal."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text.replace("'", "").replace("\u2019", "")))


_ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "job_seeker": (
        "job seeker", "jobseeker", "job seeking", "looking for work", "looking for a job",
        "seeking work", "open to work", "job hunting", "candidate",
    ),
    "employer": ("employer", "hiring", "recruiter", "hiring manager", "recruiting"),
    "expert": ("expert", "mentor", "advisor", "adviser", "coach", "consultant"),
    "founder": ("founder", "co founder", "cofounder", "entrepreneur"),
    "student": ("student",),
    "investor": ("investor", "vc", "angel", "angel investor", "venture capitalist"),
    "other": ("other",),
}  # fmt: skip
#: Every way of naming a role we recognise, as plain words -> ROLES key.
ROLE_ANSWERS: dict[str, str] = {
    plain_words(text): key
    for key, label in ROLES.items()
    for text in (key, label, *_ROLE_SYNONYMS.get(key, ()))
}
_ROLE_KEYWORDS = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"\b(co ?founder|founder|founding|entrepreneur)\b", "founder"),
        (r"\b(investor|vc|venture|angel)\b", "investor"),
        (r"\b(employer|hiring|recruit\w*|talent acquisition)\b", "employer"),
        (r"\b(job ?seek\w*|looking for (a )?(job|work|role)|open to work|between jobs)\b",
         "job_seeker"),
        (r"\b(student|phd|undergrad\w*|studying)\b", "student"),
        (r"\b(expert|mentor|advis[eo]r|consultant|coach)\b", "expert"),
    )
)  # fmt: skip

_MODE_EITHER = re.compile(r"\b(either|both|hybrid|any|no preference|flexible|whichever)\b")
_MODE_IN_PERSON = re.compile(r"\b(in ?person|on ?site|face to face|irl|offline|physical)\b")
_MODE_VIRTUAL = re.compile(r"\b(virtual|virtually|online|on line|remote|remotely|video)\b")


@lru_cache(maxsize=1024)
def normalize_role(text: str) -> str:
    """Map what people typed ("Looking for work", "Hiring") onto a ROLES key; else 'other'."""
    words = plain_words(text)
    if words in ROLE_ANSWERS:
        return ROLE_ANSWERS[words]
    for pattern, key in _ROLE_KEYWORDS:
        if pattern.search(words):
            return key
    return "other"


@lru_cache(maxsize=1024)
def normalize_meeting_mode(text: str) -> str:
    """Map an answer onto a MEETING_MODES key; blank or unclear answers mean 'either'."""
    words = plain_words(text).replace("in_person", "in person")
    if words in MEETING_MODES:
        return words
    if _MODE_EITHER.search(words):
        return "either"
    in_person = bool(_MODE_IN_PERSON.search(words))
    virtual = bool(_MODE_VIRTUAL.search(words))
    if in_person and not virtual:
        return "in_person"
    if virtual and not in_person:
        return "virtual"
    return "either"


_PHRASE_SPLIT = re.compile(r"[,;\n\r\u2022\u2023\u2043\u2219\u25aa\u25cf\u25e6\u00b7]|\s/\s")
_LIST_MARKER = re.compile(r"^(?:[-*+\u2013]|\d{1,2}[.)])\s+")
_MARKER_STARTS = frozenset("-*+\u20130123456789")


def split_phrases(text: str) -> list[str]:
    """Split a free-text list into short phrases, first spelling of each kept, order kept.

    Separators are commas, semicolons, line breaks, " / " and bullets, because that is how
    people write lists in a single form field.
    """
    phrases: list[str] = []
    seen: set[str] = set()
    for piece in _PHRASE_SPLIT.split(text):
        piece = piece.strip()
        if piece[:1] in _MARKER_STARTS:
            piece = _LIST_MARKER.sub("", piece)
        phrase = " ".join(piece.split())
        folded = phrase.casefold()
        if phrase and folded not in seen:
            seen.add(folded)
            phrases.append(phrase)
    return phrases


@lru_cache(maxsize=1)
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def time_zone_name(text: str) -> str | None:
    """The IANA name in its usual spelling, matched without case; None when unknown."""
    return _time_zones().get(text.lower())


def normalize_url(value: str) -> str | None:
    """Return an http(s) URL, adding https:// to 'www.x.org/…' style values; None if invalid."""
    if any(c.isspace() for c in value):
        return None
    if "://" not in value and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", value):
        value = "https://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if "." not in host and host != "localhost":
        return None
    return value


_SIMPLE_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def normalize_email(text: str) -> str:
    """Lowercase and validate an address (syntax only, no DNS); raises EmailNotValidError."""
    return checked_email(text.strip().lower().removeprefix("mailto:"))


def checked_email(email: str) -> str:
    """email-validator's verdict on a lowercased address, with the domain part cached.

    A file repeats few domains. A plain ASCII dot-atom local part is valid on its own, so
    only the domain needs the library's (slow, IDNA-aware) check; anything unusual goes
    through the full check. Raises EmailNotValidError.
    """
    local, at, domain = email.rpartition("@")
    if at and len(local) <= 64 and domain.isascii() and _SIMPLE_LOCAL.fullmatch(local):
        return f"{local}@{_validated_domain(domain)}"
    return validate_email(email, check_deliverability=False).normalized.lower()


@lru_cache(maxsize=4096)
def _validated_domain(domain: str) -> str:
    return validate_email(f"a@{domain}", check_deliverability=False).domain.lower()
