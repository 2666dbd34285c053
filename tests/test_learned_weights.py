"""Weights learnt from an organizer's answers: what counts as an answer, whose answers count,
and what the matching job does with them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import make_attendee, make_event, make_organizer
from past_meetings import PAST, meet, past_event

from matchmaker import learned_weights as service
from matchmaker import suggestions
from matchmaker.choices import Answer, MeetingOutcome
from matchmaker.extensions import db
from matchmaker.matching import MatchSettings
from matchmaker.matching.learning import DEFAULT_WEIGHTS, MIN_ANSWERS_PER_KIND
from matchmaker.models import Attendee, Event, MeetingFeedback, Organizer, Suggestion


def word(n: int) -> str:
    """A made-up word per number, so that each pair talks about its own topic."""
    return "zo" + "".join(chr(97 + int(d)) for d in str(n))


def answered_event(
    organizer: Organizer, slug: str, *, mutual: int, one_way: int, start=PAST
) -> Event:  # noqa: ANN001
    """An event whose answers say that mutual help is what people want.

    In each of ``mutual`` pairs both can help the other, and both said "I'd like to meet";
    in each of ``one_way`` pairs only one can help, and the one who would be helped said
    "Not for me". That is 2 x ``mutual`` useful answers and ``one_way`` not useful ones.
    """
    event = past_event(organizer, slug, start=start)
    people, rows = [], []
    for j in range(mutual + one_way):
        topic = word(j)
        if j < mutual:
            a = Attendee(
                event_id=event.id,
                name=f"A{j}",
                email=f"a{j}@{slug}.org",
                can_help_with=[f"{topic} design"],
                looking_for=[f"{topic} funding"],
            )
            b = Attendee(
                event_id=event.id,
                name=f"B{j}",
                email=f"b{j}@{slug}.org",
                can_help_with=[f"{topic} funding"],
                looking_for=[f"{topic} design"],
            )
        else:
            a = Attendee(
                event_id=event.id,
                name=f"A{j}",
                email=f"a{j}@{slug}.org",
                can_help_with=[f"{topic} chess"],
                looking_for=[f"{topic} pricing"],
            )
            b = Attendee(
                event_id=event.id,
                name=f"B{j}",
                email=f"b{j}@{slug}.org",
                can_help_with=[f"{topic} pricing"],
                looking_for=[f"{topic} sailing"],
            )
        people += [a, b]
    db.session.add_all(people)
    db.session.flush()
    for j in range(mutual + one_way):
        a, b = people[2 * j], people[2 * j + 1]
        yes = j < mutual
        rows.append(
            Suggestion(
                event_id=event.id, low_id=a.id, high_id=b.id, rank_low=1, rank_high=1,
                answer_low=Answer.INTERESTED if yes else Answer.DECLINED,
                answer_high=Answer.INTERESTED if yes else Answer.NONE,
            )
        )  # fmt: skip
    db.session.add_all(rows)
    db.session.commit()
    return event


@pytest.fixture
def taught(app):
    """An organizer whose attendees gave enough answers, all saying mutual help matters."""
    with app.app_context():
        organizer = make_organizer()
        answered_event(organizer, "spring-meetup", mutual=30, one_way=60)
        return organizer.id


def test_answers_and_ratings_become_lessons(app):
    with app.app_context():
        organizer = make_organizer()
        event = past_event(organizer, "lessons")
        ana, bo, cy, di = (make_attendee(event, f"{n}@x.org") for n in ("ana", "bo", "cy", "di"))
        meeting = meet(event, ana, bo, at=PAST + timedelta(hours=1))  # both said yes
        db.session.add_all(
            [
                # Ana rated the meeting 2: that outweighs her yes. Bo's 3 leaves his yes.
                MeetingFeedback(event_id=event.id, meeting_id=meeting.id, attendee_id=ana.id,
                                outcome=MeetingOutcome.MET, usefulness=2),
                MeetingFeedback(event_id=event.id, meeting_id=meeting.id, attendee_id=bo.id,
                                outcome=MeetingOutcome.MET, usefulness=3),
                Suggestion(event_id=event.id, low_id=cy.id, high_id=di.id,
                           answer_low=Answer.DECLINED, answer_high=Answer.NONE),
                Suggestion(event_id=event.id, low_id=ana.id, high_id=cy.id),  # no answer
            ]
        )  # fmt: skip
        db.session.commit()
        lessons = {(x.viewer, x.candidate): x.useful for x in service.labelled_pairs(organizer.id)}
        assert lessons == {(ana.id, bo.id): False, (bo.id, ana.id): True, (cy.id, di.id): False}
        # A rating of 4 or 5 is useful whatever was answered before.
        db.session.get(MeetingFeedback, 1).usefulness = 5
        db.session.commit()
        assert {(x.viewer, x.useful) for x in service.labelled_pairs(organizer.id)} >= {
            (ana.id, True)
        }


def test_enough_answers_teach_mutual_help(app, taught):
    with app.app_context():
        learnt = service.fit(taught)
        assert learnt.learned
        assert (learnt.positives, learnt.negatives) == (60, 60)
        assert learnt.weights.you_help > DEFAULT_WEIGHTS.you_help + 0.2
        assert "shared" not in learnt.informative  # nobody listed interests
        assert any(s.startswith("Mutual help") and " more " in s for s in learnt.sentences)
        assert (
            "No answer involved shared interests yet, so they keep their default weight."
            in learnt.sentences
        )


def test_too_few_answers_keep_the_defaults_and_say_how_many_are_missing(app):
    with app.app_context():
        organizer = make_organizer()
        answered_event(organizer, "small", mutual=10, one_way=MIN_ANSWERS_PER_KIND - 5)
        learnt = service.fit(organizer.id)
        assert not learnt.learned and learnt.weights is DEFAULT_WEIGHTS
        assert (learnt.useful_needed, learnt.not_useful_needed) == (MIN_ANSWERS_PER_KIND - 20, 5)


def test_one_organizers_answers_never_move_anothers_weights(app, taught):
    with app.app_context():
        alone = service.fit(taught)
        other = make_organizer("other@example.com")
        # The other organizer's attendees say the opposite, and not often enough.
        answered_event(other, "autumn-fair", mutual=0, one_way=40)
        theirs = service.fit(other.id)
        assert not theirs.learned and (theirs.positives, theirs.negatives) == (0, 40)
        again = service.fit(taught)
        assert again.weights == alone.weights
        assert (again.positives, again.negatives) == (60, 60)


def test_answers_from_every_event_of_the_organizer_count(app):
    with app.app_context():
        organizer = make_organizer()
        answered_event(organizer, "first", mutual=15, one_way=30)
        answered_event(organizer, "second", mutual=15, one_way=30, start=PAST + timedelta(days=1))
        learnt = service.fit(organizer.id)
        assert learnt.learned and (learnt.positives, learnt.negatives) == (60, 60)


def test_matching_uses_the_learnt_weights_until_turned_off(app, taught):
    with app.app_context():
        event = make_event(db.session.get(Organizer, taught), slug="next-meetup")
        make_attendee(event, "x@x.org", can_help_with=["pricing"], looking_for=["design"])
        make_attendee(event, "y@y.org", can_help_with=["design"], looking_for=["pricing"])
        assert suggestions.start_matching(event).status == "done"
        event = db.session.get(Event, event.id)
        learnt = service.last_fit(event)
        assert learnt.learned and learnt.answers == 120
        settings = suggestions.match_settings(event)
        assert settings.reciprocity == pytest.approx(learnt.weights.you_help, abs=1e-4)
        assert settings.reciprocity > DEFAULT_WEIGHTS.you_help

        event.learn_from_answers = False
        db.session.commit()
        settings = suggestions.match_settings(event)
        assert DEFAULT_WEIGHTS.settings(settings) == settings
        assert suggestions.start_matching(event).status == "done"
        assert service.last_fit(db.session.get(Event, event.id)) == learnt  # kept, not used


def test_without_enough_answers_matching_uses_the_default_weights(app):
    with app.app_context():
        organizer = make_organizer()
        event = answered_event(organizer, "only-event", mutual=5, one_way=5)
        assert suggestions.start_matching(event).status == "done"
        event = db.session.get(Event, event.id)
        assert service.last_fit(event).learned is False
        assert suggestions.match_settings(event) == MatchSettings(
            top_k=event.suggestions_per_attendee,
            role_rules=suggestions.event_role_rules(event),
            declined_pairs=suggestions.declined_pairs(event.id),
        )
