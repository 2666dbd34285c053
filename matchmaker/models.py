"""Database models (SQLAlchemy 2.0 typed mappings).

Instants are stored in UTC; an event carries its IANA zone so pages can show local time.
Phrase lists live in JSON columns: they are always read and written whole, with the profile.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_access_token() -> str:
    """192 random bits, URL-safe: an attendee's private link cannot be guessed."""
    return secrets.token_urlsafe(24)


class Organizer(UserMixin, db.Model):
    __tablename__ = "organizer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(
        back_populates="organizer", order_by="Event.starts_at.desc()"
    )

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @classmethod
    def by_email(cls, email: str):  # noqa: ANN206 - returns a Select
        return select(cls).where(cls.email == cls.normalize_email(email))


class Event(db.Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=15)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=5)
    table_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    virtual_link_template: Mapped[str] = mapped_column(String(500), default="")
    max_meetings_per_attendee: Mapped[int] = mapped_column(Integer, default=6)
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizer: Mapped[Organizer] = relationship(back_populates="events")
    sessions: Mapped[list[NetworkingSession]] = relationship(
        back_populates="event",
        order_by="NetworkingSession.starts_at",
        cascade="all, delete-orphan",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def attendees_select(self):  # noqa: ANN201 - returns a Select
        return select(Attendee).where(Attendee.event_id == self.id).order_by(Attendee.name)


class NetworkingSession(db.Model):
    """A time window of the event in which 1:1 meetings happen."""

    __tablename__ = "networking_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="sessions")

    def label(self) -> str:
        start = self.event.local(self.starts_at)
        end = self.event.local(self.ends_at)
        when = f"{start:%a %d %b, %H:%M}–{end:%H:%M}"
        return f"{self.name} ({when})" if self.name else when


class Attendee(db.Model):
    __tablename__ = "attendee"
    __table_args__ = (UniqueConstraint("event_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organization: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="other")
    bio: Mapped[str] = mapped_column(Text, default="")
    can_help_with: Mapped[list[str]] = mapped_column(JSON, default=list)
    looking_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_mode: Mapped[str] = mapped_column(String(20), default="either")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # None means "every session"; otherwise the ids of the sessions the attendee can attend.
    available_session_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    linkedin_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    website_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    consent_share_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    access_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_access_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def has_profile(self) -> bool:
        return bool(self.can_help_with or self.looking_for)

    def available_in(self, session_id: int) -> bool:
        ids = self.available_session_ids
        return ids is None or session_id in ids

    def revoke_access(self) -> None:
        self.access_token = new_access_token()


class ImportUpload(db.Model):
    """An uploaded attendee file kept between the mapping preview and the import."""

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
