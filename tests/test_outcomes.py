"""The organizer's outcome page: the funnel, who met whom, usefulness by role pair and by
session, the CSV, and that only the event's organizer sees it."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_attendee, make_event, make_organizer
from past_meetings import PAST, meet, past_event
from sqlalchemy import event as sa_event

from matchmaker import outcomes
from matchmaker.choices import Answer
from matchmaker.extensions import db
from matchmaker.models import (
    Attendee,
    Event,
    Meeting,
    MeetingFeedback,
    NetworkingSession,
    Suggestion,
)

MORNING = PAST + timedelta(hours=1)
AFTERNOON = PAST + timedelta(hours=5)
HOSTILE = "<script>alert(1)</script>"


def answer(meeting_id: int, person_id: int, outcome: str, usefulness: int | None = None) -> None:
    """A stored answer, written directly so that no refresh of the suggestions runs."""
    meeting = db.session.get(Meeting, meeting_id)
    db.session.add(
        MeetingFeedback(
            event_id=meeting.event_id,
            meeting_id=meeting_id,
            attendee_id=person_id,
            outcome=outcome,
            usefulness=usefulness,
        )
    )
    db.session.commit()


@pytest.fixture
def harbour(app):
    """Six people at an event that took place a week ago, with two sessions.

    Ana (founder) and Ivan (investor) met in the morning (both said yes); Ivan and Olli
    (expert) were booked in the morning too, after a mutual yes; Ana and Olli were assigned
    a meeting in the afternoon. Uma (student) and Olli meet in two days. Leo (founder) said
    yes to Ivan, who has not answered. Eve (other) has no profile and no suggestions.
    """
    with app.app_context():
        organizer = make_organizer()
        event = past_event(
            organizer,
            "harbour-day",
            sessions=[
                NetworkingSession(
                    name="Morning", starts_at=MORNING, ends_at=MORNING + timedelta(hours=2)
                ),
                NetworkingSession(
                    name="Afternoon", starts_at=AFTERNOON, ends_at=AFTERNOON + timedelta(hours=2)
                ),
            ],
        )
        ana = make_attendee(event, "ana@example.com", name="Ana", role="founder",
                            can_help_with=["pitching"])  # fmt: skip
        ivan = make_attendee(event, "ivan@example.com", name="Ivan", role="investor",
                             looking_for=["deal flow"])  # fmt: skip
        olli = make_attendee(event, "olli@example.com", name="Olli", role="expert",
                             can_help_with=["batteries"])  # fmt: skip
        uma = make_attendee(event, "uma@example.com", name="Uma", role="student")
        leo = make_attendee(event, "leo@example.com", name="Leo", role="founder",
                            looking_for=["funding"])  # fmt: skip
        eve = make_attendee(event, "eve@example.com", name="Eve", role="other")
        ana_ivan = meet(event, ana, ivan, at=MORNING)
        ivan_olli = meet(event, ivan, olli, at=MORNING + timedelta(minutes=20))
        ana_olli = meet(event, ana, olli, at=AFTERNOON, both_said_yes=False)
        meet(event, uma, olli, at=datetime.now(UTC) + timedelta(days=2))
        low, high = sorted((leo, ivan), key=lambda person: person.id)
        db.session.add(
            Suggestion(
                event_id=event.id,
                low_id=low.id,
                high_id=high.id,
                rank_low=2,
                rank_high=2,
                answer_low=Answer.INTERESTED if low is leo else Answer.NONE,
                answer_high=Answer.INTERESTED if high is leo else Answer.NONE,
            )
        )
        db.session.commit()
        return {
            "event": event.id,
            "meetings": {
                "ana_ivan": ana_ivan.id,
                "ivan_olli": ivan_olli.id,
                "ana_olli": ana_olli.id,
            },
            "people": {p.name.lower(): p.id for p in (ana, ivan, olli, uma, leo, eve)},
        }


def answer_everything(harbour: dict) -> None:
    """Ana and Ivan met (5 and 4 of 5); Olli says Ivan did not come; Ana and Olli met (2, 3)."""
    m, p = harbour["meetings"], harbour["people"]
    answer(m["ana_ivan"], p["ana"], "met", 5)
    answer(m["ana_ivan"], p["ivan"], "met", 4)
    answer(m["ivan_olli"], p["olli"], "no_show")
    answer(m["ana_olli"], p["ana"], "met", 2)
    answer(m["ana_olli"], p["olli"], "met", 3)


def figures(event_id: int, **options) -> outcomes.Outcome:  # noqa: ANN003
    return outcomes.event_outcome(db.session.get(Event, event_id), **options)


def test_the_funnel_counts_people_at_each_step(app, harbour):
    with app.app_context():
        answer_everything(harbour)
        outcome = figures(harbour["event"])
    assert [key for key, _ in outcomes.STEPS] == [
        "registered", "profile", "suggested", "interested", "confirmed", "met", "useful",
    ]  # fmt: skip
    counts = {f.label: f.counts for f in outcome.funnels}
    assert counts == {
        "Everyone": (6, 4, 5, 5, 4, 3, 2),
        "Expert": (1, 1, 1, 1, 1, 1, 0),
        "Founder": (2, 2, 2, 2, 1, 1, 1),
        "Student": (1, 0, 1, 1, 1, 0, 0),
        "Investor": (1, 1, 1, 1, 1, 1, 1),
        "Other": (1, 0, 0, 0, 0, 0, 0),
    }
    # Roles come in the fixed order, everyone first.
    assert [f.role for f in outcome.funnels] == [
        None, "expert", "founder", "student", "investor", "other",
    ]  # fmt: skip
    assert outcome.overall.count("met") == 3 and outcome.overall.registered == 6


def test_people_assigned_a_meeting_count_as_interested(app):
    """At speed networking nobody needs to say yes: the funnel still narrows step by step."""
    with app.app_context():
        event = past_event(make_organizer(), "speed-day", scheduling_mode="speed_networking")
        ana = make_attendee(event, "ana@example.com", name="Ana", can_help_with=["pitching"])
        ivan = make_attendee(event, "ivan@example.com", name="Ivan", looking_for=["pitching"])
        meet(event, ana, ivan, at=PAST + timedelta(hours=1), both_said_yes=False)
        overall = figures(event.id).overall
    assert overall.count("interested") == overall.count("confirmed") == 2


def test_who_met_whom_follows_the_answers(app, harbour):
    with app.app_context():
        answer_everything(harbour)
        network = figures(harbour["event"]).network
        p = harbour["people"]
    assert network.basis == outcomes.BASIS_MET
    assert not network.aggregated
    assert sorted(network.pairs) == sorted(
        tuple(sorted(pair)) for pair in [(p["ana"], p["ivan"]), (p["ana"], p["olli"])]
    )
    assert network.role_links == {("founder", "investor"): 1, ("expert", "founder"): 1}
    assert network.role_unmet == {
        "expert": 0, "founder": 1, "student": 1, "investor": 0, "other": 1,
    }  # fmt: skip
    assert network.unmet_total == 3
    # People with meetings booked come first, then by name.
    assert [(u.person.name, u.booked) for u in network.unmet] == [
        ("Uma", 1), ("Eve", 0), ("Leo", 0),
    ]  # fmt: skip


def test_before_any_answer_the_lines_are_the_meetings_that_ended(app, harbour):
    with app.app_context():
        network = figures(harbour["event"]).network
    assert network.basis == outcomes.BASIS_ENDED
    assert network.meetings == 3  # Uma and Olli's meeting has not ended
    assert network.role_links == {
        ("founder", "investor"): 1, ("expert", "founder"): 1, ("expert", "investor"): 1,
    }  # fmt: skip
    assert [u.person.name for u in network.unmet] == ["Uma", "Eve", "Leo"]


def test_a_big_event_is_drawn_by_role_with_the_same_figures(app, harbour):
    with app.app_context():
        answer_everything(harbour)
        small = figures(harbour["event"]).network
        big = figures(harbour["event"], people_limit=5).network
        picture = outcomes.pictures(figures(harbour["event"], people_limit=5)).network
    assert big.aggregated and big.people is None and big.pairs is None
    assert (big.role_links, big.role_unmet, big.unmet) == (
        small.role_links,
        small.role_unmet,
        small.unmet,
    )
    root = ET.fromstring(picture)
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Who met whom, by role"


def test_usefulness_by_role_pair_and_by_session(app, harbour):
    with app.app_context():
        answer_everything(harbour)
        outcome = figures(harbour["event"])
    by_pair = {(r.rater, r.partner): (r.mean, r.answers, r.useful) for r in outcome.by_role_pair}
    assert by_pair == {
        ("expert", "founder"): (3.0, 1, 0),
        ("founder", "expert"): (2.0, 1, 0),
        ("founder", "investor"): (5.0, 1, 1),
        ("investor", "founder"): (4.0, 1, 1),
    }
    assert outcome.roles_rated() == ["expert", "founder", "investor"]
    sessions = [(s.label.split(" (")[0], s.meetings, s.answers, s.mean, s.useful)
                for s in outcome.by_session]  # fmt: skip
    assert sessions == [("Morning", 2, 2, 4.5, 2), ("Afternoon", 1, 2, 2.5, 0)]


def test_an_empty_event_has_zeros_and_no_pictures(app):
    with app.app_context():
        event = make_event(make_organizer())
        outcome = outcomes.event_outcome(event)
        drawn = outcomes.pictures(outcome)
    assert outcome.funnels == (outcomes.Funnel(None, "Everyone", (0,) * 7),)
    assert outcome.network.meetings == 0 and outcome.network.unmet == ()
    assert outcome.by_role_pair == ()
    assert [(s.meetings, s.answers, s.mean) for s in outcome.by_session] == [(0, 0, None)]
    assert drawn.network is None and drawn.by_session is None
    ET.fromstring(drawn.funnel)


def test_the_figures_take_the_same_number_of_queries_at_any_size(app, harbour):
    def count_queries(event_id: int) -> int:
        statements = []

        def note(*args) -> None:  # noqa: ANN002
            statements.append(args[2])

        sa_event.listen(db.engine, "before_cursor_execute", note)
        try:
            outcomes.pictures(figures(event_id, people_limit=10_000))
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", note)
        return len(statements)

    with app.app_context():
        answer_everything(harbour)
        before = count_queries(harbour["event"])
        event = db.session.get(Event, harbour["event"])
        crowd = [make_attendee(event, f"p{n}@example.com", role="employer") for n in range(30)]
        for n in range(0, 30, 2):
            met = meet(event, crowd[n], crowd[n + 1], at=MORNING + timedelta(minutes=n))
            answer(met.id, crowd[n].id, "met", 4)
        assert count_queries(harbour["event"]) == before
    assert before <= 12


def test_csv_rows_hold_every_figure(app, harbour):
    with app.app_context():
        answer_everything(harbour)
        rows = outcomes.csv_rows(figures(harbour["event"]))
    assert ("funnel", "Everyone", "Met", 3) in rows
    assert ("funnel", "Founder", "Found it useful", 1) in rows
    assert ("who met whom", "Founder – Investor", "meetings that happened", 1) in rows
    assert ("who met whom", "Everyone", "nobody met them", 3) in rows
    assert (
        "usefulness by role pair",
        "Founder about Investor",
        "mean usefulness (1-5)",
        5.0,
    ) in rows
    assert any(r[0] == "usefulness by session" and r[1].startswith("Morning") for r in rows)


# -- the pages -------------------------------------------------------------------------------


def svgs(page: str) -> list[ET.Element]:
    found = re.findall(r"<svg\b.*?</svg>", page, re.S)
    return [ET.fromstring(svg) for svg in found]


def test_the_organizer_sees_the_outcome_page(app, client, auth, harbour):
    with app.app_context():
        answer_everything(harbour)
    auth.login()
    event_page = client.get(f"/organizer/events/{harbour['event']}").get_data(as_text=True)
    assert f'href="/organizer/events/{harbour["event"]}/outcome"' in event_page
    response = client.get(f"/organizer/events/{harbour['event']}/outcome")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    pictures = svgs(page)
    # The funnel, one per role (5), who met whom, and the sessions.
    assert len(pictures) == 8
    for root in pictures:
        assert root.get("role") == "img" and root.get("aria-labelledby")
        assert root.find("{http://www.w3.org/2000/svg}title").text
    assert "2 meetings that happened" in page
    assert "Nobody met them: 3 of 6" in page
    assert "1 meeting booked" in page  # Uma
    assert "The funnel as a table" in page and "Sessions as a table" in page
    pairs = re.search(r"Who met whom, pair by pair.*?</ul>", page, re.S).group(0)
    names = re.sub(r"<[^>]+>", "", pairs)
    assert "Ana (Founder) and Ivan (Investor)" in names
    assert "Ana (Founder) and Olli (Expert)" in names
    assert 'class="useful-10"' in page  # Ana's 5 for Ivan


def test_before_answers_the_page_says_the_lines_are_ended_meetings(app, client, auth, harbour):
    auth.login()
    page = client.get(f"/organizer/events/{harbour['event']}/outcome").get_data(as_text=True)
    assert "Nobody has answered after a meeting yet" in page
    assert "3 booked meetings that ended" in page
    assert "No answers about usefulness yet." in page


def test_a_big_event_page_says_it_draws_roles(app, client, auth, harbour, monkeypatch):
    monkeypatch.setattr(outcomes.figures, "PEOPLE_LIMIT", 5)  # where event_outcome reads it
    auth.login()
    page = client.get(f"/organizer/events/{harbour['event']}/outcome").get_data(as_text=True)
    assert "each circle is a role" in page
    assert "Who met whom, by role" in page


def test_an_empty_event_page(app, client, auth):
    with app.app_context():
        event_id = make_event(make_organizer()).id
    auth.login()
    page = client.get(f"/organizer/events/{event_id}/outcome").get_data(as_text=True)
    assert "No attendees yet." in page
    assert "No meeting has ended yet." in page
    assert page.count("No answers about usefulness yet.") == 2  # by role, by session
    assert len(svgs(page)) == 0


def test_before_any_meeting_nobody_is_listed_as_unmet(app, client, auth):
    """Registered people whose meetings are still to come are not "nobody met them"."""
    with app.app_context():
        event = make_event(make_organizer())  # in the future
        make_attendee(event, "ana@example.com", name="Ana Silva")
        make_attendee(event, "ivan@example.com", name="Ivan Berg")
        event_id = event.id
    auth.login()
    page = client.get(f"/organizer/events/{event_id}/outcome").get_data(as_text=True)
    assert "No meeting has ended yet." in page
    assert "Nobody met them" not in page and "Ana Silva" not in page


def test_hostile_names_are_escaped_in_the_page_and_the_pictures(app, client, auth, harbour):
    with app.app_context():
        event = db.session.get(Event, harbour["event"])
        make_attendee(event, "x@example.com", name=HOSTILE, role="founder")
        bob = make_attendee(event, "bob@example.com", name='"><svg onload=alert(1)>')
        meet(event, bob, db.session.get(Attendee, harbour["people"]["eve"]), at=MORNING)
    auth.login()
    page = client.get(f"/organizer/events/{harbour['event']}/outcome").get_data(as_text=True)
    assert HOSTILE not in page and "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for root in svgs(page):
        assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    network = next(r for r in svgs(page) if r.get("aria-labelledby").startswith("network"))
    tooltips = [t.text for t in network.iter("{http://www.w3.org/2000/svg}title")]
    assert f"{HOSTILE} (Founder): nobody met them" in tooltips


def test_the_csv_is_formula_safe(app, client, auth, harbour):
    with app.app_context():
        answer_everything(harbour)
        event = db.session.get(Event, harbour["event"])
        event.sessions[1].name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    auth.login()
    response = client.get(f"/organizer/events/{harbour['event']}/outcome.csv")
    assert response.mimetype == "text/csv"
    assert "harbour-day-outcome.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["section", "group", "measure", "value"]
    assert ["funnel", "Everyone", "Registered", "6"] in rows
    sessions = [r for r in rows if r[0] == "usefulness by session"]
    assert sessions and all(not r[1].startswith("=") for r in sessions)
    assert any(r[1].startswith("'=HYPERLINK") for r in sessions)


@pytest.mark.parametrize("suffix", ["outcome", "outcome.csv"])
def test_another_organizer_gets_404(app, client, auth, harbour, suffix):
    with app.app_context():
        make_organizer("other@example.com")
    auth.login("other@example.com")
    assert client.get(f"/organizer/events/{harbour['event']}/{suffix}").status_code == 404
    auth.logout()
    response = client.get(f"/organizer/events/{harbour['event']}/{suffix}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
