"""What matching reads from the database: profiles, and track records from earlier events."""

from __future__ import annotations

from datetime import timedelta

from conftest import make_attendee, make_organizer
from past_meetings import PAST, meet, past_event

from matchmaker import profiles, suggestions
from matchmaker.choices import Helped, MeetingOutcome
from matchmaker.extensions import db
from matchmaker.matching.learning import Weights
from matchmaker.models import Event, MeetingFeedback


def said(meeting, person, helped: str, outcome: str = MeetingOutcome.MET) -> None:  # noqa: ANN001
    db.session.add(
        MeetingFeedback(
            event_id=meeting.event_id,
            meeting_id=meeting.id,
            attendee_id=person.id,
            outcome=outcome,
            helped=helped if outcome == MeetingOutcome.MET else None,
        )
    )
    db.session.commit()


def test_track_records_count_different_people_helped_at_earlier_events(app):
    with app.app_context():
        organizer = make_organizer()
        first = past_event(organizer, "first", start=PAST - timedelta(days=30))
        second = past_event(organizer, "second")
        at = first.starts_at + timedelta(hours=1)
        mentor = make_attendee(first, "Mentor@x.org")
        ana, bo, cy = (make_attendee(first, f"{n}@x.org") for n in ("ana", "bo", "cy"))
        said(meet(first, mentor, ana, at=at), ana, Helped.THEY_HELPED_ME)
        said(meet(first, mentor, bo, at=at + timedelta(minutes=20)), bo, Helped.NEITHER)
        said(meet(first, mentor, cy, at=at + timedelta(minutes=40)), cy, Helped.BOTH,
             outcome=MeetingOutcome.NO_SHOW)  # fmt: skip
        # At the second event the same mentor (another row, same email) helps Ana again and
        # Dee for the first time.
        mentor_again = make_attendee(second, "mentor@x.org")
        ana_again = make_attendee(second, "ana@x.org")
        dee = make_attendee(second, "dee@x.org")
        later = second.starts_at + timedelta(hours=1)
        said(meet(second, mentor_again, ana_again, at=later), ana_again, Helped.BOTH)
        said(meet(second, mentor_again, dee, at=later + timedelta(minutes=20)), dee,
             Helped.THEY_HELPED_ME)  # fmt: skip
        # What the mentor says about themselves does not count.
        eve = make_attendee(second, "eve@x.org")
        own = meet(second, mentor_again, eve, at=later + timedelta(minutes=40))
        said(own, mentor_again, Helped.I_HELPED_THEM)

        reports = profiles.help_reports(organizer.id)
        assert profiles.track_records(reports, second.starts_at) == {"mentor@x.org": 1}
        assert profiles.track_records(reports, second.ends_at + timedelta(days=1)) == {
            "mentor@x.org": 2
        }
        assert profiles.event_track_records(second) == {"mentor@x.org": 1}
        assert profiles.help_reports(make_organizer("other@example.com").id) == []


def test_matching_reads_track_records_only_for_weights_that_use_them(app):
    with app.app_context():
        organizer = make_organizer()
        first = past_event(organizer, "first", start=PAST - timedelta(days=30))
        helper = make_attendee(first, "helper@x.org")
        helped = make_attendee(first, "helped@x.org")
        said(meet(first, helper, helped, at=first.starts_at + timedelta(hours=1)), helped,
             Helped.THEY_HELPED_ME)  # fmt: skip
        event = past_event(organizer, "now")
        make_attendee(event, "helper@x.org", can_help_with=["pricing"], looking_for=["design"])
        make_attendee(event, "new@x.org", can_help_with=["design"], looking_for=["pricing"])
        event.learn_from_answers = True
        event.learned_weights = {"weights": {"track_record": 0.0}, "learned": True}
        db.session.commit()
        suggestions.compute_matches(event)
        assert suggestions._MATCHERS[event.id].records == {}

        weights = Weights(track_record=0.5)
        event.learned_weights = {"weights": weights.as_dict(), "learned": True}
        db.session.commit()
        matcher, _ = suggestions.compute_matches(db.session.get(Event, event.id))
        assert suggestions._MATCHERS[event.id].records == {"helper@x.org": 1}
        assert matcher.settings.track_record_exponent == 0.5
        ids = sorted(matcher.result_.suggestions)
        parts = matcher.components([(ids[1], ids[0]), (ids[0], ids[1])])
        assert list(parts.track_record) == [1.0, 0.0]
