"""The organizer's schedule grid a page at a time: pages and table windows, the Online
column, finding people and tables, and page sizes that follow the page, not the event."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from types import SimpleNamespace

import pytest
from conftest import make_attendee, make_event, make_organizer
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from matchmaker import bookings, schedule_grid
from matchmaker.extensions import db
from matchmaker.models import Attendee, Event, Meeting, NetworkingSession
from matchmaker.scheduling import Slot, build_slots

START = datetime(2037, 12, 10, 8, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def slots_of(*lengths: int) -> list[Slot]:
    """Back-to-back 15-minute slots: ``lengths[i]`` of them in session i, an hour apart."""
    sessions = [
        (START + timedelta(hours=2 * n), START + timedelta(hours=2 * n) + count * QUARTER)
        for n, count in enumerate(lengths)
    ]
    return build_slots(sessions, 15)


# -- pages and windows, without a database -----------------------------------------------------


@pytest.mark.parametrize(
    ("lengths", "tables", "cells", "expected"),
    [
        ((6,), 12, 800, [6]),  # a small event: the session on one page
        ((6, 6), 12, 800, [6, 6]),  # a page per session
        ((10,), 3, 8, [2, 2, 2, 2, 2]),  # 8 cells hold 2 rows of 3 tables and Online
        ((7,), 3, 12, [3, 2, 2]),  # cut evenly: never a page of one row after two of three
        ((2, 9), 100, 800, [2, 5, 4]),  # 7 rows of 101 cells fit: 9 rows make 2 pages
        ((3,), 5000, 800, [1, 1, 1]),  # at least one row, however wide
    ],
)
def test_grid_pages_cut_each_session_to_the_cell_budget(
    monkeypatch, lengths, tables, cells, expected
):
    monkeypatch.setattr(schedule_grid, "GRID_CELLS", cells)
    sessions = [SimpleNamespace(name=f"S{n}") for n in range(len(lengths))]
    slots = slots_of(*lengths)
    pages = schedule_grid.grid_pages(sessions, slots, tables)
    assert [len(p.slots) for p in pages] == expected
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    # Every slot on exactly one page, in order, and a page never mixes sessions.
    assert [s for p in pages for s in p.slots] == slots
    for page in pages:
        assert {s.session_index for s in page.slots} == {sessions.index(page.session)}
        assert 1 <= page.part <= page.parts
        assert len(page.slots) * min(tables + 1, cells) <= max(cells, tables + 1)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, [(0, 0)]), (12, [(1, 12)]), (100, [(1, 100)]), (250, [(1, 100), (101, 200), (201, 250)])],
)
def test_table_windows(count, expected):
    names = [f"Table {n + 1}" for n in range(count)]
    windows = schedule_grid.table_windows(names)
    assert [(w.first, w.last) for w in windows] == expected
    assert [name for w in windows for name in w.names] == names
    assert [w.number for w in windows] == list(range(1, len(windows) + 1))


def test_the_first_page_shown_is_the_one_happening_now():
    sessions = [SimpleNamespace(name="Morning"), SimpleNamespace(name="Afternoon")]
    pages = schedule_grid.grid_pages(sessions, slots_of(4, 4), 2)
    first, second = pages
    assert schedule_grid.current_page(pages, START - timedelta(days=1)) is first
    assert schedule_grid.current_page(pages, START + 3 * QUARTER + timedelta(minutes=1)) is first
    assert schedule_grid.current_page(pages, START + 4 * QUARTER) is second
    assert schedule_grid.current_page(pages, START + timedelta(days=1)) is first  # all over
    assert schedule_grid.current_page([], START) is None


# -- a small event through the pages -------------------------------------------------------------


def add_meeting(event: Event, low: Attendee, high: Attendee, slot: int, table: str | None):
    """A confirmed meeting placed by hand (the grid only reads meetings)."""
    start = bookings.event_slots(event)[slot].start
    low, high = sorted((low, high), key=lambda p: p.id)
    meeting = Meeting(
        event_id=event.id,
        low_id=low.id,
        high_id=high.id,
        starts_at=start,
        ends_at=start + QUARTER,
        mode="in_person" if table else "virtual",
        table_name=table,
        virtual_url=None if table else "https://video.example.org/room",
        uid=f"{low.id}-{high.id}@test",
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


@pytest.fixture
def small(app):  # noqa: ANN201
    """Two sessions of four 15-minute slots, three tables; a few meetings at tables and online."""
    with app.app_context():
        event = make_event(
            make_organizer(),
            meeting_minutes=15,
            buffer_minutes=0,
            table_names=["Table 1", "Table 2", "Garden"],
            sessions=[
                NetworkingSession(name="Morning", starts_at=START, ends_at=START + 4 * QUARTER),
                NetworkingSession(
                    name="Afternoon",
                    starts_at=START + timedelta(hours=4),
                    ends_at=START + timedelta(hours=4) + 4 * QUARTER,
                ),
            ],
        )
        names = [
            "Ana Silva",
            "Ivan Berg",
            "Eve Novak",
            "Kim Lee",
            "Uma Brown",
            "Olli Mäki",
            "Sara Kim",
            "Leo Park",
            "Mia Wong",
            "Noah Diaz",
        ]
        people = [
            make_attendee(event, f"{name.split()[0].lower()}@x.org", name=name) for name in names
        ]
        ana, ivan, eve, kim, uma, olli, sara, leo, mia, noah = people
        ids = {
            "at_table": add_meeting(event, ana, ivan, 0, "Table 1").id,
            "garden": add_meeting(event, eve, kim, 0, "Garden").id,
            "afternoon": add_meeting(event, ana, eve, 5, "Table 2").id,
        }
        online = [
            add_meeting(event, a, b, 1, None)
            for a, b in ((uma, olli), (sara, leo), (mia, noah), (ivan, kim))
        ]
        ids["online"] = [m.id for m in online]
        ids["event_id"] = event.id
    return ids


def grid_url(small, query: str = "") -> str:  # noqa: ANN001
    return f"/organizer/events/{small['event_id']}/schedule{query}"


def test_a_page_per_session_with_the_online_column_first(client, auth, small):
    auth.login()
    html = client.get(grid_url(small)).get_data(as_text=True)
    # The morning page: its slots only, the afternoon behind a link.
    assert "10:00" in html and "10:45" in html and "14:00" not in html
    assert 'aria-label="Sessions of the grid"' in html
    assert f'href="{grid_url(small, "?page=2")}"' in html
    assert "Ana Silva and Ivan Berg: change or cancel" in html
    assert "Ana Silva and Eve Novak" not in html
    header = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    columns = re.findall(r'<th scope="col"[^>]*>(\w+)', header)
    assert columns == ["Time", "Online", "Table", "Table", "Garden"]
    # The Online cell of 10:15 names two pairs and links to all four.
    assert "/schedule/online?slot=1" in html and "all 4 online" in html
    assert html.count("https://video.example.org/room") == 0
    assert sum(f'meetings/{m}"' in html for m in small["online"]) == schedule_grid.ONLINE_SHOWN
    afternoon = client.get(grid_url(small, "?page=2")).get_data(as_text=True)
    assert "14:00" in afternoon and "10:00" not in afternoon
    assert "Ana Silva and Eve Novak: change or cancel" in afternoon
    assert 'aria-current="page">Afternoon' in afternoon


def test_pages_and_table_windows_follow_the_budget(client, auth, small, monkeypatch):
    monkeypatch.setattr(schedule_grid, "TABLES_PER_PAGE", 2)
    monkeypatch.setattr(schedule_grid, "GRID_CELLS", 6)  # 2 rows of 2 tables and Online
    auth.login()
    html = client.get(grid_url(small)).get_data(as_text=True)
    pages = re.findall(r'href="[^"]*\?page=(\d+)&amp;tables=1"', html)
    assert sorted(set(pages), key=int) == ["1", "2", "3", "4"]
    assert ">Morning <span" in html and "10:00–10:30" in html and "part 1 of 2" in html
    assert 'aria-label="Tables shown"' in html and ">1–2</a>" in html and ">3</a>" in html
    assert "Table 1" in html and "Garden</th>" not in html and "Garden <a" not in html
    second = client.get(grid_url(small, "?page=1&tables=2")).get_data(as_text=True)
    assert "Garden <a" in second and "Eve Novak and Kim Lee: change or cancel" in second
    assert "Ana Silva and Ivan Berg" not in second
    # A page or window that does not exist (sessions changed meanwhile) leads to the grid.
    for query in ("?page=9", "?tables=7", "?page=0"):
        response = client.get(grid_url(small, query))
        assert response.status_code == 302 and response.headers["Location"].endswith("/schedule")


def test_online_list_pages_through_every_online_meeting_of_a_slot(client, auth, small, monkeypatch):
    monkeypatch.setattr(schedule_grid, "ONLINE_PER_PAGE", 3)
    auth.login()
    base = grid_url(small, "/online?slot=1")
    first = client.get(base).get_data(as_text=True)
    assert "4 meetings in a video room" in first and "Thu 10 Dec, 10:15–10:30" in first
    assert "Uma Brown and Olli Mäki: change or cancel" in first
    assert "Ivan Berg and Kim Lee" not in first
    assert "video room" in first and "https://video.example.org/room" in first
    assert f"{base}&amp;page=2" in first
    assert "/schedule?page=1#slot-1" in first  # back to this time in the grid
    second = client.get(f"{base}&page=2").get_data(as_text=True)
    assert "Ivan Berg and Kim Lee: change or cancel" in second and 'start="4"' in second
    empty = client.get(grid_url(small, "/online?slot=0")).get_data(as_text=True)
    assert "Nobody meets online at this time." in empty
    for query in ("/online?slot=8", "/online?slot=-1", "/online", "/online?slot=1&page=3"):
        assert client.get(grid_url(small, query)).status_code == 404


@pytest.mark.parametrize(
    ("text", "people", "tables"),
    [
        ("ana", ["Ana Silva"], []),
        ("  SILVA ", ["Ana Silva"], []),
        ("eve@x", ["Eve Novak"], []),
        ("garden", [], ["Garden"]),
        ("table", [], ["Table 1", "Table 2"]),
        ("kim", ["Kim Lee", "Sara Kim"], []),
        ("%", [], []),  # no wildcard: nobody has a percent sign in their name
        ("_", [], []),
    ],
)
def test_search_finds_people_and_tables(app, small, text, people, tables):
    with app.app_context():
        event = db.session.get(Event, small["event_id"])
        found = schedule_grid.search(event, text)
    assert [f.label for f in found.people] == people
    assert [f.label for f in found.tables] == tables


def test_search_lists_meetings_and_leads_to_them(client, auth, small):
    auth.login()
    html = client.get(grid_url(small, "?q=Ivan")).get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Meetings of people and tables matching “Ivan”" in text
    assert "Ivan Berg · 2 meetings" in text
    assert "Thu 10:00–10:15, Table 1" in text and "Thu 10:15–10:30, online" in text
    assert "Ana Silva and Ivan Berg: change or cancel" in html
    # Each meeting links to where it is shown: its grid cell, or its place in the online list.
    assert f"{grid_url(small, '?page=1')}#meeting-{small['at_table']}" in html
    assert f'id="meeting-{small["at_table"]}"' in client.get(grid_url(small, "?page=1")).text
    online = small["online"][3]
    assert f"{grid_url(small, '/online?slot=1&amp;page=1')}#meeting-{online}" in html
    assert "Who meets where" in text and "Back to the grid" in text
    assert "<tbody>" not in html  # the results replace the grid
    nobody = client.get(grid_url(small, "?q=Zorro")).get_data(as_text=True)
    assert "No person or table has “Zorro” in their name or email." in nobody
    table = client.get(grid_url(small, "?q=garden")).get_data(as_text=True)
    assert "Eve Novak and Kim Lee: change or cancel" in table and "print" in table


@pytest.mark.parametrize("query", ["", "?page=2", "/online?slot=1", "?q=a"])
def test_grid_pages_take_the_same_queries_however_many_meetings(app, client, auth, small, query):
    """Each page loads what it shows in a fixed number of queries: none per meeting."""
    auth.login()
    with app.app_context():
        engine = db.engine

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(grid_url(small, query)).status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries()
    with app.app_context():
        event = db.session.get(Event, small["event_id"])
        for n in range(12):
            a = make_attendee(event, f"a{n}@y.org", name=f"Aino {n}")
            b = make_attendee(event, f"b{n}@y.org", name=f"Bea {n}")
            add_meeting(event, a, b, [1, 2, 5, 6][n % 4], [None, "Garden", None][n % 3])
    assert queries() == few


# -- a 10,000-attendee event -------------------------------------------------------------------


def big_event(attendees: int = 10_000, meetings: int = 14_000, tables: int = 400) -> int:
    """An event of the size the grid is made for, written with bulk inserts: 8 sessions of
    two 15-minute slots (16 slots), `tables` tables full in every slot, the rest online."""
    organizer = make_organizer()
    sessions = [
        NetworkingSession(
            name=f"Round {n + 1}",
            starts_at=START + timedelta(hours=n),
            ends_at=START + timedelta(hours=n, minutes=35),
        )
        for n in range(8)
    ]
    event = make_event(
        organizer,
        meeting_minutes=15,
        buffer_minutes=5,
        table_names=[f"Table {n + 1}" for n in range(tables)],
        sessions=sessions,
    )
    db.session.execute(
        insert(Attendee),
        [
            {"event_id": event.id, "name": f"Person {n:05d} Longname", "email": f"p{n}@x.org"}
            for n in range(attendees)
        ],
    )
    ids = db.session.scalars(select(Attendee.id).where(Attendee.event_id == event.id)).all()
    slots = bookings.event_slots(event)
    rng = random.Random(1)
    seen: set[tuple[int, int]] = set()
    rows = []
    per_slot = meetings // len(slots)
    for slot in slots:
        people = rng.sample(ids, 2 * per_slot)
        for k in range(per_slot):
            low, high = sorted(people[2 * k : 2 * k + 2])
            if (low, high) in seen:
                continue
            seen.add((low, high))
            table = f"Table {k + 1}" if k < tables else None
            rows.append(
                {
                    "event_id": event.id,
                    "low_id": low,
                    "high_id": high,
                    "starts_at": slot.start,
                    "ends_at": slot.end,
                    "mode": "in_person" if table else "virtual",
                    "table_name": table,
                    "virtual_url": None if table else "https://video.example.org/r/abcdef123456",
                    "uid": f"{slot.index}-{k}@test",
                }
            )
    db.session.execute(insert(Meeting), rows)
    db.session.commit()
    return event.id


@pytest.mark.slow
def test_every_page_of_a_big_event_stays_small_and_together_they_show_every_meeting(
    app, client, auth
):
    with app.app_context():
        event_id = big_event()
        event = db.session.get(Event, event_id)
        total = db.session.scalar(select(db.func.count()).select_from(Meeting))
        assert total >= 13_900
        windows = schedule_grid.table_windows(event.table_names)
        first = schedule_grid.grid(event, page=1, window=1, now=START)
        shown = 0
        for page in first.pages:
            for window in windows:
                view = schedule_grid.grid(event, page=page.number, window=window.number, now=START)
                shown += sum(len(row.at_table) for row in view.rows)
                if window.number == 1:
                    shown += sum(row.online_count for row in view.rows)
        assert shown == total == first.meetings
        assert len(first.pages) == 8 and len(windows) == 4
    auth.login()
    base = f"/organizer/events/{event_id}/schedule"
    html = client.get(base).get_data(as_text=True)
    links = {
        unescape(u) for u in re.findall(r'href="(/organizer/[^"#]+schedule[^"#]*\?[^"#]+)"', html)
    }
    assert len(links) >= 8 + 3 + 2  # pages, other table windows, each slot's online list
    sizes = {}
    for url in [base, *sorted(links), f"{base}?q=Person 01", f"{base}?q=Table 1"]:
        response = client.get(url)
        assert response.status_code == 200, url
        sizes[url] = len(response.data)
    assert max(sizes.values()) <= 500_000, max(sizes.items(), key=lambda item: item[1])
    # The old grid put every meeting on one page: about 5 MB at this size.
    assert sum(sizes.values()) < 5_000_000
