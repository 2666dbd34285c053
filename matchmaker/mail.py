"""Invitations and notices by email, through an outbox in the database.

A booking must never fail or wait because a mail server is slow or down, so nothing here is
sent inside a request: :func:`queue_email` adds an :class:`OutboxMessage` to the caller's
transaction (the mail exists exactly when the booking does), and :func:`send_pending` sends
what is due, from a worker of the Redis queue or a background thread of the web process
(:func:`send_in_background`), or from cron (``flask send-mail``). A failed send is retried
with growing delays and, after ``MAX_ATTEMPTS``, marked "failed" for the organizer to see
(:func:`outbox_summary`).

Calendar mail follows iTIP (RFC 5546) as mail clients expect it: the calendar goes in a
``text/calendar; method=...`` alternative, which Outlook, Gmail and Apple Mail show as an
invitation with its buttons, and again as an ``invite.ics`` attachment for everyone else.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, scoped_session

from . import job_queue
from .choices import MailStatus
from .extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = MailStatus.PENDING, MailStatus.SENT, MailStatus.FAILED
STATUSES = (PENDING, SENT, FAILED)
ICS_METHODS = ("PUBLISH", "REQUEST", "CANCEL")
ATTACHMENT_NAME = "invite.ics"
MAX_ATTEMPTS = 8
# 1, 5, 25, 125 minutes, then every 6 hours: a short outage costs minutes, and a message
# still failing after about a day is given up while the event is still ahead.
FIRST_DELAY = timedelta(minutes=1)
BACKOFF_FACTOR = 5
MAX_DELAY = timedelta(hours=6)
# A message being sent is pushed this far ahead, so a second sender skips it and a sender
# that dies mid-send leaves it to be retried later instead of stuck.
CLAIM_LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 30
ERROR_LENGTH = 500

_SUBJECT_LIMIT = OutboxMessage.__table__.c.subject.type.length or 300
_NAME_LIMIT = OutboxMessage.__table__.c.to_name.type.length or 200
_WHITESPACE = re.compile(r"\s+")
_ICS_METHOD = re.compile(r"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)

SessionLike = Session | scoped_session


@dataclass(frozen=True)
class SendReport:
    """What one run of :func:`send_pending` did.

    ``failed`` counts messages given up on in this run; ``retry_later`` those that failed
    this time and wait for another attempt (or, when mail is not configured, that wait).
    """

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    configured: bool = True

    def __str__(self) -> str:
        if not self.configured:
            return (
                f"Mail is not configured (MAIL_SERVER is empty); "
                f"{self.retry_later} due messages wait in the outbox."
            )
        return f"Sent {self.sent}, failed {self.failed}, retrying later {self.retry_later}."


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 5, 25, 125 minutes, then 6 h."""
    if attempts < 1:
        return timedelta()
    # Capped before multiplying, so a large count cannot overflow timedelta.
    exponent = min(attempts - 1, 10)
    return min(FIRST_DELAY * BACKOFF_FACTOR**exponent, MAX_DELAY)


def queue_email(
    session: SessionLike,
    *,
    to_email: str,
    to_name: str,
    subject: str,
    body_text: str,
    ics: bytes | str | None = None,
    ics_method: str | None = None,
    event_id: int | None,
    meeting_id: int | None = None,
    send_at: datetime | None = None,
    follow_up_of_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction; the caller commits.

    ``send_at`` holds it back until then (a reminder weeks later); by default it is due now.

    Errors that would make the message unsendable (no address, a calendar without its iTIP
    method) are raised here, while the caller can still roll back, not at send time.
    """
    to_email = to_email.strip()
    if not to_email or "@" not in to_email or any(c.isspace() for c in to_email):
        raise ValueError(f"not a usable email address: {to_email!r}")
    if isinstance(ics, bytes):
        ics = ics.decode("utf-8")
    if ics is not None:
        if ics_method not in ICS_METHODS:
            raise ValueError(f"ics_method must be one of {ICS_METHODS}, not {ics_method!r}")
        found = _ICS_METHOD.search(ics)
        if found is None or found.group(1).upper() != ics_method:
            raise ValueError(f"the calendar does not carry METHOD:{ics_method}")
    elif ics_method is not None:
        raise ValueError("ics_method given without a calendar")
    message = OutboxMessage(
        event_id=event_id,
        meeting_id=meeting_id,
        follow_up_of_id=follow_up_of_id,
        to_email=to_email,
        to_name=_one_line(to_name)[:_NAME_LIMIT],
        subject=_one_line(subject)[:_SUBJECT_LIMIT],
        body_text=body_text,
        ics=ics,
        ics_method=ics_method,
        status=PENDING,
        attempts=0,
        last_error="",
        next_attempt_at=send_at or datetime.now(UTC),
    )
    session.add(message)
    return message


def build_message(
    outbox: OutboxMessage, sender: str, *, now: datetime | None = None
) -> EmailMessage:
    """The email for an outbox row: plain text, plus the invitation when it carries one.

    With a calendar the layout is the one Gmail and Outlook send themselves::

        multipart/mixed
          multipart/alternative
            text/plain
            text/calendar; method=REQUEST; charset=UTF-8
          application/ics; name=invite.ics   (attachment)

    The calendar is carried as base64 so its CRLF line ends arrive byte for byte.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=outbox.to_name or "", addr_spec=outbox.to_email)
    message["Subject"] = outbox.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = _message_id(outbox, sender)
    # RFC 3834: keeps out-of-office replies from answering a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(outbox.body_text, cte="quoted-printable")
    if outbox.ics is None:
        return message
    method = (outbox.ics_method or "").upper()
    if method not in ICS_METHODS:
        raise ValueError(f"outbox message {outbox.id} has a calendar without a known method")
    ics = outbox.ics.encode("utf-8")
    message.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "UTF-8"},
    )
    message.add_attachment(
        ics,
        maintype="application",
        subtype="ics",
        filename=ATTACHMENT_NAME,
        params={"name": ATTACHMENT_NAME},
    )
    return message


def is_configured(config: Mapping[str, Any]) -> bool:
    """Whether mail can go out at all: without ``MAIL_SERVER`` everything waits in the outbox."""
    return bool(config.get("MAIL_SERVER"))


def send_pending(
    session: SessionLike,
    config: Mapping[str, Any],
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> SendReport:
    """Send the outbox messages that are due, over one SMTP connection.

    Commits after every message, so a refused address or a crash halfway through loses
    nothing already sent or recorded. Call it with no unsaved work in ``session``.
    """
    now = now or datetime.now(UTC)
    # Ids and attempt counts as seen now: the claim below succeeds only if they still hold.
    due = session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    if not is_configured(config):
        return SendReport(retry_later=len(due), configured=False)

    sender = str(config.get("MAIL_DEFAULT_SENDER") or "matchmaker@localhost")
    envelope_from = parseaddr(sender)[1] or sender
    sent = failed = retry_later = 0
    server = _Connection(config)
    try:
        for message_id, seen in due:
            if not _claim(session, message_id, seen, now):
                continue
            attempts = seen + 1
            message = session.get_one(OutboxMessage, message_id)
            try:
                email_message = build_message(message, sender, now=now)
            except (ValueError, TypeError, MessageError) as error:
                # An address or header email cannot write: no retry will change that.
                failure = _describe(error), True
            else:
                failure = server.send(email_message, envelope_from, message.to_email)
            if failure is None:
                _record_sent(session, message, now)
                sent += 1
            elif _record_failure(session, message, attempts, *failure, now):
                failed += 1
            else:
                retry_later += 1
    finally:
        server.quit()
    return SendReport(sent=sent, failed=failed, retry_later=retry_later)


class _Connection:
    """One SMTP connection for a batch, opened when the first message is ready to go and
    opened again after an error that closed it. Once the server cannot be reached, the rest
    of the batch shares that error instead of each waiting for its own connection timeout.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.unreachable: str | None = None

    def send(
        self, email_message: EmailMessage, envelope_from: str, to_email: str
    ) -> tuple[str, bool] | None:
        """None when the server took the message; otherwise what went wrong and whether
        that is permanent (no retry will change it)."""
        if self.unreachable is None and self.smtp is None:
            try:
                self.smtp = _connect(self.config)
            except (smtplib.SMTPException, OSError) as error:
                self.unreachable = _describe(error)
        if self.unreachable is not None:
            return self.unreachable, False
        assert self.smtp is not None
        try:
            self.smtp.send_message(email_message, from_addr=envelope_from, to_addrs=[to_email])
        except (smtplib.SMTPException, OSError) as error:
            failure = _describe(error), _is_permanent(error)
            if not _connection_survives(error):
                _close(self.smtp)
                self.smtp = None
            return failure
        return None

    def quit(self) -> None:
        if self.smtp is not None:
            _quit(self.smtp)


def retry_failed(session: SessionLike, *, event_id: int | None = None) -> int:
    """Give failed messages a fresh round of attempts; the caller commits. Returns how many."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if event_id is not None:
        statement = statement.where(OutboxMessage.event_id == event_id)
    return session.execute(statement).rowcount


def outbox_summary(session: SessionLike, event_id: int, *, errors: int = 10) -> dict[str, Any]:
    """Counts by status and the latest problems, for the organizer's page.

    ``{"counts": {"pending": 2, "sent": 40, "failed": 1}, "total": 43, "problems": [...]}``;
    each problem is a dict with ``to_email``, ``to_name``, ``subject``, ``status``,
    ``attempts``, ``last_error`` and ``next_attempt_at`` (None once it has failed).
    """
    counts = dict.fromkeys(STATUSES, 0)
    # Attendees' follow-up reminders, weeks ahead, are not waiting for anything yet.
    not_yet_due = OutboxMessage.follow_up_of_id.is_not(None) & (
        OutboxMessage.next_attempt_at > datetime.now(UTC)
    )
    for status, count in session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.event_id == event_id, ~not_yet_due)
        .group_by(OutboxMessage.status)
    ):
        counts[status] = count
    problems = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.event_id == event_id,
            OutboxMessage.status != SENT,
            OutboxMessage.last_error != "",
        )
        .order_by(OutboxMessage.id.desc())
        .limit(errors)
    ).all()
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "problems": [
            {
                "id": message.id,
                "to_email": message.to_email,
                "to_name": message.to_name,
                "subject": message.subject,
                "status": message.status,
                "attempts": message.attempts,
                "last_error": message.last_error,
                "next_attempt_at": message.next_attempt_at if message.status == PENDING else None,
            }
            for message in problems
        ],
    }


class _Worker:
    """At most one sending thread per app; a request made while it runs gets another pass.

    Without the extra pass, a message queued just after the thread picked its batch would
    wait for cron.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.wanted = False
        self.thread: threading.Thread | None = None

    def request(self) -> threading.Thread:
        with self.lock:
            self.wanted = True
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="matchmaker-mail", daemon=True
                )
                self.thread.start()
            return self.thread

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.wanted:
                    self.thread = None
                    return
                self.wanted = False
            try:
                with self.app.app_context():
                    report = send_pending(db.session, self.app.config)
                    due = _next_due(db.session) if report.configured else None
                log.info("background mail: %s", report)
                if due is not None and due <= datetime.now(UTC):  # more than one batch held
                    with self.lock:
                        self.wanted = True
            except Exception:  # a sender thread must outlive one bad batch
                log.exception("sending the mail outbox failed; cron or the next booking retries")


def send_in_background(app: Flask) -> threading.Thread | None:
    """Send due mail soon, without making the request wait.

    Call it after the transaction that queued the mail has committed. With Redis
    configured, a worker sends it (:func:`send_queued`) and returns None; otherwise a daemon
    thread of this process does, unless ``BACKGROUND_JOBS`` is off (tests and cron-only
    setups), when nothing happens and None is returned.
    """
    if job_queue.is_configured(app):
        _queue_sending(app)
        return None
    if not app.config.get("BACKGROUND_JOBS"):
        return None
    worker = app.extensions.get("matchmaker_mail")
    if worker is None:
        worker = app.extensions.setdefault("matchmaker_mail", _Worker(app))
    return worker.request()


# While this key exists a sending call is queued and has not yet picked its batch, so
# another request need not queue one (as the thread above takes one more pass). It expires
# in case that call is lost.
SENDING_WANTED_KEY = "matchmaker:mail:sending-wanted"
SENDING_WANTED_SECONDS = 600
RETRY_CALL_ID = "matchmaker-mail-retry"


def _queue_sending(app: Flask) -> None:
    try:
        redis = job_queue.connection(app)
        if redis.set(SENDING_WANTED_KEY, "1", nx=True, ex=SENDING_WANTED_SECONDS):
            job_queue.enqueue(app, send_queued)
    except RedisError:
        log.exception("could not queue sending the mail outbox; cron or the next booking retries")


def send_queued() -> None:
    """What a worker runs to send the outbox: what is due now, then a call queued for when
    the next retry is due, so retries wait in the queue's scheduler rather than in a loop.
    """
    with job_queue.app_context() as app:
        job_queue.connection(app).delete(SENDING_WANTED_KEY)
        report = send_pending(db.session, app.config)
        log.info("queued mail: %s", report)
        if not report.configured:
            return  # nothing leaves until MAIL_SERVER is set; the next booking asks again
        due = _next_due(db.session)
        if due is None:
            return
        if due <= datetime.now(UTC):
            _queue_sending(app)  # more was due than one batch holds
        else:
            job_queue.enqueue(app, send_queued, call_id=RETRY_CALL_ID, at=due)


def _next_due(session: SessionLike) -> datetime | None:
    """When the next pending message is due (None: nothing is pending)."""
    due = session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == PENDING)
    )
    return due if due is None or due.tzinfo else due.replace(tzinfo=UTC)


def _claim(session: SessionLike, message_id: int, seen_attempts: int, now: datetime) -> bool:
    """Count the attempt and push the message past the lease, unless another sender has.

    The update only matches a row still due with the attempt count this sender saw, so of
    two senders racing for a message exactly one wins; the database decides, not Python.
    """
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.attempts == seen_attempts,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=seen_attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1


def _record_sent(session: SessionLike, message: OutboxMessage, now: datetime) -> None:
    message.status = SENT
    message.sent_at = now
    message.last_error = ""
    session.commit()


def _record_failure(
    session: SessionLike,
    message: OutboxMessage,
    attempts: int,
    error: str,
    permanent: bool,
    now: datetime,
) -> bool:
    """Store the error and the next attempt; True when the message is now given up."""
    message.last_error = error[:ERROR_LENGTH]
    given_up = permanent or attempts >= MAX_ATTEMPTS
    if given_up:
        message.status = FAILED
    else:
        message.next_attempt_at = now + retry_delay(attempts)
    session.commit()
    log.warning(
        "mail to %s %s: %s",
        message.to_email,
        "failed" if given_up else f"will be retried (attempt {attempts})",
        error,
    )
    return given_up


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    host = str(config["MAIL_SERVER"])
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 25))
    timeout = float(config.get("MAIL_TIMEOUT") or SMTP_TIMEOUT)
    connection: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        connection = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
    except BaseException:
        _close(connection)
        raise
    return connection


def _is_permanent(error: BaseException) -> bool:
    """A 5xx refusal of the recipient or the content (RFC 5321 4.2.1): retrying repeats it.

    Connection problems, 4xx answers and a refused sender or login are the server's or the
    configuration's, and are retried.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def _connection_survives(error: BaseException) -> bool:
    """smtplib resets the transaction after these refusals; the connection stays usable."""
    return isinstance(
        error,
        smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError,
    )


def _describe(error: BaseException) -> str:
    """A short, single-line reason an organizer can act on."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{address}: {code} {_decode(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
    else:
        text = str(error) or type(error).__name__
    return _one_line(f"{type(error).__name__}: {text}")[:ERROR_LENGTH]


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.close()
    except OSError:
        pass


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        _close(connection)


def _message_id(outbox: OutboxMessage, sender: str) -> str:
    """Stable across retries, so a message the server took twice is recognisably one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    if outbox.id is None or outbox.created_at is None:
        return make_msgid(domain=domain)
    return f"<outbox.{outbox.id}.{outbox.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def _one_line(text: str) -> str:
    """Header values cannot hold line breaks, and email refuses to write them."""
    return _WHITESPACE.sub(" ", text or "").strip()
