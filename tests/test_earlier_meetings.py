"""Pairs who met at the organizer's earlier events, and the organizer's follow-up setting:
suggest them as usual, book them first, or leave them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_attendee, make_organizer, post_form
from past_meetings import PAST, meet, past_event

from matchmaker import bookings, feedback, suggestions
from matchmaker.earlier_meetings import earlier_pairs
from matchmaker.extensions import db
from matchmaker.models import Event

EARLIER = PAST - timedelta(days=60)


@pytest.fixture
def series(app):
    """At the organizer's spring event Ana met Ivan (she would meet him again), Uma (no
    answer) and Leo (he did not come); at another organizer's event she met Sara. All five
    come to the organizer's next event, where Ivan's email is written in capitals."""
    with app.app_context():
        organizer = make_organizer()
        spring = past_event(organizer, "spring-meetup", start=EARLIER)
        at = EARLIER + timedelta(hours=1)
        people = {
            name: make_attendee(spring, f"{name}@example.com", name=name.title())
            for name in ("ana", "ivan", "uma", "leo")
        }
        ana = people["ana"]
        with_ivan = meet(spring, ana, people["ivan"], at=at)
        feedback.record_feedback(ana, with_ivan.id, feedback.FeedbackAnswer("met", meet_again=True))
        meet(spring, ana, people["uma"], at=at + timedelta(minutes=20))
        missed = meet(spring, ana, people["leo"], at=at + timedelta(minutes=40))
        feedback.record_feedback(ana, missed.id, feedback.FeedbackAnswer("no_show"))
        elsewhere = past_event(make_organizer("other@example.com"), "other-meetup", start=EARLIER)
        sara_then = make_attendee(elsewhere, "sara@example.com", name="Sara")
        meet(elsewhere, make_attendee(elsewhere, "ana@example.com", name="Ana"), sara_then, at=at)

        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        autumn = past_event(organizer, "autumn-meetup", start=start)
        here = {
            name: make_attendee(autumn, email, name=name.title())
            for name, email in (
                ("ana", "ana@example.com"),
                ("ivan", "IVAN@example.com"),
                ("uma", "uma@example.com"),
                ("leo", "leo@example.com"),
                ("sara", "sara@example.com"),
            )
        }
        db.session.commit()
        return autumn.id, {name: person.id for name, person in here.items()}


def pair(ids: dict[str, int], a: str, b: str) -> tuple[int, int]:
    return tuple(sorted((ids[a], ids[b])))


def test_pairs_who_met_at_the_organizers_other_events(app, series):
    event_id, ids = series
    with app.app_context():
        event = db.session.get(Event, event_id)
        # Leo did not come, Sara was met at another organizer's event: neither counts.
        assert earlier_pairs(event) == {
            pair(ids, "ana", "ivan"): True,
            pair(ids, "ana", "uma"): False,
        }
        assert earlier_pairs(db.session.get(Event, event_id - 2)) == {}  # nobody met before


@pytest.mark.parametrize(
    ("setting", "left_out", "raised"),
    [
        ("as_usual", [], {}),
        ("prefer", [], {("ana", "ivan"): bookings.FOLLOW_UP_FACTOR}),
        ("exclude", [("ana", "ivan"), ("ana", "uma")], {}),
    ],
)
def test_the_setting_leaves_follow_ups_out_or_books_them_first(
    app, series, setting, left_out, raised
):
    event_id, ids = series
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.follow_ups = setting
        declined = suggestions.match_settings(event).declined_pairs
        assert declined == {frozenset(pair(ids, *names)) for names in left_out}
        assert bookings.follow_up_factors(event) == {
            pair(ids, *names): factor for names, factor in raised.items()
        }


def test_the_organizer_chooses_the_setting(app, client, auth, series):
    event_id, _ = series
    auth.login()
    url = f"/organizer/events/{event_id}/matching/settings"
    page = client.get(url).get_data(as_text=True)
    assert "People who met at your earlier events" in page
    form = {"role_preset": "everyone", "suggestions_per_attendee": "10", "exposure_penalty": "0"}
    assert post_form(client, url, form | {"follow_ups": "exclude"}).status_code == 302
    with app.app_context():
        assert db.session.get(Event, event_id).follow_ups == "exclude"
    refused = post_form(client, url, form | {"follow_ups": "sometimes"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert post_form(client, url, form).status_code == 302  # no choice sent: kept as it was
    with app.app_context():
        assert db.session.get(Event, event_id).follow_ups == "exclude"
