"""The flask commands: demo data and attendee import from the command line."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, make_event, make_organizer

from matchmaker.demo import DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD, demo_people
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Job, Organizer


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_demo_creates_a_believable_event_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "60 attendees" in result.output
    result = runner.invoke(args=["demo"])
    assert "already exists" in result.output
    with app.app_context():
        assert count(Event) == 1 and count(Attendee) == 60
        organizer = db.session.scalar(Organizer.by_email(DEMO_ORGANIZER_EMAIL))
        assert organizer.check_password(DEMO_ORGANIZER_PASSWORD)
        event = db.session.scalar(db.select(Event))
        assert len(event.sessions) == 2 and event.table_names
        assert (event.role_preset, event.role_rules) == ("everyone", None)  # anyone meets anyone


def test_demo_people_are_varied_and_complementary():
    people = demo_people()
    assert len({p.email for p in people}) == len(people) == 60
    assert len({p.role for p in people}) >= 6
    offers = {phrase for p in people for phrase in p.can_help_with}
    needs = {phrase for p in people for phrase in p.looking_for}
    assert len(offers & needs) >= 8  # plenty of offers meet someone's need
    assert demo_people() == demo_people()  # deterministic
    # Emails keep every letter of the name, accents dropped ("Chloé" -> "chloe").
    for p in people:
        local = p.email.split("@")[0]
        assert local.isascii() and len(local) == len(p.name), (p.name, p.email)


@pytest.fixture
def event_slug(app):
    with app.app_context():
        return make_event(make_organizer()).slug


@pytest.mark.parametrize(
    "sample", ["eventbrite_attendee_report.csv", "luma_guests.csv", "google_forms_responses.csv"]
)
def test_import_attendees_command(app, runner, event_slug, sample):
    result = runner.invoke(args=["import-attendees", event_slug, str(SAMPLES / sample)])
    assert result.exit_code == 0, result.output
    assert "Imported 48 new and updated 0 attendees." in result.output
    assert "Email" in result.output  # the detected mapping is shown
    result = runner.invoke(args=["import-attendees", event_slug, str(SAMPLES / sample)])
    assert "Imported 0 new and updated 48 attendees." in result.output
    with app.app_context():
        assert count(Attendee) == 48


def test_import_command_after_matching_brings_suggestions_up_to_date(
    app, runner, event_slug, tmp_path, monkeypatch
):
    from matchmaker import suggestions

    sample = str(SAMPLES / "luma_guests.csv")
    result = runner.invoke(args=["import-attendees", event_slug, sample])
    assert "Suggestions" not in result.output  # matching has not run: nothing to refresh
    assert runner.invoke(args=["match", event_slug]).exit_code == 0
    # A new process has no warm matcher, and a background thread would die with it: the
    # command refits inline whatever the event's size.
    with app.app_context():
        suggestions.forget_cached_matcher(db.session.scalar(db.select(Event.id)))
    monkeypatch.setattr(suggestions, "INLINE_REFIT_LIMIT", 5)
    path = tmp_path / "late.csv"
    path.write_text(
        "Full name,Email,Role,Can help with,Looking for\n"
        "Late Comer,late@example.org,Student,Python,employer branding\n"
    )
    result = runner.invoke(args=["import-attendees", event_slug, str(path)])
    assert result.exit_code == 0, result.output
    assert "Suggestions are up to date" in result.output
    with app.app_context():
        late = db.session.scalar(db.select(Attendee).where(Attendee.email == "late@example.org"))
        assert suggestions.cards_for(late)
        assert count(Job) == 1  # refreshed inline, no background run


def test_import_command_reports_row_errors_and_changes_nothing(app, runner, event_slug, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Name,Email\nAna,ana@example.com\nBob,bob@\n")
    result = runner.invoke(args=["import-attendees", event_slug, str(path)])
    assert result.exit_code == 1
    assert "Row 3, column 'Email'" in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert count(Attendee) == 0
    result = runner.invoke(args=["import-attendees", event_slug, str(path), "--valid-rows-only"])
    assert result.exit_code == 0
    with app.app_context():
        assert count(Attendee) == 1


def test_import_command_reports_extra_cells_by_row(app, runner, event_slug, tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("Name,Email,Company\nAna,ana@example.com,Acme\nBo,bo@example.com,Acme, Inc.\n")
    result = runner.invoke(args=["import-attendees", event_slug, str(path)])
    assert result.exit_code == 1
    assert "Row 3, column 'column D': the row has 4 cells but the header has 3" in result.output
    with app.app_context():
        assert count(Attendee) == 0


def test_import_command_has_no_size_limit(app, runner, event_slug, tmp_path):
    """A file over the web's old 10 MB limit: the command line has no limit at all."""
    path = tmp_path / "big.csv"
    note = "n" * 10_000
    lines = ["Name,Email,Notes"] + [f"P{n},p{n}@example.org,{note}" for n in range(1300)]
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 12 * 1024 * 1024
    result = runner.invoke(args=["import-attendees", event_slug, str(path)])
    assert result.exit_code == 0, result.output
    assert "Read 1300 rows" in result.output
    with app.app_context():
        assert count(Attendee) == 1300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["import-attendees", "no-such-event", "x.csv"],
            "no event with slug or id 'no-such-event'",
        ),
        (["import-attendees", "test-event", "/nonexistent/file.csv"], "does not exist"),
    ],
)
def test_import_command_bad_arguments(app, runner, event_slug, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output


def test_import_command_unreadable_file(app, runner, event_slug, tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = runner.invoke(args=["import-attendees", event_slug, str(path)])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output


def test_create_organizer_command(app, runner):
    result = runner.invoke(
        args=["create-organizer", "--email", "New@Example.com", "--name", "New"],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(Organizer.by_email("new@example.com")) is not None
