"""An attendee's own data: the JSON download and deleting the profile (personal_data and the
pages behind the private link that use it)."""

from __future__ import annotations

import json

import pytest
from calendar_checks import check_calendar
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form
from icalendar import Calendar
from sqlalchemy import select

from matchmaker import bookings, personal_data
from matchmaker.extensions import db
from matchmaker.models import Attendee, Meeting, MeetingSeat, OutboxMessage, Suggestion


def pair(event, a, b, *, answer_a="interested", answer_b="interested", score=0.7):  # noqa: ANN001, ANN201
    low, high = sorted((a, b), key=lambda p: p.id)
    answers = {a.id: answer_a, b.id: answer_b}
    row = Suggestion(
        event_id=event.id,
        low_id=low.id,
        high_id=high.id,
        score=score,
        reasons={"low_helps": [["React", "frontend"]], "high_helps": [], "shared": []},
        rank_low=1,
        rank_high=2,
        answer_low=answers[low.id],
        answer_high=answers[high.id],
    )
    db.session.add(row)
    db.session.commit()
    return row


def book(row: Suggestion) -> Meeting:
    meeting = bookings.book_confirmed(row)
    assert meeting is not None
    db.session.commit()
    return meeting


@pytest.fixture
def people(app):  # noqa: ANN201
    """Ana meets Ivan and Olga (one meeting each); Eve is suggested to Ana, who said yes,
    with no answer from Eve; Ana and Paul had a meeting that was cancelled earlier."""
    with app.app_context():
        event = make_event(make_organizer(), meeting_minutes=15, buffer_minutes=0)
        ana = make_attendee(
            event,
            "ana@x.org",
            name="Ana Silva",
            organization="Acme",
            bio="Building things.",
            can_help_with=["React"],
            looking_for=["seed funding"],
            consent_share_contact=True,
        )
        ivan = make_attendee(
            event, "ivan@y.org", name="Ivan Berg", bio="Ivan's own bio", linkedin_url=None
        )
        olga = make_attendee(event, "olga@z.org", name="Olga Wu")
        eve = make_attendee(event, "eve@z.org", name="Eve Novak", bio="Eve's secret bio")
        paul = make_attendee(event, "paul@z.org", name="Paul Roy")
        with_ivan = book(pair(event, ana, ivan))
        with_olga = book(pair(event, ana, olga))
        pair(event, ana, eve, answer_b="none")
        with_paul = book(pair(event, ana, paul))
        bookings.cancel_meeting(with_paul, by="Paul Roy")
        ivan_meets_olga = book(pair(event, ivan, olga))
        db.session.commit()
        return {
            "event_id": event.id,
            **{p.name.split()[0].lower(): p.id for p in (ana, ivan, olga, eve, paul)},
            "tokens": {p.name.split()[0].lower(): p.access_token for p in (ana, ivan, eve, paul)},
            "with_ivan": with_ivan.id,
            "with_olga": with_olga.id,
            "with_paul": with_paul.id,
            "ivan_meets_olga": ivan_meets_olga.id,
        }


# -- the export ------------------------------------------------------------------------------


def test_the_export_holds_profile_consent_suggestions_meetings_and_emails(app, people):
    with app.app_context():
        ana = db.session.get(Attendee, people["ana"])
        data = personal_data.export_attendee(ana)
    assert data["event"]["name"] == "Test Event"
    profile = data["profile"]
    assert profile["name"] == "Ana Silva" and profile["email"] == "ana@x.org"
    assert profile["bio"] == "Building things." and profile["can_help_with"] == ["React"]
    assert profile["available_sessions"] == "every session"
    assert data["consent"] == {"consent_share_contact": True}

    suggestions = {s["partner"]: s for s in data["suggestions"]}
    assert set(suggestions) == {"Ivan Berg", "Olga Wu", "Eve Novak", "Paul Roy"}
    assert suggestions["Eve Novak"]["your_answer"] == "interested"
    assert suggestions["Eve Novak"]["both_said_yes"] is False
    assert suggestions["Ivan Berg"]["both_said_yes"] is True

    meetings = {m["partner"]: m for m in data["meetings"]}
    assert set(meetings) == {"Ivan Berg", "Olga Wu", "Paul Roy"}
    assert meetings["Paul Roy"]["status"] == "cancelled"
    assert meetings["Ivan Berg"]["status"] == "confirmed"
    assert meetings["Ivan Berg"]["starts_at"].startswith("2037-12-10T")

    subjects = [e["subject"] for e in data["emails"]]
    assert len(subjects) == 4  # three invitations and one cancellation, all to Ana
    assert any(s.startswith("Cancelled: meeting with Paul Roy") for s in subjects)
    assert {e["calendar_method"] for e in data["emails"]} == {"REQUEST", "CANCEL"}

    # JSON as it is, and nothing of the partners beyond their names; no key to Ana's pages.
    text = json.dumps(data)
    for private in ("ivan@y.org", "eve@z.org", "Eve's secret bio", "Ivan's own bio"):
        assert private not in text
    assert set(suggestions["Eve Novak"]) == {  # Eve's answer is Eve's: not in the file
        "partner",
        "your_rank",
        "score",
        "your_answer",
        "both_said_yes",
        "confirmed_at",
        "suggested_at",
    }
    assert people["tokens"]["ana"] not in text


def test_the_export_names_every_column_stored_about_the_attendee(app, people):
    """A column added to Attendee later shows up in the download without another change."""
    keys = {"id", "event_id"}
    with app.app_context():
        data = personal_data.export_attendee(db.session.get(Attendee, people["ana"]))
    shown = set(data["profile"]) | set(data["consent"]) | {"available_session_ids"}
    for column in Attendee.__table__.columns:
        if column.name in keys or column.name.endswith("_token"):
            continue
        assert column.name in shown


def test_the_export_names_the_sessions_chosen(app, people):
    with app.app_context():
        ana = db.session.get(Attendee, people["ana"])
        ana.available_session_ids = [ana.event.sessions[0].id]
        db.session.commit()
        data = personal_data.export_attendee(ana)
    assert data["profile"]["available_sessions"] == [ana.event.sessions[0].label()]


# -- deleting --------------------------------------------------------------------------------


def _count(model, *where) -> int:  # noqa: ANN001
    return db.session.scalar(select(db.func.count()).select_from(model).where(*where))


def test_deleting_cancels_meetings_and_drops_only_what_is_the_attendees(app, people):
    with app.app_context():
        personal_data.delete_attendee(db.session.get(Attendee, people["ana"]))
        db.session.expire_all()
        assert db.session.get(Attendee, people["ana"]) is None
        ana = people["ana"]
        either = (Suggestion.low_id == ana) | (Suggestion.high_id == ana)
        assert _count(Suggestion, either) == 0
        assert _count(Meeting, (Meeting.low_id == ana) | (Meeting.high_id == ana)) == 0
        assert _count(MeetingSeat, MeetingSeat.attendee_id == ana) == 0
        assert _count(OutboxMessage, OutboxMessage.to_email == "ana@x.org") == 0
        # The partners: told, their slots free, the rest of their data untouched.
        cancels = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.ics_method == "CANCEL")
        ).all()
        told = sorted(m.to_email for m in cancels if "Ana Silva" in m.subject)
        assert told == ["ivan@y.org", "olga@z.org", "paul@z.org"]  # Paul's from before
        assert all("STATUS:CANCELLED" in m.ics for m in cancels)
        for partner in ("ivan", "olga"):
            assert _count(MeetingSeat, MeetingSeat.attendee_id == people[partner]) == 1
        kept = db.session.get(Meeting, people["ivan_meets_olga"])
        assert kept.status == "confirmed" and len(kept.seats) == 2
        assert _count(Attendee) == 4
        assert _count(OutboxMessage, OutboxMessage.to_email == "ivan@y.org") == 3


def test_deleting_is_one_transaction(app, people, monkeypatch):
    """A failure halfway (here: the second cancellation) leaves everything as it was."""
    cancel = bookings.cancel_meeting
    calls = []

    def fail_on_second(meeting, *, by):  # noqa: ANN001, ANN202
        calls.append(meeting.id)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        cancel(meeting, by=by)

    monkeypatch.setattr(bookings, "cancel_meeting", fail_on_second)
    with app.app_context():
        with pytest.raises(RuntimeError):
            personal_data.delete_attendee(db.session.get(Attendee, people["ana"]))
        db.session.rollback()
        assert db.session.get(Attendee, people["ana"]) is not None
        assert db.session.get(Meeting, people["with_ivan"]).status == "confirmed"
        assert db.session.get(Meeting, people["with_olga"]).status == "confirmed"
        assert _count(OutboxMessage, OutboxMessage.to_email == "ana@x.org") == 4


def test_partners_pages_and_calendars_work_after_the_deletion(app, client, people):
    token = people["tokens"]["ivan"]
    with app.app_context():
        personal_data.delete_attendee(db.session.get(Attendee, people["ana"]))
    page = client.get(f"/me/{token}/schedule")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ana Silva" not in html and "Olga Wu" in html
    assert client.get(f"/me/{token}/matches").status_code == 200
    # Paul's meeting with Ana was cancelled before she left: his pages lose it too.
    paul = people["tokens"]["paul"]
    assert client.get(f"/me/{paul}/schedule").status_code == 200
    feed = client.get(f"/me/{paul}/feed.ics")
    assert feed.status_code == 200 and Calendar.from_ical(feed.data).walk("VEVENT") == []
    feeds = [client.get(f"/me/{token}/{path}") for path in ("feed.ics", "calendar.ics")]
    for response in feeds:
        assert response.status_code == 200
        events = Calendar.from_ical(response.data).walk("VEVENT")
        assert [str(e["SUMMARY"]).split(" - ")[0] for e in events] == ["Meet Olga Wu"]
    check_calendar(feeds[0].data)


def test_every_reference_to_an_attendee_cascades_or_lets_go():
    """Deleting an attendee must never be refused, nor leave rows pointing at nobody."""
    for table in db.metadata.tables.values():
        for key in table.foreign_keys:
            if key.column.table.name == "attendee":
                assert key.ondelete in ("CASCADE", "SET NULL"), str(key.parent)


# -- the pages -------------------------------------------------------------------------------


def test_the_profile_page_offers_the_download_and_deletion(client, people):
    token = people["tokens"]["ana"]
    html = client.get(f"/me/{token}").get_data(as_text=True)
    assert f'href="/me/{token}/data.json"' in html and "Download my data" in html
    assert f'href="/me/{token}/delete"' in html and "Delete my profile" in html


def test_the_download_is_a_json_file_that_is_not_cached(client, people):
    token = people["tokens"]["ana"]
    response = client.get(f"/me/{token}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "test-event" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.data)
    assert data["profile"]["name"] == "Ana Silva"


def test_deleting_asks_first_then_deletes_and_says_so(app, client, people):
    token = people["tokens"]["ana"]
    page = client.get(f"/me/{token}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ivan Berg" in html and "Olga Wu" in html  # whose meetings are cancelled
    assert "Paul Roy" not in html  # already cancelled
    assert 'method="post"' in html
    # Without the form's token, nothing happens.
    assert client.post(f"/me/{token}/delete").status_code == 400
    with app.app_context():
        assert db.session.get(Attendee, people["ana"]) is not None

    response = post_form(client, f"/me/{token}/delete", {}, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Your profile is deleted" in text
    assert client.get(f"/me/{token}").status_code == 404
    with app.app_context():
        assert db.session.get(Attendee, people["ana"]) is None


def test_another_attendees_link_cannot_delete_or_download(app, client, people):
    assert client.get("/me/not-a-token/data.json").status_code == 404
    page = client.get(f"/me/{people['tokens']['eve']}/delete").get_data(as_text=True)
    response = client.post("/me/not-a-token/delete", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    with app.app_context():
        assert _count(Attendee) == 5


def test_after_deleting_every_event_listing_still_works(app, client, auth, people):
    """The organizer's pages for the event, with the attendee and their meetings gone."""
    with app.app_context():
        personal_data.delete_attendee(db.session.get(Attendee, people["ana"]))
    auth.login()
    base = f"/organizer/events/{people['event_id']}"
    for path in ("", "/attendees", "/matching", "/schedule", "/schedule/calendar.ics"):
        assert client.get(base + path).status_code == 200, path


def test_the_organizer_removes_an_attendee_as_they_could_themselves(app, client, auth, people):
    """A cancelled guest: the organizer's page asks first, naming whose meetings go; then the
    person, their meetings and their link are gone, and their partners are told."""
    auth.login()
    base = f"/organizer/events/{people['event_id']}/attendees/{people['ana']}"
    assert "Remove Ana Silva from the event" in client.get(base).get_data(as_text=True)
    page = client.get(f"{base}/remove").get_data(as_text=True)
    assert "Ivan Berg" in page and "Olga Wu" in page and "Paul Roy" not in page
    assert client.post(f"{base}/remove").status_code == 400  # without the form's token
    with app.app_context():
        assert db.session.get(Attendee, people["ana"]) is not None
    done = post_form(client, f"{base}/remove", {}, follow_redirects=True)
    assert "Ana Silva is removed from the event; 2 meetings cancelled, partners told." in (
        done.get_data(as_text=True)
    )
    assert client.get(f"/me/{people['tokens']['ana']}").status_code == 404
    with app.app_context():
        assert db.session.get(Attendee, people["ana"]) is None
        told = {m.to_email for m in db.session.scalars(select(OutboxMessage))}
        assert {"ivan@y.org", "olga@z.org"} <= told
    assert client.get(base).status_code == 404


def test_the_organizer_corrects_an_attendees_name_email_and_role(app, client, auth, people):
    auth.login()
    base = f"/organizer/events/{people['event_id']}/attendees/{people['ana']}"
    assert "Edit name, email and role" in client.get(base).get_data(as_text=True)
    form = client.get(f"{base}/edit").get_data(as_text=True)
    assert 'value="ana@x.org"' in form and 'value="Ana Silva"' in form
    details = {"name": "Ana Silva-Berg", "email": " Ana.Silva@X.org ", "organization": "Acme",
               "job_title": "CTO", "role": "founder"}  # fmt: skip
    done = post_form(client, f"{base}/edit", details, follow_redirects=True)
    assert "Ana Silva-Berg&#39;s details are saved." in done.get_data(as_text=True)
    with app.app_context():
        ana = db.session.get(Attendee, people["ana"])
        assert (ana.name, ana.email, ana.job_title, ana.role) == (
            "Ana Silva-Berg", "ana.silva@x.org", "CTO", "founder"
        )  # fmt: skip
        assert ana.can_help_with == ["React"]  # her own profile is untouched


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"email": "ivan@y.org"}, "Ivan Berg already has ivan@y.org at this event."),
        ({"email": "IVAN@Y.ORG"}, "Ivan Berg already has ivan@y.org at this event."),
        ({"email": "not-an-address"}, "Invalid email address."),
        ({"name": ""}, "This field is required."),
        ({"role": "wizard"}, "Not a valid choice."),
    ],
)
def test_a_correction_that_cannot_be_saved_says_why_and_changes_nothing(
    app, client, auth, people, changes, says
):
    auth.login()
    base = f"/organizer/events/{people['event_id']}/attendees/{people['ana']}/edit"
    details = {"name": "Ana", "email": "ana@x.org", "role": "founder"} | changes
    page = post_form(client, base, details).get_data(as_text=True)
    assert says in page
    with app.app_context():
        ana = db.session.get(Attendee, people["ana"])
        assert (ana.name, ana.email) == ("Ana Silva", "ana@x.org")


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_another_organizer_cannot_edit_or_remove_an_attendee(app, client, auth, people, action):
    with app.app_context():
        make_organizer("other@example.com")
    auth.login("other@example.com")
    base = f"/organizer/events/{people['event_id']}/attendees/{people['ana']}"
    assert client.get(f"{base}/{action}").status_code == 404
    with app.app_context():
        assert db.session.get(Attendee, people["ana"]) is not None
