"""Stored suggestions: runs, answers, confirmed matches, incremental refresh, pages and CLI."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from conftest import SAMPLES, make_attendee, make_event, make_organizer, post_form

from matchmaker import suggestions as service
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, MatchingRun, Suggestion

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


def run(event_id: int) -> MatchingRun:
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
        figures = service.matching_figures(
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
            status = db.session.get(MatchingRun, run_id).status
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
    response = post_form(
        client,
        f"/organizer/events/{event_id}/matching/run",
        {},
        form_url=f"/organizer/events/{event_id}/matching",
    )
    assert response.status_code == 302
    page = client.get(f"/organizer/events/{event_id}/matching").get_data(as_text=True)
    assert "have suggestions" in page and "Matching is done" in page
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
        "suggestions_per_attendee": "5",
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"synonyms": "k8s kubernetes"}, "Line 1: write it as"),
        ({"suggestions_per_attendee": "0"}, "Use 1 to 50"),
        ({"max_exposure": "-2"}, "Use 1 to 1000"),
    ],
)
def test_matching_settings_reject_bad_input(client, app, signed_in, change, message):
    url = f"/organizer/events/{signed_in}/matching/settings"
    response = post_form(client, url, {"suggestions_per_attendee": "10"} | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, signed_in).suggestions_per_attendee == 10


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
        runs_before = db.session.scalar(db.select(db.func.count()).select_from(MatchingRun))
        assert service.refresh_after_change(db.session.get(Event, event_id)) == set()
        runs_after = db.session.scalar(db.select(db.func.count()).select_from(MatchingRun))
        assert runs_after == runs_before + 1


def test_role_pairs_count_who_is_suggested_to_whom(app, event_id):
    with app.app_context():
        run(event_id)
        figures = service.matching_figures(db.session.get(Event, event_id), None)
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
        stuck = MatchingRun(
            event_id=event_id, status="running", created_at=utcnow() - timedelta(hours=2)
        )
        db.session.add(stuck)
        db.session.commit()
        fresh = run(event_id)
        assert fresh.id != stuck.id and fresh.status == "done"
        assert db.session.get(MatchingRun, stuck.id).status == "failed"


def test_scheduling_jobs_do_not_pass_for_matching_runs(app, event_id):
    with app.app_context():
        db.session.add(MatchingRun(event_id=event_id, kind="scheduling", status="running"))
        db.session.commit()
        assert service.latest_run(event_id) is None
        assert not service.event_has_matches(event_id)
        fresh = run(event_id)
        assert fresh.kind == "matching" and fresh.status == "done"
        assert service.latest_run(event_id).id == fresh.id
