"""Checking an organizer's email and password without telling an attacker more than "no".

Wrong passwords are counted per email, for emails with and without an account alike, in
the database so that every worker process sees the same count: after `failures` of them
within `window`, the email cannot sign in for `duration`. A successful sign-in clears the
count. Each attempt costs one password-hash check, whether or not the account exists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Organizer, utcnow
from .models import SignInThrottle


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int = 10
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)


class SignInLocked(Exception):
    """Too many wrong passwords for this email; sign-in waits until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"sign-in locked until {until.isoformat()}")
        self.until = until


@cache
def _stand_in_hash() -> str:
    """A hash made the way real ones are, checked when the email has no account, so that
    an unknown email costs the same time as a known one (no account discovery by timing)."""
    return generate_password_hash("no account has this password")


def email_digest(email: str) -> str:
    return hashlib.sha256(Organizer.normalize_email(email).encode()).hexdigest()


def authenticate(email: str, password: str, policy: LockoutPolicy) -> Organizer | None:
    """The organizer with this email and password, or None; one password check either way.

    Raises SignInLocked, without checking the password, while the email is locked, and
    when this attempt is the one that locks it.
    """
    digest = email_digest(email)
    now = utcnow()
    locked_until = db.session.scalar(
        select(SignInThrottle.locked_until).where(SignInThrottle.email_digest == digest)
    )
    if locked_until is not None and locked_until > now:
        raise SignInLocked(locked_until)

    organizer = db.session.scalar(Organizer.by_email(email))
    stored = organizer.password_hash if organizer is not None else _stand_in_hash()
    matches = check_password_hash(stored, password)
    if organizer is not None and matches:
        db.session.execute(delete(SignInThrottle).where(SignInThrottle.email_digest == digest))
        db.session.commit()
        return organizer

    locked_until = _count_failure(digest, now, policy)
    if locked_until is not None:
        raise SignInLocked(locked_until)
    return None


def _count_failure(digest: str, now: datetime, policy: LockoutPolicy) -> datetime | None:
    """Add one wrong password for the email; the end of the lockout it started, if any.

    The count goes up in one UPDATE, so two workers counting at once both count.
    """
    throttle = SignInThrottle
    # Rows that nobody has added to lately go; a count from an old window, or one that
    # ended in a lockout that is over, starts again from nothing.
    db.session.execute(
        delete(throttle).where(throttle.window_started_at < now - policy.window - policy.duration)
    )
    db.session.execute(
        update(throttle)
        .where(
            throttle.email_digest == digest,
            or_(throttle.window_started_at <= now - policy.window, throttle.locked_until <= now),
        )
        .values(failures=0, window_started_at=now, locked_until=None)
    )
    counted = db.session.execute(
        update(throttle)
        .where(throttle.email_digest == digest)
        .values(failures=throttle.failures + 1)
    ).rowcount
    if not counted:
        try:
            with db.session.begin_nested():
                db.session.add(throttle(email_digest=digest, failures=1, window_started_at=now))
        except IntegrityError:  # another worker added the row a moment ago
            db.session.execute(
                update(throttle)
                .where(throttle.email_digest == digest)
                .values(failures=throttle.failures + 1)
            )
    locked_until = now + policy.duration
    locked = db.session.execute(
        update(throttle)
        .where(
            throttle.email_digest == digest,
            throttle.failures >= policy.failures,
            throttle.locked_until.is_(None),
        )
        .values(locked_until=locked_until)
    ).rowcount
    db.session.commit()
    return locked_until if locked else None
