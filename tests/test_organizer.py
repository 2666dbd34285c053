"""Organizer pages: events, imports, attendee links, and that nobody sees another's data."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import (
    SAMPLES,
    csrf_from,
    import_through_web,
    make_attendee,
    make_event,
    make_organizer,
    post_form,
    selected_mapping,
    upload_file,
)
from markupsafe import escape

from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, ImportUpload, Job, Suggestion

EVENT_FORM = {
    "name": "Nordic Founders Day",
    "slug": "",
    "description": "1:1s",
    "timezone": "Europe/Helsinki",
    "venue": "Maria 01",
    "start": "2037-12-10T09:00",
    "end": "2037-12-10T17:00",
    "sessions-0-name": "Morning",
    "sessions-0-day": "2037-12-10",
    "sessions-0-start": "10:00",
    "sessions-0-end": "12:00",
    "sessions-1-name": "",
    "sessions-1-day": "",
    "sessions-1-start": "",
    "sessions-1-end": "",
    "meeting_minutes": "15",
    "buffer_minutes": "5",
    "tables": "12",
    "virtual_link_template": "",
    "max_meetings_per_attendee": "6",
    "scheduling_mode": "people_choose",
    "auto_schedule_reserve": "2",
    "registration_open": "y",
}


@pytest.fixture
def signed_in(app, auth):
    with app.app_context():
        organizer = make_organizer()
        organizer_id = organizer.id
    auth.login()
    return organizer_id


def test_create_event_stores_utc_sessions_and_tables(client, app, signed_in):
    response = post_form(client, "/organizer/events/new", EVENT_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        assert event.slug == "nordic-founders-day"
        assert event.starts_at.isoformat() == "2037-12-10T07:00:00+00:00"
        assert [s.name for s in event.sessions] == ["Morning"]
        assert event.sessions[0].starts_at.isoformat() == "2037-12-10T08:00:00+00:00"
        assert len(event.table_names) == 12
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nordic Founders Day" in page and "Morning" in page


def test_an_online_event_can_keep_utc(client, app, signed_in):
    response = post_form(client, "/organizer/events/new", EVENT_FORM | {"timezone": "UTC"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        assert event.timezone == "UTC"
        assert event.sessions[0].starts_at.isoformat() == "2037-12-10T10:00:00+00:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"end": "2037-12-10T08:00"}, "must end after it starts"),
        ({"meeting_minutes": "3"}, "between 5 and 120"),
        ({"meeting_minutes": "200"}, "between 5 and 120"),
        ({"sessions-0-day": "2037-12-11"}, "between the event&#39;s start and end"),
        ({"sessions-0-end": ""}, "needs a date, a start and an end"),
        ({"slug": "Bad Slug!"}, "lowercase letters"),
        ({"name": ""}, "This field is required"),
        ({"virtual_link_template": "ftp://x"}, "Enter a web link"),
        ({"tables": "A\nA"}, "appears twice"),
        ({"start": "2026-03-29T03:30", "timezone": "Europe/Helsinki"}, "does not exist"),
    ],
)
def test_create_event_rejects_bad_input(client, app, signed_in, change, message):
    response = post_form(client, "/organizer/events/new", EVENT_FORM | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0


def test_edit_event_keeps_session_ids(client, app, signed_in):
    post_form(client, "/organizer/events/new", EVENT_FORM)
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        event_id, session_id = event.id, event.sessions[0].id
    edit = f"/organizer/events/{event_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Nordic Founders Day"' in page and 'value="10:00"' in page
    response = post_form(
        client,
        edit,
        EVENT_FORM
        | {"name": "Renamed", "sessions-0-end": "12:30", "sessions-0-session_id": str(session_id)},
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.name == "Renamed"
        assert event.sessions[0].id == session_id
        assert event.local(event.sessions[0].ends_at).strftime("%H:%M") == "12:30"


def test_slug_clash_is_reported(client, app, signed_in):
    post_form(client, "/organizer/events/new", EVENT_FORM | {"slug": "taken"})
    response = post_form(client, "/organizer/events/new", EVENT_FORM | {"slug": "taken"})
    assert "already uses this web address" in response.get_data(as_text=True)
    response = post_form(client, "/organizer/events/new", EVENT_FORM)
    assert response.status_code == 302


def test_organizer_pages_need_sign_in(client, app):
    response = client.get("/organizer/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_other_organizers_events_and_attendees_are_404(client, app, auth):
    with app.app_context():
        make_organizer("a@example.com")
        other = make_organizer("b@example.com")
        event = make_event(other, slug="bs-event")
        person = make_attendee(event, "p@example.com")
        upload = ImportUpload(event_id=event.id, organizer_id=other.id, filename="x.csv", data=b"")
        db.session.add(upload)
        db.session.commit()
        ids = (event.id, person.id, upload.id)
    auth.login("a@example.com")
    event_id, person_id, upload_id = ids
    for url in [
        f"/organizer/events/{event_id}",
        f"/organizer/events/{event_id}/edit",
        f"/organizer/events/{event_id}/attendees",
        f"/organizer/events/{event_id}/attendees/{person_id}",
        f"/organizer/events/{event_id}/links.csv",
        f"/organizer/events/{event_id}/import",
        f"/organizer/events/{event_id}/import/{upload_id}",
    ]:
        assert client.get(url).status_code == 404, url
    own = client.get("/organizer/").get_data(as_text=True)
    assert "bs-event" not in own
    token = client.get("/organizer/").get_data(as_text=True)
    response = client.post(
        f"/organizer/events/{event_id}/attendees/{person_id}/revoke",
        data={"csrf_token": csrf_from(token)},
    )
    assert response.status_code == 404


@pytest.fixture
def event_id(app, signed_in):
    with app.app_context():
        organizer = db.session.get(__import__("matchmaker.models").models.Organizer, signed_in)
        return make_event(organizer).id


@pytest.mark.parametrize(
    "sample", ["eventbrite_attendee_report.csv", "luma_guests.csv", "google_forms_responses.csv"]
)
def test_import_sample_through_preview(client, app, event_id, sample):
    response = upload_file(client, event_id, (SAMPLES / sample).read_bytes(), sample)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "All 48 rows are valid" in page
    selected = selected_mapping(page)
    assert {"map-email", "map-can_help_with", "map-looking_for"} <= set(selected)
    form = selected | {"action": "import"}
    response = post_form(client, preview_url, form)
    assert response.status_code == 302
    with app.app_context():
        people = db.session.scalars(db.select(Attendee).order_by(Attendee.email)).all()
        assert len(people) == 48
        uma = next(p for p in people if p.email == "uma.brown0@example.org")
        assert uma.name == "Uma Brown" and uma.organization == "Acme Analytics"
        assert uma.can_help_with == ["employer branding", "product management"]
        assert uma.role == "employer" and uma.meeting_mode == "virtual"
        assert db.session.scalar(db.select(db.func.count()).select_from(ImportUpload)) == 0


def test_reimport_updates_instead_of_duplicating(client, app, event_id):
    for sample in ("luma_guests.csv", "eventbrite_attendee_report.csv"):
        location = upload_file(client, event_id, (SAMPLES / sample).read_bytes(), sample).headers[
            "Location"
        ]
        page = client.get(location).get_data(as_text=True)
        post_form(client, location, selected_mapping(page) | {"action": "import"})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee)) == 48


BAD_CSV = (
    "Name,Email,Company\n"
    "Ana Silva,ana@example.com,Acme\n"
    "Bob,not-an-email,Beta\n"
    ",carol@example.com,Gamma\n"
    "Ana Again,ANA@example.com,Acme\n"
    "Dan,dan@example.com," + "x" * 300 + "\n"
)


def test_import_with_errors_changes_nothing_until_explicit_choice(client, app, event_id):
    location = upload_file(client, event_id, BAD_CSV.encode(), "bad.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "<td>3</td><td>Email</td>" in page
    assert "<td>4</td><td>Name</td>" in page
    assert "<td>5</td><td>Email</td>" in page
    assert "<td>6</td><td>Company</td>" in page
    mapping = selected_mapping(page)
    response = post_form(client, location, mapping | {"action": "import"})
    assert "Nothing was imported" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee)) == 0
    response = post_form(client, location, mapping | {"action": "import", "valid_rows_only": "y"})
    assert response.status_code == 302
    with app.app_context():
        emails = db.session.scalars(db.select(Attendee.email)).all()
        assert emails == ["ana@example.com"]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "empty.csv"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "photo.csv"),
        (b"just one line with no header we know\n", "odd.csv"),
    ],
)
def test_unreadable_upload_gets_a_clear_message(client, app, event_id, data, filename):
    response = upload_file(client, event_id, data, filename)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="invalid-feedback' in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ImportUpload)) == 0


def test_wrong_extension_and_oversized_uploads(client, app, event_id):
    response = upload_file(client, event_id, b"a,b\n", "list.pdf")
    assert "Upload a CSV, TSV or XLSX file" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload_file(client, event_id, b"Name,Email\n" + b"a,b@c.de\n" * 500, "big.csv")
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)


def test_links_csv_has_private_links_and_is_formula_safe(client, app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(event, "evil@example.com", name='=HYPERLINK("http://x")', organization="@SUM")
        token = db.session.scalar(db.select(Attendee.access_token))
    response = client.get(f"/organizer/events/{event_id}/links.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["name", "email", "organization", "private_link"]
    assert rows[1][0].startswith("'=") and rows[1][2] == "'@SUM"
    assert rows[1][3].endswith(f"/me/{token}")


def test_revoke_link_replaces_token(client, app, event_id):
    with app.app_context():
        person = make_attendee(db.session.get(Event, event_id), "p@example.com")
        old, person_id = person.access_token, person.id
    assert client.get(f"/me/{old}").status_code == 200
    url = f"/organizer/events/{event_id}/attendees/{person_id}"
    response = post_form(client, url + "/revoke", {}, form_url=url)
    assert response.status_code == 302
    assert client.get(f"/me/{old}").status_code == 404
    with app.app_context():
        assert db.session.get(Attendee, person_id).access_token != old


def test_template_download(client, app, signed_in):
    response = client.get("/organizer/attendee-template.csv")
    assert response.status_code == 200
    assert "email" in response.get_data(as_text=True).lower()


def test_attendee_list_search_and_templates_escape(client, app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(event, "x@example.com", name="<script>alert(1)</script>")
        make_attendee(event, "y@example.com", name="Yolanda")
    page = client.get(f"/organizer/events/{event_id}/attendees").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    page = client.get(f"/organizer/events/{event_id}/attendees?q=yol").get_data(as_text=True)
    assert "Yolanda" in page and "&lt;script&gt;" not in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Élodie", {"Élodie Lin"}),
        ("élodie", {"Élodie Lin"}),  # any case, accented letters too
        ("ÅSA", {"Åsa Øberg"}),
        ("øberg", {"Åsa Øberg"}),
        ("%", {"Percy 100% Sure"}),  # LIKE's wildcards are plain characters here
        ("_", {"Under_Score"}),
    ],
)
def test_attendee_search_folds_case_of_every_letter(client, app, event_id, query, found):
    names = ["Élodie Lin", "Åsa Øberg", "Percy 100% Sure", "Under_Score", "Plain Person"]
    with app.app_context():
        event = db.session.get(Event, event_id)
        for number, name in enumerate(names):
            make_attendee(event, f"person{number}@example.com", name=name)
    page = client.get(
        f"/organizer/events/{event_id}/attendees", query_string={"q": query}
    ).get_data(as_text=True)
    assert {name for name in names if escape(name) in page} == found


@pytest.mark.parametrize(
    "change",
    [{"start": "0001-01-01T00:00"}, {"end": "9999-12-31T20:00", "timezone": "America/New_York"}],
)
def test_out_of_range_dates_are_form_errors(client, app, signed_in, change):
    response = post_form(client, "/organizer/events/new", EVENT_FORM | change)
    assert response.status_code == 200
    assert "between 2000 and 2100" in response.get_data(as_text=True)


def test_huge_page_number_and_odd_mapping_values_are_harmless(client, app, event_id):
    page = client.get(f"/organizer/events/{event_id}/attendees?page=99999999999999999999999")
    assert page.status_code == 200
    location = upload_file(client, event_id, BAD_CSV.encode(), "bad.csv").headers["Location"]
    response = post_form(client, location, {"map-name": "²", "map-email": "1", "action": "preview"})
    assert response.status_code == 200


def test_pages_cannot_be_framed_by_other_sites(client, app):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


TWO_SESSIONS = EVENT_FORM | {
    "sessions-1-name": "Afternoon",
    "sessions-1-day": "2037-12-10",
    "sessions-1-start": "14:00",
    "sessions-1-end": "16:00",
}


def _event_with_two_sessions(client, app):
    post_form(client, "/organizer/events/new", TWO_SESSIONS)
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        morning, afternoon = event.sessions
        return event.id, morning.id, afternoon.id


def test_removing_a_session_keeps_the_others_and_cleans_availability(client, app, signed_in):
    event_id, morning_id, afternoon_id = _event_with_two_sessions(client, app)
    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(event, "pm@x.org", available_session_ids=[afternoon_id])
        make_attendee(event, "am@x.org", available_session_ids=[morning_id])
    edit = f"/organizer/events/{event_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert f'value="{morning_id}"' in page and f'value="{afternoon_id}"' in page
    form = TWO_SESSIONS | {  # the morning row is cleared, the afternoon row keeps its id
        "sessions-0-session_id": str(morning_id),
        "sessions-0-name": "",
        "sessions-0-day": "",
        "sessions-0-start": "",
        "sessions-0-end": "",
        "sessions-1-session_id": str(afternoon_id),
    }
    assert post_form(client, edit, form).status_code == 302
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert [s.id for s in event.sessions] == [afternoon_id]
        people = {a.email: a for a in db.session.scalars(db.select(Attendee))}
        assert people["pm@x.org"].available_session_ids == [afternoon_id]
        assert people["am@x.org"].available_session_ids == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"meeting_minutes": "20"}, "Meeting times would change"),
        ({"sessions-0-end": "11:30"}, "has meetings booked"),
        ({"tables": "Red room"}, "Table 1 has meetings booked"),
    ],
)
def test_edits_that_would_strand_booked_meetings_are_refused(
    client, app, signed_in, change, message
):
    from matchmaker import bookings
    from matchmaker.models import Meeting, Suggestion

    event_id, morning_id, afternoon_id = _event_with_two_sessions(client, app)
    with app.app_context():
        event = db.session.get(Event, event_id)
        a, b = make_attendee(event, "a@x.org"), make_attendee(event, "b@y.org")
        row = Suggestion(
            event_id=event_id,
            low_id=a.id,
            high_id=b.id,
            score=0.5,
            answer_low="interested",
            answer_high="interested",
        )
        db.session.add(row)
        db.session.commit()
        assert bookings.book_confirmed(row) is not None
        db.session.commit()
    edit = f"/organizer/events/{event_id}/edit"
    form = TWO_SESSIONS | {
        "sessions-0-session_id": str(morning_id),
        "sessions-1-session_id": str(afternoon_id),
    }
    response = post_form(client, edit, form | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.meeting_minutes == 15 and len(event.sessions) == 2
        assert db.session.scalar(db.select(Meeting)).status == "confirmed"
    assert post_form(client, edit, form | {"name": "Renamed"}).status_code == 302


def test_abandoned_uploads_are_dropped_after_a_day(client, app, event_id):
    from datetime import timedelta

    from matchmaker.models import utcnow

    with app.app_context():
        event = db.session.get(Event, event_id)
        old = ImportUpload(
            event_id=event.id,
            organizer_id=event.organizer_id,
            filename="old.csv",
            data=b"x",
            created_at=utcnow() - timedelta(days=2),
        )
        db.session.add(old)
        db.session.commit()
    upload_file(client, event_id, (SAMPLES / "luma_guests.csv").read_bytes(), "luma_guests.csv")
    with app.app_context():
        names = db.session.scalars(db.select(ImportUpload.filename)).all()
        assert names == ["luma_guests.csv"]


# -- imports after matching ------------------------------------------------------------------


def _newcomers_csv(count: int) -> bytes:
    """People who need pricing help, which the attendee already in the event offers."""
    lines = ["Full name,Email,Organization,Role,Can help with,Looking for"]
    lines += [
        f"New Person {n},new{n}@example.org,Startup {n},Founder,SaaS founders,pricing"
        for n in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def matched_event_id(app, event_id):
    from matchmaker import suggestions

    with app.app_context():
        event = db.session.get(Event, event_id)
        make_attendee(
            event,
            "eve@consult.org",
            role="expert",
            organization="Consult",
            can_help_with=["pricing"],
            looking_for=["SaaS founders"],
        )
        assert suggestions.start_matching(event).status == "done"
    return event_id


@pytest.mark.parametrize("count", [2, 12])  # one by one, and a batch refitted at once
def test_people_imported_after_matching_get_suggestions_at_once(
    client, app, matched_event_id, count
):
    from matchmaker import suggestions

    page = import_through_web(client, matched_event_id, _newcomers_csv(count))
    assert f"Imported {count} new" in page and "Suggestions are up to date" in page
    with app.app_context():
        people = {a.email: a for a in db.session.scalars(db.select(Attendee))}
        eve = people.pop("eve@consult.org")
        for person in people.values():
            assert eve.id in {c.partner.id for c in suggestions.cards_for(person)}
        # The newcomers appear in Eve's list too, as far as it reaches.
        eve_partners = {c.partner.id for c in suggestions.cards_for(eve)}
        assert len(eve_partners) == min(count, 10) and eve_partners <= {
            p.id for p in people.values()
        }
        runs = db.session.scalar(db.select(db.func.count()).select_from(Job))
        assert runs == 1  # no new run was needed


def test_a_large_import_after_matching_refreshes_everyone_in_one_run(
    client, app, matched_event_id, monkeypatch
):
    from matchmaker import suggestions

    monkeypatch.setattr(suggestions, "INLINE_REFIT_LIMIT", 5)
    import_through_web(client, matched_event_id, _newcomers_csv(12))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 2
        newcomer = db.session.scalar(
            db.select(Attendee).where(Attendee.email == "new3@example.org")
        )
        assert suggestions.cards_for(newcomer)


def test_imports_before_matching_leave_suggestions_alone(client, app, event_id):
    page = import_through_web(client, event_id, _newcomers_csv(3))
    assert "Imported 3 new" in page and "Suggestions" not in page.split("Imported 3 new")[1][:200]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Suggestion)) == 0
