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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    case,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .choices import (
    Answer,
    AttendeeStatus,
    JobStatus,
    MailStatus,
    MeetingOutcome,
    MeetingStatus,
    SchedulingMode,
)
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


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Organizer(UserMixin, db.Model):
    """An organizer account.

    Sign-in cookies carry `session_token`, not the id: a new token (on sign-out or a new
    password) makes every cookie issued before it worthless, on every device.
    """

    __tablename__ = "organizer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(
        back_populates="organizer", order_by="Event.starts_at.desc()"
    )

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return self.session_token

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @classmethod
    def by_email(cls, email: str):  # noqa: ANN206 - returns a Select
        return select(cls).where(cls.email == cls.normalize_email(email))

    @classmethod
    def by_session_token(cls, token: str):  # noqa: ANN206 - returns a Select
        return select(cls).where(cls.session_token == token)


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
    scheduling_mode: Mapped[str] = mapped_column(
        String(20),
        default=SchedulingMode.PEOPLE_CHOOSE.value,
        server_default=SchedulingMode.PEOPLE_CHOOSE.value,
    )
    # Meetings per attendee that auto-schedule leaves free for mutual yeses still to come.
    auto_schedule_reserve: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Matching settings: suggestions per attendee, exposure cap (None = no cap), how much
    # to move people who are in many lists down (0 = not at all, up to 1), organizer's
    # aliases ({"k8s": "kubernetes"}) and who may meet whom: a preset of
    # `matching.roles`, where "custom" means the matrix in `role_rules`.
    suggestions_per_attendee: Mapped[int] = mapped_column(Integer, default=10)
    max_exposure: Mapped[int | None] = mapped_column(Integer, nullable=True)
    exposure_penalty: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    exclude_same_organization: Mapped[bool] = mapped_column(Boolean, default=True)
    synonyms: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    role_preset: Mapped[str] = mapped_column(
        String(20), default="everyone", server_default="everyone"
    )
    role_rules: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True)
    # Pairs who met at the organizer's earlier events: a `choices.FollowUps`.
    follow_ups: Mapped[str] = mapped_column(
        String(12), default="as_usual", server_default="as_usual"
    )
    # Whether suggestions use weights learnt from the organizer's answers, and what the last
    # matching run learnt (see matchmaker.learned_weights; None: nothing fitted yet).
    learn_from_answers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    learned_weights: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
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

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= utcnow()

    @property
    def takes_registrations(self) -> bool:
        """The organizer's switch, and only until the event ends: nobody signs up for a
        day that is over."""
        return self.registration_open and not self.has_ended

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
    status: Mapped[str] = mapped_column(
        String(20), default=AttendeeStatus.ACTIVE.value, server_default=AttendeeStatus.ACTIVE.value
    )
    # The link that proves a public registration's email; cleared once it is opened.
    confirm_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == AttendeeStatus.ACTIVE

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


class Suggestion(db.Model):
    """A suggested pair, stored once per unordered pair (low id first).

    `rank_low` is the partner's place in the low attendee's list (None when the pair is not
    in that list, e.g. because of the exposure cap); answers are kept per side, so a pair
    that one side declined is never suggested again, and one both want is a confirmed match.
    """

    __tablename__ = "suggestion"
    __table_args__ = (UniqueConstraint("low_id", "high_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    low_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    # {"low_helps": [[low phrase, high phrase], ...], "high_helps": [...], "shared": [...]}
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rank_low: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rank_high: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answer_low: Mapped[str] = mapped_column(String(12), default=Answer.NONE.value)
    answer_high: Mapped[str] = mapped_column(String(12), default=Answer.NONE.value)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    low: Mapped[Attendee] = relationship(foreign_keys=[low_id])
    high: Mapped[Attendee] = relationship(foreign_keys=[high_id])

    @classmethod
    def both_said(cls, answer: Answer):  # noqa: ANN206 - a SQL expression
        """In a query: pairs where both sides gave ``answer``."""
        return and_(cls.answer_low == answer, cls.answer_high == answer)

    @classmethod
    def either_said(cls, answer: Answer):  # noqa: ANN206 - a SQL expression
        """In a query: pairs where at least one side gave ``answer``."""
        return or_(cls.answer_low == answer, cls.answer_high == answer)

    @property
    def confirmed(self) -> bool:
        return self.answer_low == self.answer_high == Answer.INTERESTED

    @property
    def declined(self) -> bool:
        return Answer.DECLINED in (self.answer_low, self.answer_high)

    def side(self, attendee_id: int) -> str:
        if attendee_id == self.low_id:
            return "low"
        if attendee_id == self.high_id:
            return "high"
        raise ValueError("that attendee is not part of this pair")

    def partner_id(self, attendee_id: int) -> int:
        return self.high_id if self.side(attendee_id) == "low" else self.low_id

    def answer_of(self, attendee_id: int) -> str:
        return getattr(self, f"answer_{self.side(attendee_id)}")

    def partner_answer(self, attendee_id: int) -> str:
        other = "high" if self.side(attendee_id) == "low" else "low"
        return getattr(self, f"answer_{other}")


class Job(db.Model):
    """One background job for an event (see :mod:`matchmaker.jobs`), with the progress that
    the page waiting on it shows.

    ``kind`` names the task ("matching", "scheduling"); ``params`` are its inputs and
    ``figures`` its result, both JSON. ``attempts`` counts the times a worker started it.
    At most one job of a kind is queued or running for an event: the partial unique index
    is that lock, for every web and worker process at once.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index(
            "uq_job_event_kind_active",
            "event_id",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED.value)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Meeting(db.Model):
    """A booked meeting of a pair. Cancelled meetings stay, so calendars can cancel them."""

    __tablename__ = "meeting"
    __table_args__ = (
        Index(
            "uq_meeting_table_slot",
            "event_id",
            "table_name",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'confirmed' AND table_name IS NOT NULL"),
            postgresql_where=text("status = 'confirmed' AND table_name IS NOT NULL"),
        ),
        Index(
            "uq_meeting_pair_active",
            "low_id",
            "high_id",
            unique=True,
            sqlite_where=text("status = 'confirmed'"),
            postgresql_where=text("status = 'confirmed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="SET NULL"), nullable=True, index=True
    )
    low_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(12))  # in_person | virtual
    table_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    virtual_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    score: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(12), default=MeetingStatus.CONFIRMED.value)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # When both people were emailed the question "did it happen?" (see matchmaker.feedback).
    feedback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    low: Mapped[Attendee] = relationship(foreign_keys=[low_id])
    high: Mapped[Attendee] = relationship(foreign_keys=[high_id])
    seats: Mapped[list[MeetingSeat]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    def partner_of(self, attendee_id: int) -> Attendee:
        return self.high if attendee_id == self.low_id else self.low


class MeetingSeat(db.Model):
    """An attendee's presence in a slot: the unique key makes double-booking impossible,
    even for two confirmations that arrive at the same moment."""

    __tablename__ = "meeting_seat"
    __table_args__ = (UniqueConstraint("attendee_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="seats")


class MeetingFeedback(db.Model):
    """One person's answer about one of their meetings once it ended: did it happen, was it
    useful (1-5), who helped whom, would they meet again, and a note for themselves.

    One row per (meeting, person), edited in place. Private to that person: the organizer
    sees counts, and who reported a no-show (see :mod:`matchmaker.feedback`).
    """

    __tablename__ = "meeting_feedback"
    __table_args__ = (UniqueConstraint("meeting_id", "attendee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(12))  # a MeetingOutcome
    usefulness: Mapped[int | None] = mapped_column(Integer, nullable=True)
    helped: Mapped[str | None] = mapped_column(String(16), nullable=True)  # a Helped
    meet_again: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()

    @classmethod
    def met_pairs(cls, event_id: int):  # noqa: ANN206 - returns a Select
        """(low_id, high_id) of the event's meetings that happened: someone said they met,
        and nobody said that it did not happen."""
        met = func.sum(case((cls.outcome == MeetingOutcome.MET, 1), else_=0))
        return (
            select(Meeting.low_id, Meeting.high_id)
            .join(cls, cls.meeting_id == Meeting.id)
            .where(Meeting.event_id == event_id, Meeting.status == MeetingStatus.CONFIRMED)
            .group_by(Meeting.id, Meeting.low_id, Meeting.high_id)
            .having(met > 0, met == func.count(cls.id))
        )


class OutboxMessage(db.Model):
    """An email waiting to be sent; a failed send is retried and shown to the organizer."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # Indexed: deleting a meeting looks its messages up by this column.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # A follow-up reminder an attendee asked for, due later, about this person (the partner's
    # record); it goes with that record, and is not one of the organizer's invitations.
    follow_up_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), nullable=True, index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics_method: Mapped[str | None] = mapped_column(String(12), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default=MailStatus.PENDING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
