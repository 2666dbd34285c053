"""My network: the people someone met, what they may see of them, the contact file and the
follow-up reminder, and the same person across one organizer's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form
from icalendar import Calendar
from past_meetings import PAST, meet, past_event
from sqlalchemy import or_, select

from matchmaker import feedback, mail
from matchmaker.choices import MeetingOutcome
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Meeting, OutboxMessage, Suggestion

AT = PAST + timedelta(hours=1)


@pytest.fixture
def people(app):
    """At the organizer's earlier event Ana met Ivan (both said yes, he shares his contact)
    and Uma (assigned, no consent); Leo did not come. Ana, Ivan and Uma are at today's
    event too, where Ana met Sara."""
    with app.app_context():
        organizer = make_organizer()
        earlier = past_event(organizer, "spring-meetup", start=PAST - timedelta(days=60))
        start = PAST - timedelta(days=60) + timedelta(hours=1)
        ana_then = make_attendee(earlier, "ana@example.com", name="Ana Silva")
        ivan_then = make_attendee(
            earlier,
            "ivan@example.com",
            name="Ivan Berg",
            organization="North Fund",
            linkedin_url="https://www.linkedin.com/in/ivan",
            consent_share_contact=True,
        )
        uma_then = make_attendee(earlier, "uma@example.com", name="Uma Brown")
        leo_then = make_attendee(
            earlier, "leo@example.com", name="Leo Park", consent_share_contact=True
        )
        meet(earlier, ana_then, ivan_then, at=start)
        meet(earlier, ana_then, uma_then, at=start + timedelta(minutes=20), both_said_yes=False)
        no_show = meet(earlier, ana_then, leo_then, at=start + timedelta(minutes=40))
        feedback.record_feedback(ana_then, no_show.id, feedback.FeedbackAnswer("no_show"))

        today = past_event(organizer, "autumn-meetup")
        ana = make_attendee(today, "ana@example.com", name="Ana Silva")
        ivan = make_attendee(
            today, "ivan@example.com", name="Ivan Berg", consent_share_contact=True
        )
        uma = make_attendee(today, "uma@example.com", name="Uma Brown")
        sara = make_attendee(today, "sara@example.com", name="Sara Kim", job_title="CTO")
        met_sara = meet(today, ana, sara, at=AT)
        for partner in (ivan, uma):  # suggested again today, not met yet
            low, high = sorted((ana.id, partner.id))
            db.session.add(
                Suggestion(
                    event_id=today.id, low_id=low, high_id=high, score=0.5, rank_low=1, rank_high=1
                )
            )
        db.session.commit()
        return {
            "ana": ana.access_token,
            "ana_id": ana.id,
            "sara": sara.access_token,
            "ivan_then": ivan_then.id,
            "uma_then": uma_then.id,
            "leo_then": leo_then.id,
            "sara_id": sara.id,
            "met_sara": met_sara.id,
            "ana_then": ana_then.id,
        }


def _page(client, token: str, name: str) -> str:  # noqa: ANN001
    return client.get(f"/me/{token}/{name}").get_data(as_text=True)


def test_the_network_lists_who_someone_met(client, people):
    page = _page(client, people["ana"], "network")
    assert "Sara Kim" in page  # met today, contact not shared
    assert "Ivan Berg" in page  # met at the earlier event, with consent
    assert "ivan@example.com" in page
    assert "https://www.linkedin.com/in/ivan" in page
    assert "Uma Brown" not in page  # met elsewhere, no consent to be recognised here
    assert "Leo Park" not in page  # did not come
    assert "sara@example.com" not in page
    assert "No contact details: they were not shared with you." in page


def test_another_organizers_events_stay_apart(app, client, people):
    with app.app_context():
        other = make_event(make_organizer("other@example.com"), slug="elsewhere")
        token = make_attendee(other, "ana@example.com", name="Ana Silva").access_token
    page = _page(client, token, "network")
    assert "Ivan Berg" not in page
    assert "Nobody here yet." in page


def test_met_before_is_shown_only_with_consent_at_both_events(app, client, people):
    page = _page(client, people["ana"], "matches")
    assert "You met before: Spring Meetup" in page  # Ivan
    assert page.count("You met before") == 1  # not Uma: no consent at either event
    with app.app_context():
        ivan = db.session.scalar(
            db.select(Attendee)
            .where(Attendee.email == "ivan@example.com", Attendee.consent_share_contact.is_(True))
            .order_by(Attendee.id.desc())
        )
        ivan.consent_share_contact = False  # today he does not agree
        db.session.commit()
    assert "You met before" not in _page(client, people["ana"], "matches")


def test_help_counts_come_from_ones_own_answers(app, client, people):
    with app.app_context():
        ana = db.session.get(Attendee, people["ana_id"])
        sara = db.session.get(Attendee, people["sara_id"])
        answer = feedback.FeedbackAnswer(MeetingOutcome.MET, helped="both", meet_again=True)
        feedback.record_feedback(ana, people["met_sara"], answer)
        # Sara's own answer says she helped Ana: it counts for Sara, never for Ana.
        feedback.record_feedback(
            sara, people["met_sara"], feedback.FeedbackAnswer("met", helped="i_helped_them")
        )
    page = _page(client, people["ana"], "network")
    assert "you helped <strong>1 person</strong>, and <strong>1 person</strong> helped you" in page
    sara_page = _page(client, people["sara"], "network")
    assert "you helped <strong>1 person</strong>." in sara_page
    matches = _page(client, people["ana"], "matches")
    assert "Meet again" in matches
    assert "again-card" in matches and "Sara Kim" in matches


def test_follow_ups_across_events_point_to_todays_card(app, client, people):
    with app.app_context():
        ana_then = db.session.get(Attendee, people["ana_then"])
        with_ivan = db.session.scalar(
            select(Meeting).where(
                Meeting.event_id == ana_then.event_id,
                or_(Meeting.low_id == people["ivan_then"], Meeting.high_id == people["ivan_then"]),
            )
        )
        answer = feedback.FeedbackAnswer("met", meet_again=True)
        feedback.record_feedback(ana_then, with_ivan.id, answer)
    page = _page(client, people["ana"], "matches")
    assert "Here at Autumn Meetup" in page
    assert "See them in your suggestions" in page


@pytest.mark.parametrize(
    ("partner", "email"),
    [("ivan_then", "ivan@example.com"), ("sara_id", None)],
)
def test_the_contact_file_holds_only_what_one_may_see(client, people, partner, email):
    response = client.get(f"/me/{people['ana']}/network/{people[partner]}.vcf")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/vcard")
    assert "no-store" in response.headers["Cache-Control"]
    card = vobject.readOne(response.get_data(as_text=True))
    emails = [line.value for line in card.contents.get("email", [])]
    assert emails == ([email] if email else [])
    assert "Met at" in card.note.value


@pytest.mark.parametrize("partner", ["uma_then", "leo_then", "missing"])
def test_people_outside_the_network_have_no_contact_file(client, people, partner):
    response = client.get(f"/me/{people['ana']}/network/{people.get(partner, 999_999)}.vcf")
    assert response.status_code == 404
    assert "not in your network" in response.get_data(as_text=True)


def test_the_follow_up_reminder_lands_weeks_later(app, client, people):
    url = f"/me/{people['ana']}/network/{people['sara_id']}/reminder.ics"
    response = post_form(client, url, {"weeks": "2"}, form_url=f"/me/{people['ana']}/network")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    (entry,) = Calendar.from_ical(response.data).walk("VEVENT")
    with app.app_context():
        zone = db.session.get(Event, db.session.get(Attendee, people["ana_id"]).event_id).zone
    today = datetime.now(UTC).astimezone(zone).date()
    assert entry.decoded("DTSTART") == today + timedelta(weeks=2)
    assert str(entry["SUMMARY"]) == "Follow up with Sara Kim"
    assert "sara@example.com" not in response.get_data(as_text=True)


def test_a_reminder_needs_a_valid_choice_and_the_form(client, people):
    url = f"/me/{people['ana']}/network/{people['sara_id']}/reminder.ics"
    page = client.get(f"/me/{people['ana']}/network").get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_from(page), "weeks": "3"})
    assert refused.status_code == 302
    assert client.post(url, data={"weeks": "2"}).status_code == 400  # no CSRF token


def _reminder_url(people: dict) -> str:
    return f"/me/{people['ana']}/network/{people['sara_id']}/reminder-email"


def test_an_email_reminder_waits_until_its_morning_then_arrives(app, client, people, smtp_server):
    page = _page(client, people["ana"], "network")
    assert "Email me then" in page
    response = post_form(
        client,
        _reminder_url(people),
        {"weeks": "4"},
        form_url=f"/me/{people['ana']}/network",
        follow_redirects=True,
    )
    shown = response.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.follow_up_of_id == people["sara_id"])
        )
        ana = db.session.get(Attendee, people["ana_id"])
        zone = ana.event.zone
        due = message.next_attempt_at.astimezone(zone)
        today = datetime.now(UTC).astimezone(zone).date()
        assert (due.date(), due.hour, due.minute) == (today + timedelta(weeks=4), 9, 0)
        assert f"We will email you on {due:%A %d %B %Y}" in shown
        assert f"Email reminder on {due:%a %d %b %Y}" in shown
        # Not waiting for anything yet: the organizer's outbox does not count it.
        assert mail.outbox_summary(db.session, ana.event_id)["counts"]["pending"] == 0
        assert mail.send_pending(db.session, app.config).sent == 0
        report = mail.send_pending(db.session, app.config, now=due + timedelta(minutes=1))
        assert report.sent == 1
    (received,) = smtp_server.messages()
    assert received["To"] == "Ana Silva <ana@example.com>"
    assert received["Subject"] == "Time to follow up with Sara Kim"
    body = received.get_body(("plain",)).get_content()
    assert "4 weeks ago you asked us to remind you" in body
    assert f"/me/{people['ana']}/network" in body
    assert "sara@example.com" not in body  # she did not share her contact details
    assert "Email reminder on" not in _page(client, people["ana"], "network")


def test_an_email_reminder_can_be_cancelled_only_by_its_owner(app, client, people, smtp_server):
    post_form(
        client, _reminder_url(people), {"weeks": "2"}, form_url=f"/me/{people['ana']}/network"
    )
    with app.app_context():
        message_id = db.session.scalar(select(OutboxMessage.id))
    cancel = f"/me/{people['ana']}/network/reminders/{message_id}/cancel"
    others = f"/me/{people['sara']}/network/reminders/{message_id}/cancel"
    refused = post_form(client, others, {}, form_url=f"/me/{people['sara']}/network")
    assert "already been sent or cancelled" in client.get(refused.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id) is not None
    assert client.post(cancel, data={}).status_code == 400  # no CSRF token
    done = post_form(client, cancel, {}, form_url=f"/me/{people['ana']}/network")
    assert "Reminder cancelled." in client.get(done.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id) is None


def test_email_reminders_need_mail_and_a_valid_choice(app, client, people):
    page = _page(client, people["ana"], "network")
    assert "Email me then" not in page  # mail is not configured: it would never leave
    refused = client.post(_reminder_url(people), data={"csrf_token": csrf_from(page), "weeks": "3"})
    assert refused.status_code == 302
    outside = f"/me/{people['ana']}/network/999999/reminder-email"
    assert (
        post_form(
            client, outside, {"weeks": "2"}, form_url=f"/me/{people['ana']}/network"
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_the_meetings_a_page_holds_spare_no_one_who_met_someone(app, people):
    """Given the viewer's meetings here, the network skips its query only for someone with
    no other event and nothing ended: Ana, with an earlier event, keeps everyone she met."""
    with app.app_context():
        from matchmaker import bookings, network

        ana = db.session.get(Attendee, people["ana_id"])
        assert network.network_of(ana, meetings_here=[]) == network.network_of(ana)
        assert {c.key for c in network.network_of(ana, meetings_here=[]).connections} == {
            "sara@example.com",
            "ivan@example.com",
        }
        sara = db.session.get(Attendee, people["sara_id"])
        here = bookings.attendee_meetings(sara)
        assert [c.key for c in network.network_of(sara, meetings_here=here).connections] == [
            "ana@example.com"
        ]
        before = PAST - timedelta(days=1)  # before any meeting ended: nobody met yet
        assert network.network_of(sara, now=before, meetings_here=here).connections == []
        assert network.network_of(sara, now=before).connections == []
