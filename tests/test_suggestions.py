"""Stored suggestions: runs, answers, confirmed matches, incremental refresh, pages and CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
from conftest import SAMPLES, make_attendee, make_event, make_organizer, post_form

from matchmaker import matching_report as report
from matchmaker import suggestions as service
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Job, Suggestion

PEOPLE = [
    # email, role, organization, can help with, looking for
    ("ana@x.org", "founder", "Acme", ["React", "product design"], ["seed funding", "pricing"]),
    ("ivan@y.org", "investor", "Fund", ["seed funding", "fundraising"], ["climate startups"]),
    (
        "eve@z.org",
        "expert",
        "Consult",
        ["pricing strategy", "go-to-market"],
        ["consulting clients"],
    ),
    ("jo@w.org", "job_seeker", "", ["Python", "data analysis"], ["job referrals", "CV review"]),
    ("emma@v.org", "employer", "Hire", ["job referrals", "CV review"], ["Python developers"]),
    ("colleague@x.org", "founder", "Acme", ["seed funding"], ["React"]),
]


@pytest.fixture
def event_id(app):
    with app.app_context():
        event = make_event(make_organizer())
        for email, role, org, helps, needs in PEOPLE:
            make_attendee(
                event, email, role=role, organization=org, can_help_with=helps, looking_for=needs
            )
        return event.id


def people(app) -> dict[str, Attendee]:
    return {a.email: a for a in db.session.scalars(db.select(Attendee))}


def ranked_pairs() -> set[tuple]:
    return set(
        db.session.execute(
            db.select(
                Suggestion.low_id, Suggestion.high_id, Suggestion.rank_low, Suggestion.rank_high
            )
        ).all()
    )


def matched_pair(app, event_id: int) -> tuple[int, tuple[str, str]]:
    """Run matching; return Ana and Ivan's suggestion id and their private link tokens."""
    with app.app_context():
        run(event_id)
        by_email = people(app)
        ana, ivan = by_email["ana@x.org"], by_email["ivan@y.org"]
        row_id = next(c.row.id for c in service.cards_for(ana) if c.partner.id == ivan.id)
        return row_id, (ana.access_token, ivan.access_token)


def run(event_id: int) -> Job:
    return service.start_matching(db.session.get(Event, event_id))


def test_run_stores_ranked_explained_suggestions(app, event_id):
    with app.app_context():
        assert run(event_id).status == "done"
        by_email = people(app)
        cards = service.cards_for(by_email["ana@x.org"])
        partners = [c.partner.email for c in cards]
        assert partners[0] in {"ivan@y.org", "eve@z.org"}
        assert "colleague@x.org" not in partners  # same organization
        ivan = next(c for c in cards if c.partner.email == "ivan@y.org")
        texts = [(r.direction, r.yours, r.theirs) for r in ivan.reasons]
        assert ("they_help", "seed funding", "seed funding") in texts
        # The same row read from Ivan's side turns the reasons around.
        ivan_cards = service.cards_for(by_email["ivan@y.org"])
        ana = next(c for c in ivan_cards if c.partner.email == "ana@x.org")
        assert ("you_help", "seed funding", "seed funding") in [
            (r.direction, r.yours, r.theirs) for r in ana.reasons
        ]
        figures = report.matching_figures(
            db.session.get(Event, event_id), service.latest_run(event_id)
        )
        assert figures.attendees == 6 and figures.with_suggestions >= 5


def test_both_yes_confirms_and_decline_never_comes_back(app, event_id):
    with app.app_context():
        run(event_id)
        by_email = people(app)
        ana, ivan, eve = by_email["ana@x.org"], by_email["ivan@y.org"], by_email["eve@z.org"]
        row = next(c.row for c in service.cards_for(ana) if c.partner.id == ivan.id)
        assert service.record_answer(row, ana.id, "interested") is False
        ivan_card = next(c for c in service.cards_for(ivan) if c.partner.id == ana.id)
        assert ivan_card.theirs == "interested"
        assert service.record_answer(row, ivan.id, "interested") is True
        db.session.commit()
        assert row.confirmed and row.confirmed_at is not None
        eve_row = next(c.row for c in service.cards_for(ana) if c.partner.id == eve.id)
        service.record_answer(eve_row, eve.id, "declined")
        db.session.commit()
        assert eve.id not in [c.partner.id for c in service.cards_for(ana)]
        run(event_id)  # a new run keeps answers and never suggests the declined pair
        assert eve.id not in [c.partner.id for c in service.cards_for(ana)]
        assert any(c.confirmed and c.partner.id == ivan.id for c in service.cards_for(ana))
        with pytest.raises(service.AnswerError):
            service.record_answer(row, ana.id, "maybe")
        with pytest.raises(ValueError):
            service.record_answer(row, eve.id, "interested")


def test_incremental_refresh_equals_full_recomputation(app, event_id):
    with app.app_context():
        run(event_id)
        jo = people(app)["jo@w.org"]
        jo.looking_for = ["seed funding", "pricing strategy"]
        jo.role = "founder"
        db.session.commit()
        changed = service.refresh_after_change(db.session.get(Event, event_id))
        db.session.commit()
        assert jo.id in changed
        incremental = ranked_pairs()
        service.forget_cached_matcher(event_id)
        run(event_id)
        assert ranked_pairs() == incremental


def test_refresh_before_any_run_does_nothing(app, event_id):
    with app.app_context():
        assert service.refresh_after_change(db.session.get(Event, event_id)) == set()
        assert db.session.scalar(db.select(db.func.count()).select_from(Suggestion)) == 0


def test_background_run_reports_progress_until_done(app, event_id):
    app.config["BACKGROUND_JOBS"] = True
    with app.app_context():
        run_id = run(event_id).id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            status = db.session.get(Job, run_id).status
            if status in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status == "done"


@pytest.fixture
def signed_in(client, auth, app, event_id):
    auth.login()
    return event_id


def test_organizer_matching_pages(client, app, signed_in):
    event_id = signed_in
    page = client.get(f"/organizer/events/{event_id}/matching").get_data(as_text=True)
    assert "Matching has not run yet" in page
    assert "Who may meet whom: Everyone" in page
    assert "without suggestions" not in page and "in numbers" not in page  # nothing to count
    response = post_form(
        client,
        f"/organizer/events/{event_id}/matching/run",
        {},
        form_url=f"/organizer/events/{event_id}/matching",
    )
    assert response.status_code == 302
    page = client.get(f"/organizer/events/{event_id}/matching").get_data(as_text=True)
    assert "have suggestions" in page and "Matching is done" in page
    assert "Exposure is how many people's lists someone appears in." in page
    assert "each attendee's meeting limit (6) caps how many meetings" in page
    assert "On average a list holds" in page and "confirmed matches" in page
    assert "spread" not in page.lower() and "stdev" not in page
    assert client.get(f"/organizer/events/{event_id}/matching/status").json["status"] == "done"
    with app.app_context():
        ana = people(app)["ana@x.org"]
    page = client.get(f"/organizer/events/{event_id}/attendees/{ana.id}/suggestions")
    assert "They can help with: seed funding" in page.get_data(as_text=True)


def test_matching_run_requires_csrf(client, app, signed_in):
    response = client.post(f"/organizer/events/{signed_in}/matching/run")
    assert response.status_code == 400


def test_matching_settings_save_rules_and_aliases(client, app, signed_in):
    url = f"/organizer/events/{signed_in}/matching/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'name="rule_founder__investor"' in page and "checked" in page
    form = {
        "role_preset": "custom",
        "suggestions_per_attendee": "5",
        "exposure_penalty": "0.25",
        "max_exposure": "",
        "synonyms": "k8s = kubernetes\nGTM = go-to-market",
        "rule_founder__investor": "y",
        "rule_expert__founder": "y",
    }
    assert post_form(client, url, form).status_code == 302
    with app.app_context():
        event = db.session.get(Event, signed_in)
        assert event.suggestions_per_attendee == 5
        assert event.exclude_same_organization is False
        assert event.synonyms == {"k8s": "kubernetes", "GTM": "go-to-market"}
        assert event.role_rules["founder"] == ["expert", "investor"]
        assert event.role_rules["job_seeker"] == []
        assert event.role_preset == "custom" and event.exposure_penalty == 0.25
        settings = service.match_settings(event)
        assert settings.exposure_penalty == 0.25 and settings.max_exposure is None
        assert settings.roles_may_meet("investor", "founder")
        assert not settings.roles_may_meet("job_seeker", "employer")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"synonyms": "k8s kubernetes"}, "Line 1: write it as"),
        ({"suggestions_per_attendee": "0"}, "Use 1 to 50"),
        ({"max_exposure": "-2"}, "Use 1 to 1000"),
        ({"role_preset": "founders_only"}, "Choose one of the rules listed."),
        ({"role_preset": ""}, "Choose one of the rules listed."),
        ({"exposure_penalty": "0.3"}, "Choose one of the levels listed."),
        ({"exposure_penalty": "lots"}, "Choose one of the levels listed."),
    ],
)
def test_matching_settings_reject_bad_input(client, app, signed_in, change, message):
    url = f"/organizer/events/{signed_in}/matching/settings"
    valid = {"role_preset": "job_fair", "exposure_penalty": "0", "suggestions_per_attendee": "7"}
    response = post_form(client, url, valid | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.get(Event, signed_in)
        assert (event.suggestions_per_attendee, event.role_preset) == (10, "everyone")


def test_attendee_answers_through_pages(client, app, event_id):
    row_id, tokens = matched_pair(app, event_id)
    page = client.get(f"/me/{tokens[0]}/matches").get_data(as_text=True)
    assert "People you should meet" in page and "They can help with: seed funding" in page
    url = f"/me/{tokens[0]}/matches/{row_id}"
    response = post_form(client, url, {"answer": "interested"}, form_url=f"/me/{tokens[0]}/matches")
    assert response.status_code == 302
    page = client.get(f"/me/{tokens[1]}/matches").get_data(as_text=True)
    assert "would like to meet you" in page
    post_form(
        client,
        f"/me/{tokens[1]}/matches/{row_id}",
        {"answer": "interested"},
        form_url=f"/me/{tokens[1]}/matches",
    )
    for token in tokens:
        page = client.get(f"/me/{token}/matches").get_data(as_text=True)
        assert "Confirmed matches" in page


def test_attendee_cannot_answer_someone_elses_pair(client, app, event_id):
    with app.app_context():
        run(event_id)
        by_email = people(app)
        ana, ivan, jo = by_email["ana@x.org"], by_email["ivan@y.org"], by_email["jo@w.org"]
        row_id = next(c.row.id for c in service.cards_for(ana) if c.partner.id == ivan.id)
        token = jo.access_token
    response = post_form(
        client,
        f"/me/{token}/matches/{row_id}",
        {"answer": "declined"},
        form_url=f"/me/{token}/matches",
    )
    assert response.status_code == 404
    response = post_form(
        client,
        f"/me/{token}/matches/999999",
        {"answer": "declined"},
        form_url=f"/me/{token}/matches",
    )
    assert response.status_code == 404


def test_bad_answer_value_is_refused(client, app, event_id):
    with app.app_context():
        run(event_id)
        ana = people(app)["ana@x.org"]
        row_id, token = service.cards_for(ana)[0].row.id, ana.access_token
    response = post_form(
        client,
        f"/me/{token}/matches/{row_id}",
        {"answer": "maybe"},
        form_url=f"/me/{token}/matches",
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Suggestion, row_id)
        assert (row.answer_low, row.answer_high) == ("none", "none")


def test_match_command(app, runner, event_id):
    result = runner.invoke(args=["match", "test-event"])
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Suggestion)) > 0
    assert runner.invoke(args=["match", "nope"]).exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_suggest_command_writes_one_record_per_suggestion(runner, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    sample = SAMPLES / "google_forms_responses.csv"
    result = runner.invoke(
        args=["suggest", str(sample), "--top", "3", "--format", fmt, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    if fmt == "csv":
        records = list(csv.DictReader(io.StringIO(text)))
    else:
        records = [json.loads(line) for line in text.splitlines()]
    assert records and set(records[0]) == {"email", "rank", "partner", "score", "reasons"}
    assert all(int(r["rank"]) <= 3 for r in records)
    assert all(r["email"] != r["partner"] for r in records)
    assert all(0 <= float(r["score"]) <= 1 for r in records)


def test_suggest_command_reads_a_file_over_ten_megabytes(runner, tmp_path):
    """`flask suggest` reads through the importer, which no longer stops at 10 MB."""
    path = tmp_path / "big.csv"
    rows = ["Name,Email,Can help with,Looking for,Notes"]
    note = "n" * 12_000
    rows += [f"P{n},p{n}@example.org,topic {n % 9},topic {(n + 1) % 9},{note}" for n in range(1000)]
    path.write_text("\n".join(rows) + "\n")
    assert path.stat().st_size > 11 * 1024 * 1024
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["suggest", str(path), "--top", "2", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "2000 suggestions for 1000 attendees" in result.output
    assert len(out.read_text().splitlines()) == 2001


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["suggest", "/nonexistent.csv"], 2, "does not exist"),
        (["suggest", "x.csv", "--top", "0"], 2, "0 is not in the range"),
        (["suggest", "x.csv", "--format", "xml"], 2, "'xml' is not one of"),
    ],
)
def test_suggest_command_bad_arguments(runner, args, code, message):
    result = runner.invoke(args=args)
    assert result.exit_code == code
    assert message in result.output


def test_suggest_command_unreadable_file(runner, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02garbage")
    result = runner.invoke(args=["suggest", str(path)])
    assert result.exit_code == 1 and "Error:" in result.output


def test_cold_refresh_of_a_large_event_goes_to_the_background(app, event_id, monkeypatch):
    with app.app_context():
        run(event_id)
        service.forget_cached_matcher(event_id)
        monkeypatch.setattr(service, "INLINE_REFIT_LIMIT", 3)
        runs_before = db.session.scalar(db.select(db.func.count()).select_from(Job))
        assert service.refresh_after_change(db.session.get(Event, event_id)) == set()
        runs_after = db.session.scalar(db.select(db.func.count()).select_from(Job))
        assert runs_after == runs_before + 1


def test_role_pairs_count_who_is_suggested_to_whom(app, event_id):
    with app.app_context():
        run(event_id)
        figures = report.matching_figures(db.session.get(Event, event_id), None)
        suggested = db.session.scalar(db.select(db.func.count()).select_from(Suggestion))
        assert sum(n for n, _ in figures.role_pairs.values()) == suggested
        assert figures.role_pairs[("founder", "investor")][0] >= 1
        assert ("investor", "founder") not in figures.role_pairs  # one key per pair of roles


def test_declining_a_confirmed_match_cancels_its_meeting(client, app, event_id):
    from matchmaker.models import Meeting

    row_id, tokens = matched_pair(app, event_id)
    for token in tokens:
        post_form(
            client,
            f"/me/{token}/matches/{row_id}",
            {"answer": "interested"},
            form_url=f"/me/{token}/matches",
        )
    with app.app_context():
        meeting = db.session.scalar(db.select(Meeting))
        assert meeting is not None and meeting.status == "confirmed"
    response = post_form(
        client,
        f"/me/{tokens[0]}/matches/{row_id}",
        {"answer": "declined"},
        form_url=f"/me/{tokens[0]}/matches",
    )
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.scalar(db.select(Meeting))
        assert meeting.status == "cancelled"
        assert not meeting.seats


def test_two_yeses_at_the_same_moment_confirm_the_match(app, event_id, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are a PostgreSQL feature; the PostgreSQL pass runs this test")
    import threading

    row_id, tokens = matched_pair(app, event_id)
    first_inside = threading.Event()
    original = service.record_answer

    def slow_first_answer(row, attendee_id, answer):  # noqa: ANN001, ANN202
        if not first_inside.is_set():
            first_inside.set()
            time.sleep(0.5)  # the other answer arrives while this one is in flight
        return original(row, attendee_id, answer)

    monkeypatch.setattr(service, "record_answer", slow_first_answer)

    def say_yes(token: str) -> None:
        client = app.test_client()
        post_form(
            client,
            f"/me/{token}/matches/{row_id}",
            {"answer": "interested"},
            form_url=f"/me/{token}/matches",
        )

    first = threading.Thread(target=say_yes, args=(tokens[0],))
    first.start()
    assert first_inside.wait(timeout=10)
    second = threading.Thread(target=say_yes, args=(tokens[1],))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    with app.app_context():
        row = db.session.get(Suggestion, row_id)
        assert row.confirmed and row.confirmed_at is not None


def test_a_run_left_running_by_a_dead_worker_does_not_block_matching(app, event_id):
    from datetime import timedelta

    from matchmaker.models import utcnow

    with app.app_context():
        stuck = Job(
            event_id=event_id,
            kind="matching",
            status="running",
            created_at=utcnow() - timedelta(hours=2),
        )
        db.session.add(stuck)
        db.session.commit()
        fresh = run(event_id)
        assert fresh.id != stuck.id and fresh.status == "done"
        assert db.session.get(Job, stuck.id).status == "failed"


def test_scheduling_jobs_do_not_pass_for_matching_runs(app, event_id):
    with app.app_context():
        db.session.add(Job(event_id=event_id, kind="scheduling", status="running"))
        db.session.commit()
        assert service.latest_run(event_id) is None
        assert not service.event_has_matches(event_id)
        fresh = run(event_id)
        assert fresh.kind == "matching" and fresh.status == "done"
        assert service.latest_run(event_id).id == fresh.id


def test_figures_in_words_from_the_lists():
    # Ten attendees: six with full lists of 10, two with 5, two with none (70 places).
    figures = report.MatchingFigures(
        attendees=10,
        top_k=10,
        suggested_pairs=40,
        confirmed=2,
        interested=5,
        declined=1,
        meetings=1,
        unmatched={"no_shared_topics": [7]},
        list_sizes={10: 6, 5: 2, 0: 2},
        exposure={30: 1, 8: 4, 2: 4, 0: 1},
    )
    assert (figures.with_suggestions, figures.without_suggestions, figures.unexplained) == (8, 2, 1)
    assert figures.places == 70 and figures.average_list == 8.75 and figures.full_lists == 6
    assert figures.most_exposure == 30
    assert figures.median_exposure == 8  # five of the ten appear in 8 lists or more
    assert figures.top_count == 1 and figures.top_share() == pytest.approx(30 / 70)
    assert figures.concentration == "some"
    even = report.MatchingFigures(10, 10, 35, 0, 0, 0, 0, {}, {7: 10}, {7: 10})
    assert (even.median_exposure, even.concentration) == (7, "wide")
    one_star = report.MatchingFigures(20, 5, 20, 0, 0, 0, 0, {}, {1: 20}, {18: 1, 1: 2, 0: 17})
    assert one_star.concentration == "few" and one_star.median_exposure == 0
    empty = report.MatchingFigures(0, 10, 0, 0, 0, 0, 0, {}, {}, {})
    assert (empty.average_list, empty.most_exposure, empty.top_share()) == (0.0, 0, 0.0)


def test_matching_figures_count_lists_and_exposure_in_the_database(app, event_id):
    with app.app_context():
        run(event_id)
        event = db.session.get(Event, event_id)
        figures = report.matching_figures(event, service.latest_run(event_id))
        rows = db.session.execute(db.select(Suggestion.rank_low, Suggestion.rank_high)).all()
        places = sum((low is not None) + (high is not None) for low, high in rows)
        assert figures.places == places == sum(k * n for k, n in figures.exposure.items())
        assert sum(figures.exposure.values()) == sum(figures.list_sizes.values()) == 6
        assert figures.suggested_pairs == len(rows)


INTERNSHIPS = [
    # email, role, can help with, looking for
    ("founder1@a.org", "founder", ["startup internships"], ["React developers"]),
    ("founder2@b.org", "founder", ["React developers"], ["startup internships"]),
    ("student@c.org", "student", ["React developers"], ["startup internships"]),
]


@pytest.mark.parametrize("preset", ["everyone", "job_fair"])
def test_role_presets_decide_who_is_suggested(app, preset):
    with app.app_context():
        event = make_event(make_organizer(), role_preset=preset)
        for email, role, helps, needs in INTERNSHIPS:
            make_attendee(event, email, role=role, can_help_with=helps, looking_for=needs)
        run(event.id)
        by_email = people(app)
        founder = by_email["founder1@a.org"]
        student_partners = {c.partner.email for c in service.cards_for(by_email["student@c.org"])}
        founder_partners = {c.partner.email for c in service.cards_for(founder)}
        if preset == "everyone":
            # The student looking for an internship meets the founder who offers one.
            assert "founder1@a.org" in student_partners
            assert "founder2@b.org" in founder_partners
        else:  # a job fair never pairs two founders, nor founders with students
            assert student_partners == set() and founder_partners == set()


def test_a_pair_keeps_its_card_and_reasons_while_it_has_a_meeting(client, app):
    """Rules that stop suggesting a pair leave its booked meeting linked to the suggestion."""
    from matchmaker import bookings
    from matchmaker.models import Meeting

    with app.app_context():
        event = make_event(make_organizer(), role_preset="everyone")
        for email, role, helps, needs in INTERNSHIPS:
            make_attendee(event, email, role=role, can_help_with=helps, looking_for=needs)
        run(event.id)
        by_email = people(app)
        student, founder = by_email["student@c.org"], by_email["founder1@a.org"]
        row = next(c.row for c in service.cards_for(student) if c.partner.id == founder.id)
        meeting = bookings.book_confirmed(row)  # as auto-schedule assigns it
        assert meeting is not None
        db.session.commit()
        row_id, meeting_id, token = row.id, meeting.id, student.access_token
        event.role_preset = "job_fair"  # founders and students are no longer suggested
        db.session.commit()
        run(event.id)
        kept = db.session.get(Suggestion, row_id)
        assert kept is not None and kept.rank_low is None and kept.rank_high is None
        assert db.session.get(Meeting, meeting_id).suggestion_id == row_id
    page = client.get(f"/me/{token}/matches").get_data(as_text=True)
    assert "Founder1" in page and "startup internships" in page  # the card and its reason
    assert "No suggestions yet" not in page


def test_a_meeting_that_lost_its_pair_row_is_linked_again_by_the_next_run(app, event_id):
    from matchmaker import bookings
    from matchmaker.models import Meeting

    row_id, _ = matched_pair(app, event_id)
    with app.app_context():
        meeting = bookings.book_confirmed(db.session.get(Suggestion, row_id))
        db.session.commit()
        meeting_id = meeting.id
        db.session.delete(db.session.get(Suggestion, row_id))  # what older versions did
        db.session.commit()
        assert db.session.get(Meeting, meeting_id).suggestion_id is None
        run(event_id)
        db.session.expire_all()
        linked = db.session.get(Meeting, meeting_id)
        row = db.session.get(Suggestion, linked.suggestion_id)
        assert (row.low_id, row.high_id) == (linked.low_id, linked.high_id)


def test_matching_page_says_which_rule_and_how_many_pairs_it_keeps_apart(client, app, signed_in):
    with app.app_context():
        db.session.get(Event, signed_in).role_preset = "job_fair"
        db.session.commit()
    page = client.get(f"/organizer/events/{signed_in}/matching").get_data(as_text=True)
    # Six people, 15 pairs; at a job fair only job seeker-employer, job seeker-expert and
    # employer-expert may meet, so 12 pairs are kept apart.
    assert "Who may meet whom: Job fair" in page
    assert "The job fair rules keep <strong>12 pairs of people</strong> apart" in page
    assert "choose <a" in page and ">Everyone</a> to let anyone meet" in page
    settings = client.get(f"/organizer/events/{signed_in}/matching/settings")
    html = settings.get_data(as_text=True)
    assert is_checked(html, "role_preset", "job_fair")
    assert not is_checked(html, "role_preset", "everyone")
    assert "At this event it keeps 12 pairs of people apart." in html
    assert "At this event it keeps nobody apart." in html  # Everyone
    with app.app_context():
        db.session.get(Event, signed_in).role_preset = "everyone"
        db.session.commit()
    page = client.get(f"/organizer/events/{signed_in}/matching").get_data(as_text=True)
    assert "Who may meet whom: Everyone" in page
    assert "Nobody is kept apart because of their role." in page


def test_other_presets_keep_the_custom_matrix_for_later(client, app, signed_in):
    url = f"/organizer/events/{signed_in}/matching/settings"
    base = {"suggestions_per_attendee": "10", "exposure_penalty": "0"}
    post_form(client, url, base | {"role_preset": "custom", "rule_founder__investor": "y"})
    post_form(client, url, base | {"role_preset": "mentoring"})
    with app.app_context():
        event = db.session.get(Event, signed_in)
        assert event.role_preset == "mentoring"
        assert event.role_rules["founder"] == ["investor"]
        rules = service.match_settings(event)
        assert rules.roles_may_meet("expert", "student")
        assert not rules.roles_may_meet("founder", "investor")
    html = client.get(url).get_data(as_text=True)
    assert is_checked(html, "role_preset", "mentoring")
    assert is_checked(html, "rule_founder__investor", "y")
    assert not is_checked(html, "rule_founder__founder", "y")


def is_checked(html: str, name: str, value: str) -> bool:
    """Whether the page has a ticked checkbox or radio button with this name and value."""
    tag = rf'<input(?=[^>]*\bname="{name}")(?=[^>]*\bvalue="{value}")[^>]*\bchecked\b[^>]*>'
    return re.search(tag, html) is not None


@pytest.mark.parametrize("newcomers", [1, service.BATCH_REFIT_AT + 1])
def test_newcomers_after_a_run_get_lists_equal_to_a_full_run(app, event_id, newcomers):
    with app.app_context():
        run(event_id)
        event = db.session.get(Event, event_id)
        for n in range(newcomers):
            make_attendee(
                event,
                f"new{n}@n{n}.org",
                role="student",
                organization=f"N{n}",
                can_help_with=["Python"],
                looking_for=["pricing strategy"],
            )
        blank = make_attendee(event, "blank@example.org").id
        changed = service.refresh_after_change(event)
        db.session.commit()
        new_ids = set(db.session.scalars(db.select(Attendee.id).where(Attendee.email.like("new%"))))
        assert new_ids <= changed
        eve = people(app)["eve@z.org"]
        assert {c.partner.id for c in service.cards_for(eve)} & new_ids  # in others' lists too
        # Who has no suggestions, and why, follows the lists now in force.
        assert service.latest_run(event_id).figures["unmatched"][str(blank)] == "empty_profile"
        figures = report.matching_figures(event, service.latest_run(event_id))
        assert figures.unmatched["empty_profile"] == [blank] and figures.unexplained == 0
        if newcomers > service.BATCH_REFIT_AT:  # a batch is refitted: as a fresh run would
            refreshed = ranked_pairs()
            service.forget_cached_matcher(event_id)
            run(event_id)
            assert ranked_pairs() == refreshed


def test_people_who_join_while_a_run_is_scoring_are_included(app, event_id, monkeypatch):
    compute = service.compute_matches

    def compute_then_someone_registers(event, progress=None):
        result = compute(event, progress)
        make_attendee(
            event, "late@l.org", role="student", organization="L", looking_for=["seed funding"]
        )
        return result

    monkeypatch.setattr(service, "compute_matches", compute_then_someone_registers)
    with app.app_context():
        assert run(event_id).status == "done"
        late = people(app)["late@l.org"]
        assert "ivan@y.org" in {c.partner.email for c in service.cards_for(late)}
        assert str(late.id) not in service.latest_run(event_id).figures["unmatched"]


# -- learning from answers -----------------------------------------------------------------


def matching_page(client, event_id: int) -> str:  # noqa: ANN001
    html = client.get(f"/organizer/events/{event_id}/matching").get_data(as_text=True)
    start = html.index('id="learning-heading"')
    return html[start : html.index("</section>", start)]


def test_matching_page_says_what_the_answers_taught(client, app, signed_in):
    assert "The next run counts them" in matching_page(client, signed_in)
    with app.app_context():
        event = db.session.get(Event, signed_in)
        event.learned_weights = {
            "weights": {"you_help": 0.9, "shared": 0.05, "prior": 1.0, "track_record": 0.3},
            "learned": True,
            "positives": 70,
            "negatives": 64,
            "min_per_kind": 50,
            "informative": ["you_help", "shared", "prior", "track_record"],
        }
        db.session.commit()
    section = matching_page(client, signed_in)
    assert "<li>Your attendees value mutual help more than shared interests.</li>" in section
    assert "Shared interests count less than by default (0.05 instead of 0.20" in section
    assert "helped them at your earlier events are moved up." in section
    assert "Learnt at the last run from <strong>134 answers</strong> across your events" in section
    assert "70 “yes” and 64 “no”" in section


def test_matching_page_says_how_many_answers_are_missing(client, app, signed_in):
    with app.app_context():
        event = db.session.get(Event, signed_in)
        event.learned_weights = {"learned": False, "positives": 12, "negatives": 49}
        db.session.commit()
    section = matching_page(client, signed_in)
    assert "Not enough answers yet." in section
    assert "There were 12 and 49" in section.replace("At the last run there", "There")
    assert "<strong>38 more “yes” answers</strong> and <strong>1 more “no” answer</strong>" in (
        section
    )
    assert "<li>" not in section


def test_the_setting_turns_learning_from_answers_off(client, app, signed_in):
    url = f"/organizer/events/{signed_in}/matching/settings"
    assert is_checked(client.get(url).get_data(as_text=True), "learn_from_answers", "y")
    with app.app_context():
        event = db.session.get(Event, signed_in)
        event.learned_weights = {"weights": {"you_help": 0.9}, "learned": True}
        db.session.commit()
        assert service.match_settings(event).reciprocity == 0.9
    form = {"role_preset": "everyone", "suggestions_per_attendee": "10", "exposure_penalty": "0"}
    assert post_form(client, url, form).status_code == 302  # the box left unticked
    assert not is_checked(client.get(url).get_data(as_text=True), "learn_from_answers", "y")
    assert "Learning from answers is off for this event" in matching_page(client, signed_in)
    with app.app_context():
        event = db.session.get(Event, signed_in)
        assert event.learn_from_answers is False
        assert service.match_settings(event).reciprocity == 0.3
        assert run(event.id).status == "done"  # and the stored weights stay as they were
        assert db.session.get(Event, signed_in).learned_weights["weights"] == {"you_help": 0.9}
    post_form(client, url, form | {"learn_from_answers": "y"})
    with app.app_context():
        assert service.match_settings(db.session.get(Event, signed_in)).reciprocity == 0.9
