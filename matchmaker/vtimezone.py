"""An IANA time zone -> its VTIMEZONE component (RFC 5545 3.6.5) for the years a calendar
touches, built from the zone's own transitions.

Pure: no Flask, no database. :mod:`matchmaker.calendar` splices the bytes into every
calendar it writes, so the result is cached per zone and years.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard


@functools.lru_cache(maxsize=64)
def vtimezone_bytes(tzid: str, first_year: int, last_year: int) -> bytes:
    """The serialised VTIMEZONE from the start of the first year to the end of the last.

    Callers pass whole years, the first meeting's and the one after the last meeting's: that
    keeps the component identical across messages about the same meetings (and so cacheable),
    and the extra year covers a meeting moved later without a fresh zone.

    Built here rather than with ``Timezone.from_tzid``: icalendar 7 samples the zone in
    64-day strides and silently drops shorter periods, such as Morocco's Ramadan hour.
    """
    zone = ZoneInfo(tzid)
    # A day early so that the local first of January is covered even at UTC+14.
    begin = datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    stop = datetime(last_year + 1, 1, 2, tzinfo=UTC)
    onsets: dict[tuple[timedelta, timedelta, str, bool], list[datetime]] = {}
    state = _zone_state(zone, begin)
    onsets[(state[0], *state)] = [_local(begin, state[0])]
    for moment, before, after in _zone_changes(zone, begin, stop):
        # RFC 5545 3.6.5: an onset is written in the local time in force before it.
        onsets.setdefault((before[0], *after), []).append(_local(moment, before[0]))
    vtimezone = Timezone()
    vtimezone.add("tzid", tzid)
    for (offset_from, offset_to, name, standard), starts in sorted(
        onsets.items(), key=lambda item: item[1][0]
    ):
        observance = TimezoneStandard() if standard else TimezoneDaylight()
        observance.add("dtstart", starts[0])
        if starts[1:]:
            observance.add("rdate", starts[1:])
        observance.add("tzname", name)
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        vtimezone.add_component(observance)
    return vtimezone.to_ical()


_ZoneState = tuple[timedelta, str, bool]
_SCAN_STEP = timedelta(hours=6)


def _zone_state(zone: ZoneInfo, moment: datetime) -> _ZoneState:
    local = moment.astimezone(zone)
    return local.utcoffset() or timedelta(), local.tzname() or "", not local.dst()


def _zone_changes(
    zone: ZoneInfo, begin: datetime, stop: datetime
) -> Iterable[tuple[datetime, _ZoneState, _ZoneState]]:
    """Each UTC instant at which the zone's offset, name or kind changes, to the second.

    Zones never change twice within six hours, so a scan at that step misses nothing and
    bisection finds the exact instant.
    """
    moment, state = begin, _zone_state(zone, begin)
    while moment < stop:
        following = moment + _SCAN_STEP
        new_state = _zone_state(zone, following)
        if new_state != state:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _zone_state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            yield high, state, new_state
        moment, state = following, new_state


def _local(moment: datetime, offset: timedelta) -> datetime:
    return (moment + offset).replace(tzinfo=None)
