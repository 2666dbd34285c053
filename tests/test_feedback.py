"""After each meeting: the one-click question, the answer page, the emails that ask, the
organizer's figures, no-shows and what they change in scheduling and suggestions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_from, make_attendee, make_event, make_organizer, post_form
from past_meetings import PAST, meet, past_event
from sqlalchemy import func, select

from matchmaker import bookings, feedback, personal_data, suggestions
from matchmaker.choices import MeetingOutcome, MeetingStatus
from matchmaker.extensions import db
from matchmaker.models import (
    Attendee,
    Event,
    Meeting,
    MeetingFeedback,
    OutboxMessage,
    Suggestion,
)

AT = PAST + timedelta(hours=1)


@pytest.fixture
def met(app):
    """Ana and Ivan met a week ago (both said yes, Ivan shares his contact details); Ana
    and Olli meet in the future; Ana and Sara's meeting was cancelled."""
    with app.app_context():
        organizer = make_organizer()
        event = past_event(organizer, "spring-meetup")
        ana = make_attendee(event, "ana@example.com", name="Ana Silva")
        ivan = make_attendee(
            event, "ivan@example.com", name="Ivan Berg", consent_share_contact=True
        )
        olli = make_attendee(event, "olli@example.com", name="Olli Mäki")
        sara = make_attendee(event, "sara@example.com", name="Sara Kim")
        done = meet(event, ana, ivan, at=AT)
        later = meet(event, ana, olli, at=datetime.now(UTC) + timedelta(days=2))
        off = meet(event, ana, sara, at=AT + timedelta(minutes=20), status=MeetingStatus.CANCELLED)
        return {
            "event": event.id,
            "ana": ana.access_token,
            "ivan": ivan.access_token,
            "olli": olli.access_token,
            "ana_id": ana.id,
            "ivan_id": ivan.id,
            "done": done.id,
            "later": later.id,
            "off": off.id,
        }


def _answer(client, token: str, meeting_id: int, data: dict):  # noqa: ANN202
    url = f"/me/{token}/meetings/{meeting_id}/feedback"
    return post_form(client, url, data, follow_redirects=True)


def _one_click(client, token: str, meeting_id: int, outcome: str, back: str = "schedule"):  # noqa: ANN202
    page = client.get(f"/me/{token}/{back if back == 'schedule' else 'matches'}")
    return client.post(
        f"/me/{token}/meetings/{meeting_id}/outcome",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "outcome": outcome,
            "back": back,
        },
    )


def _rows() -> list[MeetingFeedback]:
    return list(db.session.scalars(select(MeetingFeedback)))


@pytest.mark.parametrize("page", ["schedule", "matches"])
def test_an_ended_meeting_asks_on_both_pages(client, met, page):
    html = client.get(f"/me/{met['ana']}/{page}").get_data(as_text=True)
    assert "Did you meet Ivan Berg?" in html
    assert "Did you meet Olli" not in html  # not yet
    assert "Did you meet Sara" not in html  # cancelled
    assert "Did you meet" in client.get(f"/me/{met['ivan']}/{page}").get_data(as_text=True)


def test_one_click_then_the_rest_saved_and_editable(app, client, met):
    response = _one_click(client, met["ana"], met["done"], "met")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{met['done']}/feedback")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="met"', page)
    answer = {
        "outcome": "met",
        "usefulness": "4",
        "helped": "they_helped_me",
        "meet_again": "yes",
        "note": "Ask about the seed round in spring",
    }
    saved = _answer(client, met["ana"], met["done"], answer).get_data(as_text=True)
    assert "Your answer about Ivan Berg is saved" in saved
    schedule = client.get(f"/me/{met['ana']}/schedule").get_data(as_text=True)
    assert "Did you meet Ivan Berg?" not in schedule
    assert "Yes, we met · useful 4/5 · They helped me · would meet again" in schedule
    # Answering again edits the same row.
    _answer(client, met["ana"], met["done"], answer | {"usefulness": "5", "meet_again": "no"})
    with app.app_context():
        (row,) = _rows()
        assert (row.usefulness, row.meet_again, row.note) == (
            5,
            False,
            "Ask about the seed round in spring",
        )


def test_answers_are_private_to_the_person(client, met):
    _answer(client, met["ana"], met["done"], {"outcome": "met", "note": "Secret thought"})
    for page in ("schedule", "matches", "network"):
        assert "Secret thought" not in client.get(f"/me/{met['ivan']}/{page}").get_data(
            as_text=True
        )
    assert "Secret thought" in client.get(f"/me/{met['ana']}/network").get_data(as_text=True)
    # Ivan is still asked: Ana's answer is not his.
    assert "Did you meet Ana Silva?" in client.get(f"/me/{met['ivan']}/schedule").get_data(
        as_text=True
    )


def test_a_meeting_that_did_not_happen_keeps_no_other_answers(app, client, met):
    _answer(
        client,
        met["ana"],
        met["done"],
        {"outcome": "no_show", "usefulness": "5", "helped": "both", "meet_again": "yes"},
    )
    with app.app_context():
        (row,) = _rows()
        assert (row.outcome, row.usefulness, row.helped, row.meet_again) == (
            "no_show",
            None,
            None,
            None,
        )


@pytest.mark.parametrize(
    ("who", "meeting", "status", "says"),
    [
        ("olli", "done", 404, "This meeting is not in your schedule"),  # someone else's
        ("ana", "later", 200, "You can answer once the meeting has ended"),
        ("ana", "off", 200, "This meeting was cancelled"),
        ("ana", "missing", 404, "This meeting is not in your schedule"),
    ],
)
def test_feedback_links_that_cannot_be_answered_say_why(client, met, who, meeting, status, says):
    meeting_id = met.get(meeting, 999_999)
    response = client.get(f"/me/{met[who]}/meetings/{meeting_id}/feedback")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert says in html
    assert "Save my answer" not in html


def test_an_old_link_after_the_private_link_was_replaced(app, client, met):
    with app.app_context():
        ana = db.session.get(Attendee, met["ana_id"])
        ana.revoke_access()
        db.session.commit()
    response = client.get(f"/me/{met['ana']}/meetings/{met['done']}/feedback")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)


def test_answers_cannot_be_posted_before_the_meeting_ends(app, client, met):
    response = _one_click(client, met["ana"], met["later"], "met")
    assert response.status_code == 302
    assert "once the meeting has ended" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert _rows() == []


def test_unknown_answers_are_refused_without_saving(app, client, met):
    page = _answer(client, met["ana"], met["done"], {"outcome": "met", "usefulness": "9"})
    assert page.status_code == 200
    assert "Choose one of the options." in page.get_data(as_text=True)
    response = _one_click(client, met["ana"], met["done"], "maybe")
    assert response.status_code == 302
    with app.app_context():
        assert _rows() == []


def test_the_command_asks_each_side_once(app, runner, met):
    with app.app_context():
        event = db.session.get(Event, met["event"])
        ivan = db.session.get(Attendee, met["ivan_id"])
        old = make_attendee(event, "old@example.com", name="Long Ago")
        meet(event, ivan, old, at=datetime.now(UTC) - timedelta(days=30))
        before = db.session.get(Meeting, met["done"]).updated_at
        feedback.record_feedback(
            db.session.get(Attendee, met["ivan_id"]),
            met["done"],
            feedback.FeedbackAnswer(outcome=MeetingOutcome.MET),
        )
    refused = runner.invoke(args=["send-feedback-requests"])
    assert refused.exit_code == 1 and "PUBLIC_BASE_URL is not set" in refused.output
    with app.app_context():
        assert not db.session.scalars(select(OutboxMessage)).all()  # nothing was queued
    app.config["PUBLIC_BASE_URL"] = "https://meet.example.org"
    result = runner.invoke(args=["send-feedback-requests"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 feedback request." in result.output
    assert "wait in the outbox" in result.output
    with app.app_context():
        (message,) = db.session.scalars(select(OutboxMessage)).all()
        assert message.to_email == "ana@example.com"  # Ivan answered already
        assert message.subject == "How was your meeting with Ivan Berg?"
        link = f"https://meet.example.org/me/{met['ana']}/meetings/{met['done']}/feedback"
        assert link in message.body_text
        meeting = db.session.get(Meeting, met["done"])
        assert meeting.feedback_requested_at is not None
        assert meeting.updated_at == before  # calendars see no change
    again = runner.invoke(args=["send-feedback-requests"])
    assert "Queued 0 feedback requests." in again.output


def test_the_organizer_sees_totals_and_who_did_not_come(app, client, auth, met):
    with app.app_context():
        event = db.session.get(Event, met["event"])
        ana, ivan = (db.session.get(Attendee, met[k]) for k in ("ana_id", "ivan_id"))
        olli = make_attendee(event, "olli2@example.com", name="Olli Two")
        other = meet(event, ivan, olli, at=AT + timedelta(minutes=40))
        answer = feedback.FeedbackAnswer
        feedback.record_feedback(
            ana, met["done"], answer("met", usefulness=4, meet_again=True, note="Ask about hiring")
        )
        feedback.record_feedback(ivan, met["done"], answer("met", usefulness=2, meet_again=False))
        feedback.record_feedback(olli, other.id, answer("no_show"))
        summary = feedback.event_summary(event)
        assert summary == feedback.FeedbackSummary(
            ended=2,
            answered=2,
            happened=1,
            no_shows=1,
            usefulness=3.0,
            usefulness_answers=2,
            meet_again=0.5,
            meet_again_answers=2,
        )
    auth.login()
    page = client.get(f"/organizer/events/{met['event']}").get_data(as_text=True)
    assert "After the meetings" in page
    assert "of 2 ended meetings happened" in page
    assert "50%" in page
    assert "Ivan Berg</a>: by 1 partner" in page
    assert "Ask about hiring" not in page
    person = client.get(f"/organizer/events/{met['event']}/attendees/{met['ivan_id']}")
    html = person.get_data(as_text=True)
    assert "Olli Two said Ivan Berg did not come" in html
    assert "Reported by 1 partner so far" in html


def test_an_event_without_ended_meetings_says_so(app, client, auth):
    with app.app_context():
        event_id = make_event(make_organizer()).id
    auth.login()
    page = client.get(f"/organizer/events/{event_id}").get_data(as_text=True)
    assert "No meeting has ended yet" in page


# -- no-shows lower priority in later auto-schedules ------------------------------------------


def _reported(event: Event, accused: Attendee, reporter_email: str, at: datetime) -> None:
    reporter = make_attendee(event, reporter_email, name=reporter_email.split("@")[0].title())
    meeting = meet(event, accused, reporter, at=at)
    feedback.record_feedback(reporter, meeting.id, feedback.FeedbackAnswer("no_show"))


@pytest.mark.parametrize(
    ("reports", "lowered"),
    [
        ([], False),
        (["a@example.com"], False),
        (["a@example.com", "a@example.com"], False),  # the same partner twice
        (["a@example.com", "b@example.com"], True),
    ],
)
def test_no_show_rule(app, reports, lowered):
    with app.app_context():
        organizer = make_organizer()
        earlier = past_event(organizer, "earlier")
        accused = make_attendee(earlier, "max@example.com", name="Max")
        for n, email in enumerate(reports):
            event = earlier if n == 0 else past_event(organizer, f"earlier-{n}")
            person = accused if n == 0 else make_attendee(event, "MAX@example.com", name="Max")
            _reported(event, person, email, AT + timedelta(minutes=20 * n))
        later = make_event(organizer, slug="later")
        here = make_attendee(later, "max@example.com", name="Max")
        other = make_attendee(later, "zed@example.com", name="Zed")
        priority = feedback.scheduling_priority(later)
        assert priority == ({here.id: feedback.NO_SHOW_FACTOR} if lowered else {})
        assert other.id not in priority
        # Another organizer's event knows nothing of it.
        elsewhere = make_event(make_organizer("other@example.com"), slug="elsewhere")
        make_attendee(elsewhere, "max@example.com", name="Max")
        assert feedback.scheduling_priority(elsewhere) == {}


def test_repeated_no_shows_are_booked_after_others(app):
    """Seven people who all want to meet each other, three meetings each: there is room for
    ten meetings, so someone gets fewer. Max's pairs are the strongest, but two partners at
    the organizer's earlier event reported that Max did not come: Max still gets a meeting,
    and everyone else gets theirs first."""
    with app.app_context():
        organizer = make_organizer()
        earlier = past_event(organizer, "earlier")
        old_max = make_attendee(earlier, "max@example.com", name="Max")
        _reported(earlier, old_max, "a@example.com", AT)
        _reported(earlier, old_max, "b@example.com", AT + timedelta(minutes=20))
        event = make_event(
            organizer,
            slug="later",
            max_meetings_per_attendee=3,
            table_names=[f"Table {n}" for n in range(1, 6)],
        )
        people = [make_attendee(event, "max@example.com", name="Max")] + [
            make_attendee(event, f"p{n}@example.com", name=f"P{n}") for n in range(6)
        ]
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                low, high = sorted((a.id, b.id))
                db.session.add(
                    Suggestion(
                        event_id=event.id,
                        low_id=low,
                        high_id=high,
                        score=0.62 if a.name == "Max" else 0.6,
                        reasons={},
                        answer_low="interested",
                        answer_high="interested",
                    )
                )
        db.session.commit()

        def meetings_of_max(priority):  # noqa: ANN001, ANN202
            bookings.auto_schedule_event(event, priority=priority)
            found = bookings.event_meetings(event)
            count = sum(people[0].id in (m.low_id, m.high_id) for m in found)
            scores = {m.score for m in found if people[0].id in (m.low_id, m.high_id)}
            db.session.rollback()
            return count, scores

        assert meetings_of_max({}) == (3, {0.62})
        count, scores = meetings_of_max(None)  # the rule, read from the answers
        assert 1 <= count < 3
        assert scores == {0.62}  # meetings keep the pair's own score


# -- pairs who met are not suggested again ----------------------------------------------------

HELPERS = [
    ("f1@example.com", "founder", ["pricing"], ["seed funding"]),
    ("f2@example.com", "founder", ["pricing"], ["seed funding"]),
    ("i1@example.com", "investor", ["seed funding"], ["pricing"]),
    ("i2@example.com", "investor", ["seed funding"], ["pricing"]),
]


def test_pairs_who_met_are_not_suggested_again(app):
    with app.app_context():
        event = past_event(make_organizer(), "matched", suggestions_per_attendee=3)
        people = [
            make_attendee(event, email, role=role, can_help_with=offers, looking_for=needs)
            for email, role, offers, needs in HELPERS
        ]
        suggestions.start_matching(event)
        founder, investor = people[0], people[2]
        row = db.session.scalar(
            select(Suggestion).where(
                Suggestion.low_id == founder.id, Suggestion.high_id == investor.id
            )
        )
        assert row.rank_low is not None
        meeting = meet(event, founder, investor, at=AT, both_said_yes=False)
        assert meeting.suggestion_id == row.id
        feedback.record_feedback(founder, meeting.id, feedback.FeedbackAnswer("met"))
        assert frozenset((founder.id, investor.id)) in suggestions.declined_pairs(event.id)
        listed = db.session.scalar(
            select(func.count()).where(
                Suggestion.low_id == founder.id,
                Suggestion.high_id == investor.id,
                Suggestion.rank_low.is_not(None),
            )
        )
        assert listed == 0
        # The other side says it did not happen: not a pair that met any more.
        feedback.record_feedback(investor, meeting.id, feedback.FeedbackAnswer("no_show"))
        assert frozenset((founder.id, investor.id)) not in suggestions.declined_pairs(event.id)


def test_ones_own_answers_are_in_ones_data_download(app, met):
    with app.app_context():
        ana, ivan = (db.session.get(Attendee, met[k]) for k in ("ana_id", "ivan_id"))
        feedback.record_feedback(
            ana, met["done"], feedback.FeedbackAnswer("met", usefulness=5, note="Great talk")
        )
        feedback.record_feedback(ivan, met["done"], feedback.FeedbackAnswer("no_show"))
        (answer,) = personal_data.export_attendee(ana)["feedback"]
    assert answer["partner"] == "Ivan Berg"
    assert (answer["did_it_happen"], answer["usefulness"], answer["note"]) == (
        "met",
        5,
        "Great talk",
    )


def test_pages_that_hold_the_meetings_ask_only_once_one_has_ended(app, met):
    """Given the person's meetings, nothing is asked before one ends; afterwards the
    answers are the same as without them."""
    with app.app_context():
        ana = db.session.get(Attendee, met["ana_id"])
        meetings = bookings.attendee_meetings(ana)
        upcoming = [m for m in meetings if m.id == met["later"]]
        assert not feedback.any_ended(upcoming)
        assert feedback.open_questions(ana, meetings=upcoming) == []
        assert feedback.answers_by_meeting(ana, meetings=upcoming) == {}
        assert feedback.any_ended(meetings)
        asked = feedback.open_questions(ana, meetings=meetings)
        assert [q.meeting.id for q in asked] == [met["done"]]
        assert asked == feedback.open_questions(ana)
        # A week later, the upcoming meeting has ended too and is asked about.
        week_on = datetime.now(UTC) + timedelta(days=7)
        assert feedback.any_ended(upcoming, week_on)
        later = feedback.open_questions(ana, now=week_on, meetings=meetings)
        assert {q.meeting.id for q in later} == {met["done"], met["later"]}
