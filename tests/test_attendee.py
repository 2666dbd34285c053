"""Attendee pages: public registration and the private profile link."""

from __future__ import annotations

import re

import pytest
from conftest import make_attendee, make_event, make_organizer, post_form

from matchmaker import suggestions as matches
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Meeting, Suggestion

PROFILE = {
    "name": "Ana Silva",
    "organization": "Acme",
    "job_title": "CTO",
    "role": "founder",
    "bio": "Building things.",
    "can_help_with": "React, hiring\nfundraising",
    "looking_for": "seed funding; GDPR compliance",
    "interests": "climate tech",
    "meeting_mode": "in_person",
    "timezone": "Europe/Helsinki",
    "linkedin_url": "https://www.linkedin.com/in/ana",
    "website_url": "",
    "consent_share_contact": "y",
}


@pytest.fixture
def event(app):
    with app.app_context():
        organizer = make_organizer()
        event = make_event(organizer)
        make_attendee(event, "other@example.com", can_help_with=["data visualisation"])
        return event.id, event.sessions[0].id


def test_register_on_public_page_keeps_the_answers_until_the_email_is_confirmed(
    client, app, event, smtp_server
):
    event_id, session_id = event
    page = client.get("/e/test-event").get_data(as_text=True)
    assert "Register" in page and "data visualisation" in page  # suggestion from others
    response = post_form(
        client, "/e/test-event", PROFILE | {"email": " Ana@Example.com", "sessions": [session_id]}
    )
    assert response.status_code == 302
    with app.app_context():
        ana = db.session.scalar(db.select(Attendee).where(Attendee.email == "ana@example.com"))
        assert ana.can_help_with == ["React", "hiring", "fundraising"]
        assert ana.looking_for == ["seed funding", "GDPR compliance"]
        assert ana.available_session_ids is None  # every session
        assert ana.status == "unconfirmed" and len(ana.access_token) >= 32
        assert response.headers["Location"].endswith("/e/test-event/registered?notice=check_inbox")


def test_duplicate_registration_does_not_reveal_the_link(client, app, event):
    event_id, session_id = event
    response = post_form(
        client,
        "/e/test-event",
        PROFILE | {"email": "other@example.com", "sessions": [session_id]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "organizer approves each registration" in page
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    assert token not in page


def test_closed_registration_shows_no_form(client, app, event):
    with app.app_context():
        db.session.get(Event, event[0]).registration_open = False
        db.session.commit()
    page = client.get("/e/test-event").get_data(as_text=True)
    assert "Registration for this event is closed" in page
    response = client.post("/e/test-event", data=PROFILE | {"email": "x@example.com"})
    assert response.status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee)) == 1


def test_profile_link_edits_only_that_attendee(client, app, event):
    with app.app_context():
        person = db.session.scalar(db.select(Attendee))
        token, person_id = person.access_token, person.id
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "data visualisation" in page
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": []})
    assert "Pick at least one session" in response.get_data(as_text=True)
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": [event[1]]})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Attendee, person_id)
        assert person.name == "Ana Silva" and person.meeting_mode == "in_person"
        assert person.consent_share_contact is True
        assert person.email == "other@example.com"  # the form cannot change the email


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"can_help_with": ", ".join(f"skill {n}" for n in range(51))}, "50 phrases at most"),
        ({"looking_for": "x" * 301}, "short phrases"),
        ({"linkedin_url": "not a link"}, "Enter a full link"),
        ({"role": "wizard"}, "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"bio": "b" * 2001}, "2000"),
    ],
)
def test_profile_rejects_bad_input_and_saves_nothing(client, app, event, change, message):
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    response = post_form(client, f"/me/{token}", PROFILE | {"sessions": [event[1]]} | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.name)) == "Other"


@pytest.mark.parametrize("token", ["nope", "x" * 65, "' OR 1=1 --"])
def test_unknown_or_malformed_links_are_404(client, app, event, token):
    assert client.get(f"/me/{token}").status_code == 404


def test_unknown_event_is_404(client, app):
    assert client.get("/e/no-such-event").status_code == 404


def test_profile_post_without_csrf_is_refused(client, app, event):
    with app.app_context():
        token = db.session.scalar(db.select(Attendee.access_token))
    response = client.post(f"/me/{token}", data=PROFILE)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(Attendee.name)) == "Other"


# -- suggestions for people who join after matching ------------------------------------------


@pytest.fixture
def matched_event(app):
    """An event where matching has run; Ivan offers seed funding, Eve offers pricing."""
    with app.app_context():
        event = make_event(make_organizer())
        make_attendee(
            event,
            "ivan@fund.org",
            name="Ivan",
            role="investor",
            organization="Fund",
            can_help_with=["seed funding"],
            looking_for=["climate tech startups"],
        )
        make_attendee(
            event,
            "eve@consult.org",
            name="Eve",
            role="expert",
            organization="Consult",
            can_help_with=["pricing"],
            looking_for=["consulting clients"],
        )
        assert matches.start_matching(event).status == "done"
        return event.id, event.sessions[0].id


def _partners_of(email: str) -> set[str]:
    person = db.session.scalar(db.select(Attendee).where(Attendee.email == email))
    return {card.partner.email for card in matches.cards_for(person)}


def test_confirming_a_registration_after_matching_gives_suggestions_at_once(
    client, app, matched_event, smtp_server
):
    _, session_id = matched_event
    response = post_form(
        client, "/e/test-event", PROFILE | {"email": "ana@acme.org", "sessions": [session_id]}
    )
    assert response.status_code == 302
    with app.app_context():
        token = db.session.scalar(
            db.select(Attendee.confirm_token).where(Attendee.email == "ana@acme.org")
        )
    assert client.get(f"/e/test-event/confirm/{token}").status_code == 302
    with app.app_context():
        assert "ivan@fund.org" in _partners_of("ana@acme.org")
        assert "ana@acme.org" in _partners_of("ivan@fund.org")  # and she is in Ivan's list
        token = db.session.scalar(
            db.select(Attendee.access_token).where(Attendee.email == "ana@acme.org")
        )
    page = client.get(f"/me/{token}/matches").get_data(as_text=True)
    assert "Ivan" in page and "once the organizer runs matching" not in page


def test_the_matches_page_says_what_to_expect(client, app, matched_event):
    with app.app_context():
        event = db.session.get(Event, matched_event[0])
        blank = make_attendee(event, "blank@example.com").access_token
        odd = make_attendee(event, "odd@example.com", looking_for=["underwater basket weaving"])
        odd = odd.access_token
        before = make_attendee(make_event(event.organizer, slug="later"), "early@example.com")
        before = before.access_token
    page = client.get(f"/me/{blank}/matches").get_data(as_text=True)
    assert "your suggestions appear as soon as you save" in page
    page = client.get(f"/me/{odd}/matches").get_data(as_text=True)
    assert "Nobody here matches what you wrote so far" in page
    for token in (blank, odd):
        page = client.get(f"/me/{token}/matches").get_data(as_text=True)
        assert "once the organizer runs matching" not in page
    page = client.get(f"/me/{before}/matches").get_data(as_text=True)
    assert "Suggestions appear once the organizer runs matching" in page


# -- meetings are where scarcity binds -------------------------------------------------------


@pytest.fixture
def one_meeting_each(app):
    """Max one meeting per attendee; Eve's pricing help suits both Ana and Ben."""
    with app.app_context():
        event = make_event(make_organizer(), max_meetings_per_attendee=1)
        for email, name, org, helps, needs in [
            ("eve@consult.org", "Eve", "Consult", ["pricing", "fundraising"], ["SaaS founders"]),
            ("ana@acme.org", "Ana", "Acme", ["SaaS founders"], ["pricing"]),
            ("ben@beta.org", "Ben", "Beta", ["SaaS founders"], ["fundraising"]),
        ]:
            make_attendee(
                event, email, name=name, organization=org, can_help_with=helps, looking_for=needs
            )
        matches.start_matching(event)
        people = {a.name: a for a in db.session.scalars(db.select(Attendee))}
        rows = {
            name: next(c.row.id for c in matches.cards_for(people["Eve"]) if c.partner.name == name)
            for name in ("Ana", "Ben")
        }
        return {name: p.access_token for name, p in people.items()}, rows


def _say_yes(client, token: str, row_id: int) -> str:
    response = post_form(
        client,
        f"/me/{token}/matches/{row_id}",
        {"answer": "interested"},
        form_url=f"/me/{token}",  # the profile form always carries a token
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def test_a_full_meeting_list_is_said_plainly_and_the_yes_is_kept(client, app, one_meeting_each):
    tokens, rows = one_meeting_each
    page = client.get(f"/me/{tokens['Eve']}/matches").get_data(as_text=True)
    assert "You have <strong>1 of 1 meeting left</strong> to book." in page
    _say_yes(client, tokens["Ana"], rows["Ana"])
    page = _say_yes(client, tokens["Eve"], rows["Ana"])
    assert "Your meeting is booked" in page
    assert "Your meetings are full:</strong> you have 1 meeting, the most this event allows" in page

    page = _say_yes(client, tokens["Eve"], rows["Ben"])
    assert (
        "Your meetings are full: you have 1 meeting, the most this event allows. "
        "We kept your “I&#39;d like to meet” for Ben" in page
    )
    with app.app_context():
        row = db.session.get(Suggestion, rows["Ben"])
        assert row.answer_of(row.low_id if row.low.name == "Eve" else row.high_id) == "interested"

    # Ben says yes too: they are a confirmed match, but Eve has no room for a meeting.
    page = _say_yes(client, tokens["Ben"], rows["Ben"])
    assert "Eve already has as many meetings as this event allows" in page
    with app.app_context():
        assert db.session.get(Suggestion, rows["Ben"]).confirmed
        assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 1
    page = client.get(f"/me/{tokens['Eve']}/schedule").get_data(as_text=True)
    assert "Your meetings are full: you have 1, the most this event allows." in page
    page = client.get(f"/me/{tokens['Ben']}/schedule").get_data(as_text=True)
    assert "Eve already has as many meetings as this event allows." in page


def test_a_yes_that_confirms_a_match_beyond_the_limit_says_why_nothing_was_booked(
    client, app, one_meeting_each
):
    tokens, rows = one_meeting_each
    _say_yes(client, tokens["Ana"], rows["Ana"])
    _say_yes(client, tokens["Eve"], rows["Ana"])  # Eve's one meeting, with Ana
    _say_yes(client, tokens["Ben"], rows["Ben"])
    page = _say_yes(client, tokens["Eve"], rows["Ben"])
    assert (
        "You and Ben both want to meet. Your meetings are full: you have 1 meeting, "
        "the most this event allows, so no meeting was booked." in page
    )
    page = _say_yes(client, tokens["Eve"], rows["Ben"])
    assert "You and Ben already both want to meet" in page


def test_cards_come_strongest_label_first_in_ranking_order_within_a_label(client, app):
    """The ranking weighs how much someone can help; the label reads the fit alone, so a
    "Strong match" is never shown below a "Possible match"."""
    with app.app_context():
        event = make_event(make_organizer())
        me = make_attendee(event, "me@x.org", name="Me")
        # rank, fit: ranked first but a weak fit; then two strong fits
        people = {"Possible": (1, 0.2), "Strong": (2, 0.8), "Good": (3, 0.4), "Strong2": (4, 0.7)}
        for name, (rank, score) in people.items():
            other = make_attendee(event, f"{name.lower()}@y.org", name=name)
            low, high = sorted((me.id, other.id))
            db.session.add(
                Suggestion(
                    event_id=event.id, low_id=low, high_id=high, score=score,
                    reasons={"low_helps": [["x", "x"]], "high_helps": [], "shared": []},
                    rank_low=rank if low == me.id else None,
                    rank_high=rank if high == me.id else None,
                )
            )  # fmt: skip
        db.session.commit()
        token = me.access_token
    page = client.get(f"/me/{token}/matches").get_data(as_text=True)
    names = re.findall(r'<h3 class="h5 mb-0">([^<]+)</h3>', page)
    assert names == ["Strong", "Strong2", "Good", "Possible"]
    labels = re.findall(r"(Strong match|Good match|Possible match)", page)
    assert labels == ["Strong match", "Strong match", "Good match", "Possible match"]


def test_after_the_event_a_mutual_yes_keeps_in_touch_without_a_meeting(client, app):
    """Meetings cannot be booked into a day that is over: the page says the event is over,
    and a mutual yes is a match with no meeting and no talk of limits."""
    from past_meetings import past_event

    with app.app_context():
        event = past_event(make_organizer(), "spring-meetup", max_meetings_per_attendee=1)
        ana = make_attendee(event, "ana@x.org", name="Ana", consent_share_contact=True)
        ben = make_attendee(event, "ben@y.org", name="Ben", consent_share_contact=True)
        low, high = sorted((ana.id, ben.id))
        row = Suggestion(event_id=event.id, low_id=low, high_id=high, score=0.5, rank_low=1,
                         rank_high=1)  # fmt: skip
        db.session.add(row)
        db.session.commit()
        tokens, row_id = {"Ana": ana.access_token, "Ben": ben.access_token}, row.id
    page = client.get(f"/me/{tokens['Ana']}/matches").get_data(as_text=True)
    assert "The event is over." in page and "meetings left" not in page
    assert "Noted. If Ben says yes too, you will both see it here." in _say_yes(
        client, tokens["Ana"], row_id
    )
    page = _say_yes(client, tokens["Ben"], row_id)
    assert "a match: you and Ana both want to stay in touch." in page
    assert "mailto:ana@x.org" in page  # both agreed to share
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 0
    schedule = client.get(f"/me/{tokens['Ana']}/schedule").get_data(as_text=True)
    assert "no time was booked before the event ended" in schedule
    assert "You had no meetings at this event, which is over now." in schedule
    assert "No meetings yet" not in schedule
    assert "Pick a time" not in schedule and "no time you are both free" not in schedule
