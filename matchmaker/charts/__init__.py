"""Charts as SVG text: horizontal bars with their numbers written on them, and pictures of
who met whom (people one by one, or roles for a big event).

Pure package: no Flask, no database. Every chart is one ``<svg>`` element that scales to its
container through its ``viewBox`` (the widths are chosen so that text stays readable when
the picture is shrunk to a phone's width), carries ``role="img"`` with a ``<title>`` and a
``<desc>`` that say what it shows, and escapes every label: attendees write their own names,
and a name may be ``<script>``. Colours are presentation attributes (``fill="…"``), never
``style`` attributes, which the Content-Security-Policy refuses. Pages put the same figures
in a table beside each chart.

Layouts are computed here (`layout`), deterministically: the same people and meetings
always give the same picture, so it does not jump about between two visits.

The parts live in their own modules: `svg` (escaping, colours, the opening element),
`bars` (bar charts), `layout` (where the dots of a network go) and `network` (who met
whom, person by person or role by role); this module gathers what the pages use.
"""

from .bars import Bar, bar_chart
from .layout import components, packed_layout, spring_layout
from .network import Person, RoleGroup, people_network, role_network
from .svg import (
    BAR_COLOUR,
    ROLE_COLOURS,
    TEXT_COLOUR,
    UNKNOWN_COLOUR,
    UNMET_BACKGROUND,
    UNMET_RING,
    Svg,
    role_colour,
    role_label,
    shorten,
)

__all__ = [
    "BAR_COLOUR",
    "ROLE_COLOURS",
    "TEXT_COLOUR",
    "UNKNOWN_COLOUR",
    "UNMET_BACKGROUND",
    "UNMET_RING",
    "Bar",
    "Person",
    "RoleGroup",
    "Svg",
    "bar_chart",
    "components",
    "packed_layout",
    "people_network",
    "role_colour",
    "role_label",
    "role_network",
    "shorten",
    "spring_layout",
]
