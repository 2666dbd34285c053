"""The mail outbox against a real SMTP server (aiosmtpd on 127.0.0.1).

What the server received is parsed back with the standard library and the calendar inside it
goes through the independent calendar parsers, so the test sees the invitation as a mail
client would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from calendar_checks import check_calendar
from conftest import make_attendee, make_event, make_organizer
from flask import Flask
from icalendar import Calendar
from smtp_capture import SENDER, free_port, running_server

from matchmaker import mail
from matchmaker.calendar import (
    CalendarMeeting,
    cancellation_ics,
    invite_ics,
    meeting_location,
    meeting_summary,
    meeting_uid,
)
from matchmaker.extensions import db
from matchmaker.models import Event, OutboxMessage

# Sends are simulated at this moment, after the messages are queued.
# Far enough ahead that messages queued when a test runs are due, even when the whole suite
# takes many minutes to reach this module after it was collected.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)


@pytest.fixture
def nothing_listening(app: Flask) -> None:
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USERNAME="", MAIL_USE_TLS=False
    )


@pytest.fixture
def event(app: Flask) -> Iterator[Event]:
    with app.app_context():
        event = make_event(make_organizer(), name="Nordic Founders Day")
        make_attendee(event, "ana@example.com", name="Ana Sílva", organization="Acme")
        make_attendee(event, "ben@example.com", name="Ben Ode")
        yield event


def calendar_meeting(**changes) -> CalendarMeeting:  # noqa: ANN003
    start = datetime(2037, 12, 10, 9, 0, tzinfo=UTC)
    values = {
        "uid": meeting_uid(7, "matchmaker.example.org"),
        "start": start,
        "end": start + timedelta(minutes=15),
        "timezone": "Europe/Helsinki",
        "summary": meeting_summary("Ana Sílva", "Acme", "Nordic Founders Day"),
        "description": "You both want to talk about hiring.",
        "location": meeting_location("Main hall", "2"),
        "organizer": ("Nordic Founders Day", "mail@matchmaker.example.org"),
        "attendees": [("Ana Sílva", "ana@example.com"), ("Ben Ode", "ben@example.com")],
        "sequence": 1,
        "dtstamp": NOW,
    }
    values.update(changes)
    return CalendarMeeting(**values)


def queue(event: Event, to_email: str = "ben@example.com", **changes) -> OutboxMessage:  # noqa: ANN003
    values = {
        "to_email": to_email,
        "to_name": to_email.split("@")[0].title(),
        "subject": "Your meeting with Ana Sílva",
        "body_text": "Table 2, Main hall, 11:00.\nSee you there.",
        "ics": None,
        "ics_method": None,
        "event_id": event.id,
    }
    values.update(changes)
    return mail.queue_email(db.session, **values)


def parts_by_type(message: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_content_type(): part for part in message.walk()}


def test_invitation_and_cancellation_arrive_as_itip_mail(app, event, smtp_server):
    meeting = calendar_meeting()
    invite = invite_ics(meeting, now=NOW)
    cancel = cancellation_ics(meeting, now=NOW)
    with app.app_context():
        for address, name in (("ana@example.com", "Ana Sílva"), ("ben@example.com", "Ben Ode")):
            queue(event, address, to_name=name, ics=invite, ics_method="REQUEST")
        queue(
            event,
            "ben@example.com",
            subject="Cancelled: Ana Sílva",
            ics=cancel,
            ics_method="CANCEL",
        )
        db.session.commit()

        report = mail.send_pending(db.session, app.config, now=NOW)

        assert report == mail.SendReport(sent=3, failed=0, retry_later=0)
        rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(row.status, row.attempts, row.sent_at) for row in rows] == [("sent", 1, NOW)] * 3

    envelopes = smtp_server.envelopes
    assert [envelope.rcpt_tos for envelope in envelopes] == [
        ["ana@example.com"],
        ["ben@example.com"],
        ["ben@example.com"],
    ]
    assert {envelope.mail_from for envelope in envelopes} == {"mail@matchmaker.example.org"}
    messages = smtp_server.messages()
    for message, sent_ics, method in zip(
        messages, (invite, invite, cancel), ("REQUEST", "REQUEST", "CANCEL"), strict=True
    ):
        assert message.get_content_type() == "multipart/mixed"
        assert message["From"].addresses[0].addr_spec == "mail@matchmaker.example.org"
        assert message["Date"].datetime is not None
        assert message["Message-ID"].endswith("@matchmaker.example.org>")
        alternative, attachment = message.iter_parts()
        assert alternative.get_content_type() == "multipart/alternative"
        text, calendar = alternative.iter_parts()
        assert text.get_content_type() == "text/plain"
        assert "Table 2, Main hall" in text.get_content()
        assert calendar.get_content_type() == "text/calendar"
        assert calendar.get_param("method") == method
        assert calendar.get_content_charset() == "utf-8"
        assert calendar.get_content_disposition() is None
        received = calendar.get_payload(decode=True)
        assert received == sent_ics  # byte for byte, CRLF line ends included
        assert Calendar.from_ical(received)["METHOD"] == method
        assert attachment.get_content_disposition() == "attachment"
        assert attachment.get_filename() == "invite.ics"
        assert attachment.get_content_type() == "application/ics"
        assert attachment.get_param("name") == "invite.ics"
        assert attachment.get_payload(decode=True) == sent_ics
        check_calendar(received, expected={meeting.uid: (meeting.start, meeting.end)})

    first, second, third = messages
    assert str(first["To"]) == "Ana Sílva <ana@example.com>"
    assert first["To"].addresses[0].display_name == "Ana Sílva"
    assert second["To"].addresses[0].addr_spec == "ben@example.com"
    assert first["Subject"] == "Your meeting with Ana Sílva"
    assert third["Subject"] == "Cancelled: Ana Sílva"
    assert len({message["Message-ID"] for message in messages}) == 3


def test_plain_notice_has_no_calendar(app, event, smtp_server):
    with app.app_context():
        queue(event, body_text="Your profile was updated.\nThanks, Ana Sílva")
        db.session.commit()
        assert mail.send_pending(db.session, app.config).sent == 1
    (message,) = smtp_server.messages()
    assert message.get_content_type() == "text/plain"
    assert message.get_content().splitlines() == ["Your profile was updated.", "Thanks, Ana Sílva"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_build_message_keeps_message_id_across_retries(app, event):
    with app.app_context():
        row = queue(event, ics=invite_ics(calendar_meeting(), now=NOW), ics_method="REQUEST")
        db.session.commit()
        first = mail.build_message(row, SENDER, now=NOW)
        again = mail.build_message(row, SENDER, now=NOW + timedelta(hours=1))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] != again["Date"]
    assert [part.get_content_type() for part in first.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/calendar",
        "application/ics",
    ]


def test_unreachable_server_keeps_message_for_later(app, event, nothing_listening):
    with app.app_context():
        row = queue(event)
        db.session.commit()
        row_id = row.id

        report = mail.send_pending(db.session, app.config, now=NOW)

        assert report == mail.SendReport(sent=0, failed=0, retry_later=1)
        row = db.session.get(OutboxMessage, row_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert "ConnectionRefusedError" in row.last_error
        # Not due again until the delay has passed.
        assert mail.send_pending(db.session, app.config, now=NOW) == mail.SendReport()


def test_whole_batch_shares_one_connection_failure(app, event, nothing_listening):
    with app.app_context():
        for number in range(3):
            queue(event, f"person{number}@example.com")
        db.session.commit()
        report = mail.send_pending(db.session, app.config, now=NOW)
        rows = db.session.scalars(db.select(OutboxMessage)).all()
    assert report.retry_later == 3
    assert {(row.attempts, row.last_error) for row in rows} == {(1, rows[0].last_error)}


def test_gives_up_after_max_attempts(app, event, nothing_listening):
    with app.app_context():
        row = queue(event)
        db.session.commit()
        row_id = row.id
        now, delays = NOW, []
        for _ in range(mail.MAX_ATTEMPTS - 1):
            assert mail.send_pending(db.session, app.config, now=now).retry_later == 1
            row = db.session.get(OutboxMessage, row_id)
            delays.append(row.next_attempt_at - now)
            now = row.next_attempt_at
        assert row.status == "pending"

        assert mail.send_pending(db.session, app.config, now=now).failed == 1
        row = db.session.get(OutboxMessage, row_id)
        assert (row.status, row.attempts) == ("failed", mail.MAX_ATTEMPTS)
        assert mail.send_pending(db.session, app.config, now=now + timedelta(days=30)) == (
            mail.SendReport()
        )
    assert [delay // timedelta(minutes=1) for delay in delays] == [1, 5, 25, 125, 360, 360, 360]


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(0, 0), (1, 1), (2, 5), (3, 25), (4, 125), (5, 360), (99, 360)]
)
def test_retry_delay_grows_then_levels_off(attempts, minutes):
    assert mail.retry_delay(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("reply", "status", "report"),
    [
        ("550 no such user", "failed", mail.SendReport(sent=2, failed=1)),
        ("450 mailbox busy, try later", "pending", mail.SendReport(sent=2, retry_later=1)),
    ],
)
def test_refused_recipient_does_not_hold_up_the_others(
    app, event, smtp_server, reply, status, report
):
    smtp_server.refuse["ghost@example.com"] = reply
    with app.app_context():
        for address in ("ana@example.com", "ghost@example.com", "ben@example.com"):
            queue(event, address)
        db.session.commit()

        assert mail.send_pending(db.session, app.config, now=NOW) == report

        rows = {row.to_email: row for row in db.session.scalars(db.select(OutboxMessage))}
        assert rows["ana@example.com"].status == rows["ben@example.com"].status == "sent"
        ghost = rows["ghost@example.com"]
        assert (ghost.status, ghost.attempts) == (status, 1)
        assert reply in ghost.last_error
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [
        ["ana@example.com"],
        ["ben@example.com"],
    ]


def test_nothing_is_sent_or_lost_without_a_mail_server(app, event):
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        row = queue(event)
        db.session.commit()
        row_id = row.id

        report = mail.send_pending(db.session, app.config, now=NOW)

        assert report == mail.SendReport(retry_later=1, configured=False)
        assert "not configured" in str(report)
        row = db.session.get(OutboxMessage, row_id)
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")


def test_login_when_a_username_is_configured(app, event):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        logins.append((mechanism, auth_data.login, auth_data.password))
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    # Plain-text AUTH is only allowed because this server never leaves 127.0.0.1.
    with running_server(app, authenticator=authenticator, auth_require_tls=False) as server:
        app.config.update(MAIL_USERNAME="matchmaker", MAIL_PASSWORD="wrong")
        with app.app_context():
            queue(event)
            db.session.commit()
            assert mail.send_pending(db.session, app.config, now=NOW).retry_later == 1
            (row,) = db.session.scalars(db.select(OutboxMessage)).all()
            assert "SMTPAuthenticationError: 535" in row.last_error

            app.config["MAIL_PASSWORD"] = "s3cret"
            later = NOW + timedelta(minutes=1)
            assert mail.send_pending(db.session, app.config, now=later).sent == 1
    assert len(server.envelopes) == 1
    assert {login for _, login, _ in logins} == {b"matchmaker"}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"to_email": "not an address"}, "usable email"),
        ({"to_email": ""}, "usable email"),
        ({"ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}, "ics_method"),
        ({"ics_method": "REQUEST"}, "without a calendar"),
        ({"ics": "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\n", "ics_method": "REQUEST"}, "METHOD"),
    ],
)
def test_queue_email_refuses_what_could_never_be_sent(app, event, changes, problem):
    with app.app_context(), pytest.raises(ValueError, match=problem):
        queue(event, **changes)


def test_queue_email_joins_the_callers_transaction(app, event):
    with app.app_context():
        row = queue(
            event,
            subject="Line\r\nbreak",
            to_name="Ben\nOde",
            ics=invite_ics(calendar_meeting(), now=NOW),
            ics_method="REQUEST",
        )
        assert (row.subject, row.to_name, row.status) == ("Line break", "Ben Ode", "pending")
        assert isinstance(row.ics, str) and row.ics.startswith("BEGIN:VCALENDAR\r\n")
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_outbox_summary_counts_and_problems(app, event, nothing_listening):
    with app.app_context():
        other = make_event(event.organizer, slug="other-event")
        queue(event, "ana@example.com")
        queue(event, "ben@example.com")
        queue(other, "someone@example.com")
        db.session.commit()
        mail.send_pending(db.session, app.config, now=NOW)
        sent = db.session.scalar(db.select(OutboxMessage).filter_by(to_email="ana@example.com"))
        sent.status, sent.last_error = "sent", ""
        db.session.commit()

        summary = mail.outbox_summary(db.session, event.id)

    assert summary["counts"] == {"pending": 1, "sent": 1, "failed": 0}
    assert summary["total"] == 2
    (problem,) = summary["problems"]
    assert problem["to_email"] == "ben@example.com"
    assert problem["attempts"] == 1
    assert problem["next_attempt_at"] == NOW + timedelta(minutes=1)
    assert "ConnectionRefusedError" in problem["last_error"]


def test_send_in_background(app, event, smtp_server):
    with app.app_context():
        queue(event)
        db.session.commit()
    assert mail.send_in_background(app) is None  # BACKGROUND_JOBS is off in tests

    app.config["BACKGROUND_JOBS"] = True
    thread = mail.send_in_background(app)
    assert isinstance(thread, threading.Thread) and thread.daemon
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["ben@example.com"]]
    with app.app_context():
        assert db.session.scalar(db.select(OutboxMessage.status)) == "sent"


def test_the_background_sender_keeps_going_until_nothing_is_due(app, event, smtp_server):
    """An auto-schedule queues hundreds of invitations: all leave, not just one batch."""
    with app.app_context():
        for number in range(230):  # more than two batches of send_pending
            queue(event, to_email=f"person{number}@example.com")
        db.session.commit()
    app.config["BACKGROUND_JOBS"] = True
    thread = mail.send_in_background(app)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert len(smtp_server.envelopes) == 230
    with app.app_context():
        assert set(db.session.scalars(db.select(OutboxMessage.status))) == {"sent"}


def test_two_senders_at_once_send_each_message_once(app, event, smtp_server):
    """The background thread and cron may overlap; the claim lets only one send a message."""
    with app.app_context():
        for number in range(6):
            queue(event, f"person{number}@example.com")
        db.session.commit()
    start = threading.Barrier(2)
    reports: list[mail.SendReport] = []

    def sender() -> None:
        with app.app_context():
            start.wait(timeout=10)
            reports.append(mail.send_pending(db.session, app.config, now=NOW))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(report.sent for report in reports) == 6
    recipients = [address for envelope in smtp_server.envelopes for address in envelope.rcpt_tos]
    assert sorted(recipients) == [f"person{number}@example.com" for number in range(6)]


def test_cli_send_mail(app, event, smtp_server, runner):
    with app.app_context():
        queue(event, "ana@example.com")
        queue(event, "ben@example.com")
        db.session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 0, retrying later 0." in result.output
    assert len(smtp_server.envelopes) == 2


def test_cli_retry_failed_gives_failed_messages_another_round(app, event, smtp_server, runner):
    with app.app_context():
        queue(event)
        db.session.commit()
        db.session.execute(db.update(OutboxMessage).values(status="failed", attempts=8))
        db.session.commit()

    assert "Sent 0, failed 0" in runner.invoke(args=["send-mail"]).output
    result = runner.invoke(args=["send-mail", "--retry-failed"])

    assert result.exit_code == 0, result.output
    assert "1 failed message" in result.output
    assert "Sent 1, failed 0, retrying later 0." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(OutboxMessage.attempts)) == 1


def test_cli_says_when_mail_is_not_configured(app, event, runner):
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        queue(event)
        db.session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 1
    assert "MAIL_SERVER" in result.output


def test_booking_and_cancelling_reach_both_attendees_over_smtp(app, event, smtp_server):
    """From a confirmed match to the invitations a real SMTP server receives, and back."""
    from matchmaker import bookings
    from matchmaker.models import Attendee, Suggestion

    with app.app_context():
        ana, ben = db.session.scalars(db.select(Attendee).order_by(Attendee.email)).all()
        row = Suggestion(
            event_id=event.id,
            low_id=min(ana.id, ben.id),
            high_id=max(ana.id, ben.id),
            score=0.7,
            answer_low="interested",
            answer_high="interested",
        )
        db.session.add(row)
        db.session.commit()
        meeting = bookings.book_confirmed(row)
        db.session.commit()
        assert mail.send_pending(db.session, app.config, now=NOW).sent == 2
        invites = smtp_server.messages()
        assert sorted(m["To"].addresses[0].addr_spec for m in invites) == [
            "ana@example.com",
            "ben@example.com",
        ]
        for message in invites:
            part = parts_by_type(message)["text/calendar"]
            assert part.get_param("method") == "REQUEST"
            ics = (
                part.get_content().encode()
                if isinstance(part.get_content(), str)
                else part.get_content()
            )
            check_calendar(ics)
            assert meeting.uid in ics.decode()
        bookings.cancel_meeting(meeting, by="Ana")
        db.session.commit()
        assert mail.send_pending(db.session, app.config, now=NOW).sent == 2
        cancels = smtp_server.messages()[2:]
        for message in cancels:
            part = parts_by_type(message)["text/calendar"]
            assert part.get_param("method") == "CANCEL"
            ics = (
                part.get_content().encode()
                if isinstance(part.get_content(), str)
                else part.get_content()
            )
            check_calendar(ics)
            assert "STATUS:CANCELLED" in ics.decode() and "SEQUENCE:1" in ics.decode()


@pytest.mark.parametrize("both_said_yes", [True, False])
def test_invitation_text_says_who_booked_it_and_the_readers_own_time(app, event, both_said_yes):
    from matchmaker import bookings
    from matchmaker.models import Attendee, Suggestion

    answer = "interested" if both_said_yes else "none"
    with app.app_context():
        ana, ben = db.session.scalars(db.select(Attendee).order_by(Attendee.email)).all()
        ben.timezone = "America/New_York"  # joins from elsewhere
        row = Suggestion(event_id=event.id, low_id=min(ana.id, ben.id),
                         high_id=max(ana.id, ben.id), score=0.7, answer_low=answer,
                         answer_high=answer)  # fmt: skip
        db.session.add(row)
        db.session.commit()
        bookings.book_confirmed(row)
        db.session.commit()
        bodies = {
            m.to_email: m.body_text
            for m in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
        }
        schedule = {p.email: f"/me/{p.access_token}/schedule" for p in (ana, ben)}
    # Thursday 10 December 2037, 10:00 in Helsinki is 03:00 in New York.
    assert "Thursday 10 December, 10:00 (Europe/Helsinki)." in bodies["ana@example.com"]
    assert (
        "Thursday 10 December, 10:00 (Europe/Helsinki); your time Thursday 10 December, 03:00 "
        "(America/New York)." in bodies["ben@example.com"]
    )
    for email, body in bodies.items():
        assert body.count(schedule[email]) == 1
        assigned = "The organizer assigned this meeting. If it does not suit you, cancel it"
        assert (assigned in body) is not both_said_yes
