"""Checking an organizer's email and password without telling an attacker more than "no"."""

from __future__ import annotations

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Organizer


@cache
def _stand_in_hash() -> str:
    """A hash made the way real ones are, checked when the email has no account, so that
    an unknown email costs the same time as a known one (no account discovery by timing)."""
    return generate_password_hash("no account has this password")


def authenticate(email: str, password: str) -> Organizer | None:
    """The organizer with this email and password, or None; one password check either way."""
    organizer = db.session.scalar(Organizer.by_email(email))
    stored = organizer.password_hash if organizer is not None else _stand_in_hash()
    matches = check_password_hash(stored, password)
    return organizer if organizer is not None and matches else None
