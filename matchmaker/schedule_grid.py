"""What the organizer's schedule grid shows, one page at a time, and finding people in it.

At 10,000 attendees an event has hundreds of meetings in every slot: the whole grid on one
page was 5 MB of HTML that took seconds to render. So the grid is cut into pages. A page
holds the slots of one networking session (a long session is cut into pages of consecutive
slots) and at most :data:`TABLES_PER_PAGE` tables (a big venue's tables are cut into
windows), chosen so that a page never has more than about :data:`GRID_CELLS` table cells,
whatever the size of the event. Online meetings have no table: each slot's Online cell
names the first :data:`ONLINE_SHOWN` pairs and counts the rest, which are listed on
their own pages, :data:`ONLINE_PER_PAGE` at a time.

Every function here loads what it returns in a fixed number of queries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import load_only
from sqlalchemy.orm.attributes import set_committed_value

from . import bookings
from .choices import MeetingStatus
from .extensions import db
from .models import Attendee, Event, Meeting, NetworkingSession
from .scheduling import Slot

#: Table cells (slots x tables) on one page of the grid, at most: about 250 KB of HTML.
GRID_CELLS = 800
#: Tables side by side on one page; a venue with more is shown a window at a time.
TABLES_PER_PAGE = 100
#: Online pairs named in a slot's cell; the rest are counted and listed on their own page.
ONLINE_SHOWN = 2
#: Online meetings on one page of a slot's full list.
ONLINE_PER_PAGE = 400
#: Meetings that no longer sit on a slot, listed at most.
OUTSIDE_SHOWN = 50
#: People and tables a search lists at most.
SEARCH_PEOPLE = 30
SEARCH_TABLES = 10


@dataclass(frozen=True)
class GridPage:
    """Consecutive slots of one networking session: the rows of one page of the grid."""

    number: int  # 1-based, in the order of the event
    session: NetworkingSession
    slots: tuple[Slot, ...]
    part: int  # 1-based position among the pages of its session
    parts: int  # pages of its session

    @property
    def starts(self) -> list[datetime]:
        return [slot.start for slot in self.slots]


@dataclass(frozen=True)
class TableWindow:
    """Tables shown side by side: ``names`` are the event's tables ``first`` to ``last``
    (1-based, as the organizer counts them)."""

    number: int  # 1-based
    names: tuple[str, ...]
    first: int
    last: int


@dataclass
class GridRow:
    slot: Slot
    at_table: dict[str, Meeting]
    online: list[Meeting]  # the first ONLINE_SHOWN online meetings of the slot
    online_count: int


@dataclass
class Grid:
    """One page of the grid with what its header and navigation need."""

    pages: list[GridPage]
    windows: list[TableWindow]
    page: GridPage | None  # None when the event has no slots
    window: TableWindow
    rows: list[GridRow]
    meetings: int  # active meetings of the whole event
    attendees: int  # people with at least one of them
    per_page_meetings: dict[int, int]  # page number -> meetings in its slots
    outside: list[Meeting]  # meetings no longer on one of the event's slots (the first few)
    outside_count: int


def table_windows(table_names: Sequence[str]) -> list[TableWindow]:
    """The event's tables, :data:`TABLES_PER_PAGE` at a time (one empty window if none)."""
    names = list(table_names)
    if not names:
        return [TableWindow(1, (), 0, 0)]
    return [
        TableWindow(
            n + 1,
            tuple(names[start : start + TABLES_PER_PAGE]),
            start + 1,
            min(start + TABLES_PER_PAGE, len(names)),
        )
        for n, start in enumerate(range(0, len(names), TABLES_PER_PAGE))
    ]


def grid_pages(
    sessions: Sequence[NetworkingSession], slots: Sequence[Slot], tables: int
) -> list[GridPage]:
    """The pages of the grid: each session's slots, cut evenly into pages of at most
    ``GRID_CELLS / (tables + 1)`` rows (the Online column counts as a table), where
    ``tables`` is the number of tables side by side."""
    rows_per_page = max(1, GRID_CELLS // (tables + 1))
    pages: list[GridPage] = []
    for index, session in enumerate(sessions):
        own = [slot for slot in slots if slot.session_index == index]
        if not own:
            continue
        parts = math.ceil(len(own) / rows_per_page)
        size, longer = divmod(len(own), parts)  # the first `longer` pages have a row more
        start = 0
        for part in range(parts):
            end = start + size + (part < longer)
            pages.append(GridPage(len(pages) + 1, session, tuple(own[start:end]), part + 1, parts))
            start = end
    return pages


def current_page(pages: Sequence[GridPage], now: datetime) -> GridPage | None:
    """The page an organizer wants first: the one with the next slot that has not ended,
    or the first page before and after the event."""
    return next((p for p in pages if p.slots[-1].end > now), pages[0] if pages else None)


def _confirmed(event: Event):  # noqa: ANN202 - a where clause
    return (Meeting.event_id == event.id) & (Meeting.status == MeetingStatus.CONFIRMED)


def _load_names(meetings: Sequence[Meeting]) -> None:
    """Both people of each meeting, only what the grid shows of them, in one query (always
    one, so that a page costs the same queries however many meetings it shows)."""
    ids = {m.low_id for m in meetings} | {m.high_id for m in meetings}
    people = {
        person.id: person
        for person in db.session.scalars(
            select(Attendee)
            .where(Attendee.id.in_(ids))
            .options(load_only(Attendee.name, Attendee.organization))
        )
    }
    for meeting in meetings:
        set_committed_value(meeting, "low", people[meeting.low_id])
        set_committed_value(meeting, "high", people[meeting.high_id])


def meetings_by_start(event: Event) -> dict[datetime, tuple[int, int]]:
    """(meetings, of which online) for each start time of the event's active meetings."""
    rows = db.session.execute(
        select(Meeting.starts_at, func.count(), func.count(Meeting.table_name))
        .where(_confirmed(event))
        .group_by(Meeting.starts_at)
    )
    return {start: (total, total - at_tables) for start, total, at_tables in rows}


def attendees_meeting(event: Event) -> int:
    """How many people have at least one active meeting."""
    people = union(
        select(Meeting.low_id.label("person")).where(_confirmed(event)),
        select(Meeting.high_id.label("person")).where(_confirmed(event)),
    ).subquery()
    return db.session.scalar(select(func.count()).select_from(people)) or 0


def _page_meetings(event: Event, page: GridPage, window: TableWindow) -> list[GridRow]:
    starts = page.starts
    at_tables = db.session.scalars(
        select(Meeting).where(
            _confirmed(event),
            Meeting.starts_at.in_(starts),
            Meeting.table_name.in_(window.names),
        )
    ).all()
    ranked = (
        select(
            Meeting.id,
            func.row_number()
            .over(partition_by=Meeting.starts_at, order_by=Meeting.id)
            .label("place"),
        )
        .where(_confirmed(event), Meeting.starts_at.in_(starts), Meeting.table_name.is_(None))
        .subquery()
    )
    online = db.session.scalars(
        select(Meeting)
        .join(ranked, ranked.c.id == Meeting.id)
        .where(ranked.c.place <= ONLINE_SHOWN)
        .order_by(Meeting.id)
    ).all()
    _load_names([*at_tables, *online])
    rows = {
        slot.start: GridRow(slot=slot, at_table={}, online=[], online_count=0)
        for slot in page.slots
    }
    for meeting in at_tables:
        rows[meeting.starts_at].at_table[meeting.table_name] = meeting
    for meeting in online:
        rows[meeting.starts_at].online.append(meeting)
    return list(rows.values())


def grid(event: Event, *, page: int | None, window: int | None, now: datetime) -> Grid:
    """Page ``page`` of the grid (by default the current one) at table window ``window``.

    Raises LookupError for a page or window the event does not have.
    """
    slots = bookings.event_slots(event)
    windows = table_windows(event.table_names)
    if window is not None and not 1 <= window <= len(windows):
        raise LookupError(f"no table window {window}")
    shown_window = windows[(window or 1) - 1]
    # Every window has the pages of the widest, so that a page number means the same slots.
    pages = grid_pages(event.sessions, slots, len(windows[0].names))
    if page is not None and not 1 <= page <= len(pages):
        raise LookupError(f"no page {page}")
    shown = pages[page - 1] if page is not None else current_page(pages, now)
    counts = meetings_by_start(event)
    on_slots = {slot.start for slot in slots}
    rows = _page_meetings(event, shown, shown_window) if shown else []
    for row in rows:
        row.online_count = counts.get(row.slot.start, (0, 0))[1]
    outside_count = sum(total for start, (total, _) in counts.items() if start not in on_slots)
    outside: list[Meeting] = []
    if outside_count:
        statement = select(Meeting).where(_confirmed(event))
        if on_slots:
            statement = statement.where(Meeting.starts_at.not_in(on_slots))
        outside = list(
            db.session.scalars(
                statement.order_by(Meeting.starts_at, Meeting.id).limit(OUTSIDE_SHOWN)
            )
        )
        _load_names(outside)
    return Grid(
        pages=pages,
        windows=windows,
        page=shown,
        window=shown_window,
        rows=rows,
        meetings=sum(total for total, _ in counts.values()),
        attendees=attendees_meeting(event),
        per_page_meetings={
            p.number: sum(counts.get(start, (0, 0))[0] for start in p.starts) for p in pages
        },
        outside=outside,
        outside_count=outside_count,
    )


@dataclass
class OnlineList:
    """One page of the online meetings of one slot."""

    slot: Slot
    meetings: list[Meeting]
    count: int
    page: int
    pages: int


def online_list(event: Event, slot: Slot, page: int) -> OnlineList:
    """Page ``page`` (1-based) of the online meetings of ``slot``, oldest booking first.

    Raises LookupError for a page past the end.
    """
    confirmed = _confirmed(event) & (Meeting.starts_at == slot.start)
    online = confirmed & Meeting.table_name.is_(None)
    count = db.session.scalar(select(func.count()).select_from(Meeting).where(online)) or 0
    pages = max(1, math.ceil(count / ONLINE_PER_PAGE))
    if not 1 <= page <= pages:
        raise LookupError(f"no page {page}")
    meetings = db.session.scalars(
        select(Meeting)
        .where(online)
        .order_by(Meeting.id)
        .offset((page - 1) * ONLINE_PER_PAGE)
        .limit(ONLINE_PER_PAGE)
    ).all()
    _load_names(meetings)
    return OnlineList(slot, list(meetings), count, page, pages)


# -- finding people and tables ---------------------------------------------------------------


@dataclass
class Found:
    """A person or a table whose name matched, with their active meetings by time."""

    label: str
    meetings: list[Meeting]
    attendee: Attendee | None = None  # None for a table
    table: str | None = None


@dataclass
class SearchResult:
    text: str
    people: list[Found] = field(default_factory=list)
    tables: list[Found] = field(default_factory=list)
    more_people: bool = False  # more people matched than are listed
    more_tables: bool = False
    online_pages: dict[int, int] = field(default_factory=dict)  # meeting id -> page of its list


def search(event: Event, text: str) -> SearchResult:
    """People (by name or email) and tables (by name) of the event that contain ``text``,
    ignoring case, each with their active meetings, and for online meetings the page of
    their slot's list that shows them; in at most five queries."""
    text = " ".join(text.split())
    result = SearchResult(text)
    if not text:
        return result
    people = db.session.scalars(
        select(Attendee)
        .where(
            Attendee.event_id == event.id,
            or_(
                Attendee.name.icontains(text, autoescape=True),
                Attendee.email.icontains(text, autoescape=True),
            ),
        )
        .order_by(Attendee.name, Attendee.id)
        .limit(SEARCH_PEOPLE + 1)
    ).all()
    result.more_people = len(people) > SEARCH_PEOPLE
    people = people[:SEARCH_PEOPLE]
    wanted = text.casefold()
    tables = [name for name in event.table_names if wanted in name.casefold()]
    result.more_tables = len(tables) > SEARCH_TABLES
    tables = tables[:SEARCH_TABLES]
    ids = [p.id for p in people]
    meetings: Sequence[Meeting] = []
    if ids or tables:
        meetings = db.session.scalars(
            select(Meeting)
            .where(
                _confirmed(event),
                or_(
                    Meeting.low_id.in_(ids),
                    Meeting.high_id.in_(ids),
                    Meeting.table_name.in_(tables),
                ),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        ).all()
        _load_names(meetings)
    result.online_pages = _online_pages(event, [m for m in meetings if m.table_name is None])
    for person in people:
        own = [m for m in meetings if person.id in (m.low_id, m.high_id)]
        result.people.append(Found(person.name, own, attendee=person))
    for name in tables:
        result.tables.append(Found(name, [m for m in meetings if m.table_name == name], table=name))
    return result


def _online_pages(event: Event, meetings: Sequence[Meeting]) -> dict[int, int]:
    """The page of its slot's online list (:func:`online_list`) that shows each meeting."""
    if not meetings:
        return {}
    ranked = (
        select(
            Meeting.id,
            func.row_number()
            .over(partition_by=Meeting.starts_at, order_by=Meeting.id)
            .label("place"),
        )
        .where(
            _confirmed(event),
            Meeting.table_name.is_(None),
            Meeting.starts_at.in_({m.starts_at for m in meetings}),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.place).where(ranked.c.id.in_([m.id for m in meetings]))
    )
    return {meeting_id: (place - 1) // ONLINE_PER_PAGE + 1 for meeting_id, place in rows}


def place_of(
    meeting: Meeting, pages: Sequence[GridPage], windows: Sequence[TableWindow]
) -> tuple[int, int] | None:
    """(page, table window) of the grid that shows ``meeting`` at its table, or None when
    it sits on no page (online, which has its own list, or outside the slots)."""
    if meeting.table_name is None:
        return None
    page = next((p for p in pages if meeting.starts_at in p.starts), None)
    window = next((w for w in windows if meeting.table_name in w.names), None)
    if page is None or window is None:
        return None
    return page.number, window.number


__all__ = [
    "GRID_CELLS",
    "ONLINE_PER_PAGE",
    "ONLINE_SHOWN",
    "TABLES_PER_PAGE",
    "Grid",
    "GridPage",
    "GridRow",
    "OnlineList",
    "SearchResult",
    "TableWindow",
    "current_page",
    "grid",
    "grid_pages",
    "online_list",
    "place_of",
    "search",
    "table_windows",
]
