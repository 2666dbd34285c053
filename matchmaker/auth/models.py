"""What sign-in remembers besides the accounts themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime


class SignInThrottle(db.Model):
    """Wrong passwords recently tried for one email, whether or not it has an account.

    Kept in the database so that every worker process sees the same count. The email is
    stored only as a SHA-256 digest: the table must not become a list of addresses that
    people (or a script) typed into the sign-in form.
    """

    __tablename__ = "sign_in_throttle"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
