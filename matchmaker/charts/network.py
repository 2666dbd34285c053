"""Pictures of who met whom: people one by one (dots placed by :mod:`.layout`, a band for
those nobody met), or roles on a circle for a big event."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..choices import ROLES
from .layout import packed_layout
from .svg import (
    EDGE_COLOUR,
    MUTED_TEXT,
    TEXT_COLOUR,
    UNMET_BACKGROUND,
    UNMET_RING,
    Svg,
    _number,
    _open,
    role_colour,
    role_label,
    shorten,
    text,
    text_width,
)


def _legend(roles: Sequence[str], width: float, y: float, size: float) -> tuple[list[str], float]:
    """Swatches and role names in rows that wrap at ``width``; returns the parts and the
    height they take."""
    parts: list[str] = []
    x, line = 0.0, 0
    step = size * 1.7
    for role in roles:
        label = role_label(role)
        item = size + 6 + text_width(label, size) + 16
        if x and x + item > width:
            x, line = 0.0, line + 1
        cy = y + line * step + size / 2
        parts.append(
            f'<circle cx="{_number(x + size / 2)}" cy="{_number(cy)}" r="{_number(size / 2)}" '
            f'fill="{role_colour(role)}"/>'
            f'<text x="{_number(x + size + 6)}" y="{_number(cy)}" dy="0.35em" '
            f'font-size="{size}" fill="{TEXT_COLOUR}">{text(label)}</text>'
        )
        x += item
    return parts, (line + 1) * step if roles else 0.0


# -- who met whom, one person at a time ------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A node of the people picture."""

    id: int
    name: str
    role: str


NETWORK_WIDTH = 400
NETWORK_MARGIN = 8.0
LABELLED_PEOPLE = 30  # names are written beside the dots up to this many people
NAME_FONT = 14


def people_network(
    people: Sequence[Person],
    pairs: Sequence[tuple[int, int]],
    *,
    title: str,
    chart_id: str,
    description: str,
) -> Svg:
    """Dots for people, coloured by role, and a line for each pair in ``pairs`` (person ids).
    People in no pair are drawn apart, below, on a highlighted band headed "Nobody met
    them". Names are written beside the dots for small events and are in each dot's
    tooltip always."""
    people = sorted(people, key=lambda person: person.id)
    index = {person.id: n for n, person in enumerate(people)}
    links = sorted({tuple(sorted(pair)) for pair in pairs if pair[0] in index and pair[1] in index})
    linked_ids = {i for pair in links for i in pair}
    linked = [person for person in people if person.id in linked_ids]
    alone = [person for person in people if person.id not in linked_ids]
    labelled = len(people) <= LABELLED_PEOPLE
    roles = [role for role in ROLES if any(p.role == role for p in people)]
    roles += sorted({p.role for p in people} - set(roles))
    margin = NETWORK_MARGIN
    parts: list[str] = []
    legend, legend_height = _legend(roles, NETWORK_WIDTH - 2 * margin, margin, 15)
    radius = max(3.0, min(6.0, 7.0 - len(linked) / 50))
    height = margin + legend_height + 6
    if linked:
        drawn, height = _people_who_met(linked, links, top=height, radius=radius, labelled=labelled)
        parts += drawn
    if alone:
        drawn, height = _nobody_met_band(alone, top=height + 4, radius=radius, labelled=labelled)
        parts += drawn
    svg = _open(chart_id, NETWORK_WIDTH, height + margin, title, description)
    return Svg("".join(svg + legend + parts + ["</svg>"]))


def _people_who_met(
    linked: Sequence[Person],
    links: Sequence[tuple[int, int]],
    *,
    top: float,
    radius: float,
    labelled: bool,
) -> tuple[list[str], float]:
    """People who met someone, from ``top`` down: each group of connected people laid out
    by the spring forces, the groups packed in rows, biggest first; a line for each pair.
    Returns the parts and where they end."""
    margin = NETWORK_MARGIN
    local = {person.id: n for n, person in enumerate(linked)}
    label_room = [
        text_width(shorten(person.name, 22), NAME_FONT) + 6 if labelled else 0.0
        for person in linked
    ]
    layout, used = packed_layout(
        [(local[a], local[b]) for a, b in links],
        len(linked),
        NETWORK_WIDTH - 2 * margin,
        radius=radius,
        spacing=44.0 if labelled else 26.0,
        label_room=label_room,
    )
    position_of = {
        person.id: (margin + x, top + y) for person, (x, y) in zip(linked, layout, strict=True)
    }
    width = 1.5 if len(links) <= 100 else 1.0
    parts = [
        f'<g stroke="{EDGE_COLOUR}" stroke-width="{width}" stroke-opacity="0.75" '
        f'stroke-linecap="round">'
    ]
    for a, b in links:
        (xa, ya), (xb, yb) = position_of[a], position_of[b]
        parts.append(
            f'<line x1="{_number(xa)}" y1="{_number(ya)}" x2="{_number(xb)}" y2="{_number(yb)}"/>'
        )
    parts.append("</g>")
    for person in linked:
        x, y = position_of[person.id]
        parts.append(_dot(person, x, y, radius, met=True))
    if labelled:
        parts += _names(linked, position_of, radius, NETWORK_WIDTH)
    return parts, top + used + 8


def _nobody_met_band(
    alone: Sequence[Person], *, top: float, radius: float, labelled: bool
) -> tuple[list[str], float]:
    """People nobody met, in a grid on a highlighted band of their own from ``top`` down
    (named when ``labelled``). Returns the parts and where the band ends."""
    margin = NETWORK_MARGIN
    cell_w, cell_h = (186.0, 26.0) if labelled else (max(2 * radius + 5, 11.0),) * 2
    columns = max(1, int((NETWORK_WIDTH - 2 * margin - 12) // cell_w))
    rows = math.ceil(len(alone) / columns)
    band = 30 + rows * cell_h + 6
    parts = [
        f'<rect x="{_number(margin)}" y="{_number(top)}" '
        f'width="{_number(NETWORK_WIDTH - 2 * margin)}" height="{_number(band)}" rx="6" '
        f'fill="{UNMET_BACKGROUND}" stroke="{UNMET_RING}" stroke-width="1"/>'
        f'<text x="{_number(margin + 8)}" y="{_number(top + 19)}" font-size="13" '
        f'font-weight="700" fill="{UNMET_RING}">Nobody met them ({len(alone):,})</text>'
    ]
    dot = min(radius, cell_h / 2 - 3)
    for n, person in enumerate(alone):
        row_n, column = divmod(n, columns)
        x = margin + 8 + dot + 2 + column * cell_w
        y = top + 30 + row_n * cell_h + cell_h / 2
        parts.append(_dot(person, x, y, dot, met=False))
        if labelled:
            parts.append(
                f'<text x="{_number(x + dot + 5)}" y="{_number(y)}" dy="0.35em" '
                f'font-size="{NAME_FONT}" fill="{TEXT_COLOUR}">'
                f"{text(shorten(person.name, 20))}</text>"
            )
    return parts, top + band


def _names(
    people: Sequence[Person],
    position_of: Mapping[int, tuple[float, float]],
    radius: float,
    width: float,
) -> list[str]:
    """Each name beside its dot, to the right, left, above or below, wherever it clashes
    with no dot and no other name; a name that fits nowhere is left to the tooltip and
    the list under the picture."""
    taken = [(x - radius, y - radius, x + radius, y + radius) for x, y in position_of.values()]
    parts = []
    for person in people:
        x, y = position_of[person.id]
        name = shorten(person.name, 22)
        w, h = text_width(name, NAME_FONT), NAME_FONT + 2
        candidates = (
            ((x + radius + 4, y - h / 2, x + radius + 4 + w, y + h / 2), x + radius + 4, "start"),
            ((x - radius - 4 - w, y - h / 2, x - radius - 4, y + h / 2), x - radius - 4, "end"),
            ((x - w / 2, y - radius - 3 - h, x + w / 2, y - radius - 3), x, "middle"),
            ((x - w / 2, y + radius + 3, x + w / 2, y + radius + 3 + h), x, "middle"),
        )
        for box, anchor_x, anchor in candidates:
            if box[0] < 0 or box[2] > width or any(_overlap(box, other) for other in taken):
                continue
            taken.append(box)
            parts.append(
                f'<text x="{_number(anchor_x)}" y="{_number((box[1] + box[3]) / 2)}" '
                f'dy="0.35em" text-anchor="{anchor}" font-size="{NAME_FONT}" '
                f'fill="{TEXT_COLOUR}" stroke="#ffffff" stroke-width="3" paint-order="stroke" '
                f'stroke-linejoin="round">{text(name)}</text>'
            )
            break
    return parts


def _dot(person: Person, x: float, y: float, radius: float, *, met: bool) -> str:
    tooltip = f"{person.name} ({role_label(person.role)})" + ("" if met else ": nobody met them")
    ring = 'stroke="#ffffff" stroke-width="1"' if met else f'stroke="{UNMET_RING}" stroke-width="2"'
    return (
        f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}" '
        f'fill="{role_colour(person.role)}" {ring}><title>{text(tooltip)}</title></circle>'
    )


# -- who met whom, role by role --------------------------------------------------------------


@dataclass(frozen=True)
class RoleGroup:
    """A node of the roles picture: a role, how many people have it, how many of them
    nobody met."""

    role: str
    people: int
    unmet: int


ROLE_NETWORK_WIDTH = 440
ROLE_NETWORK_HEIGHT = 480
NUMBERED_LINKS = 8  # the thickest lines carry their number; the table has them all


def _wedge(x: float, y: float, radius: float, share: float, attributes: str, inner: str) -> str:
    """The slice of a disc for ``share`` (0-1) of it, from twelve o'clock clockwise."""
    if share >= 0.999:
        return (
            f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}" {attributes}>'
            f"{inner}</circle>"
        )
    angle = 2 * math.pi * share
    end_x, end_y = x + radius * math.sin(angle), y - radius * math.cos(angle)
    large = 1 if share > 0.5 else 0
    return (
        f'<path d="M{_number(x)} {_number(y)} L{_number(x)} {_number(y - radius)} '
        f'A{_number(radius)} {_number(radius)} 0 {large} 1 {_number(end_x)} {_number(end_y)} Z" '
        f"{attributes}>{inner}</path>"
    )


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two boxes (left, top, right, bottom) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_below(angle: float) -> bool:
    """Names go below the discs, except on the upper part of the circle."""
    return math.sin(angle) >= -0.3


#: A role's disc: centre x and y, radius, and its angle on the circle.
_Place = tuple[float, float, float, float]


def role_network(
    groups: Sequence[RoleGroup],
    links: Mapping[tuple[str, str], int],
    *,
    title: str,
    chart_id: str,
    description: str,
) -> Svg:
    """Roles on a circle, each a disc whose area follows its number of people, with a pale
    slice for the share of them nobody met; a line between two roles as thick as the number
    of meetings between them (a loop for meetings within one role), the thickest with their
    number written on them. Each role is named beside its disc with its figures."""
    groups = [group for group in groups if group.people]
    place = _places_on_circle(groups)
    # Where each role's name goes, so that the numbers on the lines keep clear of it.
    label_top = {
        role: y + radius + 17 if _label_below(angle) else y - radius - 42
        for role, (x, y, radius, angle) in place.items()
    }
    taken = [(x - 58, top - 15, x + 58, top + 36) for (x, _, _, _), top in
             zip(place.values(), label_top.values(), strict=True)]  # fmt: skip
    taken += [(x - r, y - r, x + r, y + r) for x, y, r, _ in place.values()]
    lines, numbers = _role_links(links, place, taken)
    discs: list[str] = []
    for group in groups:
        x, y, radius, _ = place[group.role]
        discs += _role_disc(group, x, y, radius)
        numbers.append(_role_name(group, x, label_top[group.role]))
    svg = _open(chart_id, ROLE_NETWORK_WIDTH, ROLE_NETWORK_HEIGHT, title, description)
    return Svg("".join(svg + lines + discs + numbers + ["</svg>"]))


def _places_on_circle(groups: Sequence[RoleGroup]) -> dict[str, _Place]:
    """Each role's disc, evenly around the circle from twelve o'clock (in the middle when it
    is alone), its area following its number of people."""
    centre_x, centre_y, ring = ROLE_NETWORK_WIDTH / 2, ROLE_NETWORK_HEIGHT / 2, 150.0
    most_people = max((group.people for group in groups), default=1)
    place: dict[str, _Place] = {}
    for n, group in enumerate(groups):
        angle = -math.pi / 2 + 2 * math.pi * n / max(len(groups), 1)
        distance = ring if len(groups) > 1 else 0.0
        radius = 9 + 19 * math.sqrt(group.people / most_people)
        place[group.role] = (
            centre_x + distance * math.cos(angle),
            centre_y + distance * math.sin(angle),
            radius,
            angle,
        )
    return place


def _role_links(
    links: Mapping[tuple[str, str], int],
    place: Mapping[str, _Place],
    taken: list[tuple[float, float, float, float]],
) -> tuple[list[str], list[str]]:
    """The lines between the roles placed, thickest on top, and the numbers written on the
    ``NUMBERED_LINKS`` thickest, each where it clashes with nothing in ``taken`` (which
    grows with every number written)."""
    most_links = max(links.values(), default=1) or 1
    drawn = sorted(
        ((pair, count) for pair, count in links.items() if count and set(pair) <= set(place)),
        key=lambda item: (-item[1], item[0]),
    )
    lines: list[str] = []
    numbers: list[str] = []
    for rank, ((a, b), count) in enumerate(drawn):
        line, spots = _role_link(a, b, count, place, width=1.5 + 11 * count / most_links)
        lines.append(line)
        if rank >= NUMBERED_LINKS:
            continue
        number = _link_number(count, spots, taken)
        if number is not None:
            numbers.append(number)
    lines.reverse()  # the thickest on top
    return lines, numbers


def _role_link(
    a: str, b: str, count: int, place: Mapping[str, _Place], *, width: float
) -> tuple[str, list[tuple[float, float]]]:
    """The line between roles ``a`` and ``b`` (a loop when they are the same), and the
    spots where its number may go, best first."""
    (xa, ya, ra, angle), (xb, yb, _, _) = place[a], place[b]
    meetings = f"{count:,} meeting{'s' if count != 1 else ''}"
    tooltip = f"<title>{text(role_label(a))} and {text(role_label(b))}: {meetings}</title>"
    if a == b:
        # A loop beside the disc, turned away from where its name is written.
        turns = (angle - 0.9, angle + 0.9)
        turn = min(turns, key=math.sin) if _label_below(angle) else max(turns, key=math.sin)
        lx, ly = xa + (ra + 10) * math.cos(turn), ya + (ra + 10) * math.sin(turn)
        loop = (
            f'<circle cx="{_number(lx)}" cy="{_number(ly)}" r="13" fill="none" '
            f'stroke="{EDGE_COLOUR}" stroke-width="{_number(min(width, 9))}" '
            f'stroke-opacity="0.7">{tooltip}</circle>'
        )
        return loop, [(lx + 26 * math.cos(turn), ly + 26 * math.sin(turn))]
    line = (
        f'<line x1="{_number(xa)}" y1="{_number(ya)}" x2="{_number(xb)}" '
        f'y2="{_number(yb)}" stroke="{EDGE_COLOUR}" stroke-width="{_number(width)}" '
        f'stroke-opacity="0.7" stroke-linecap="round">{tooltip}</line>'
    )
    return line, [(xa + (xb - xa) * t, ya + (yb - ya) * t) for t in (0.5, 0.4, 0.6, 0.3, 0.7)]


def _link_number(
    count: int,
    spots: Sequence[tuple[float, float]],
    taken: list[tuple[float, float, float, float]],
) -> str | None:
    """``count`` written at the first of ``spots`` where it clashes with nothing in
    ``taken`` (its box is added there), or None when every spot is taken."""
    half = text_width(f"{count:,}", 14, bold=True) / 2 + 3
    for mx, my in spots:
        box = (mx - half, my - 9, mx + half, my + 9)
        if not any(_overlap(box, other) for other in taken):
            taken.append(box)
            return (
                f'<text x="{_number(mx)}" y="{_number(my)}" dy="0.35em" '
                f'text-anchor="middle" font-size="14" font-weight="700" '
                f'fill="{TEXT_COLOUR}" stroke="#ffffff" stroke-width="4" '
                f'paint-order="stroke" stroke-linejoin="round">{count:,}</text>'
            )
    return None


def _role_disc(group: RoleGroup, x: float, y: float, radius: float) -> list[str]:
    """The role's disc, and the pale slice for the share of its people nobody met."""
    label = text(role_label(group.role))
    tooltip = f"{label}: {group.people:,} people, nobody met {group.unmet:,}"
    parts = [
        f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}" '
        f'fill="{role_colour(group.role)}" stroke="#ffffff" stroke-width="2">'
        f"<title>{tooltip}</title></circle>"
    ]
    if group.unmet:
        parts.append(
            _wedge(
                x,
                y,
                radius - 1,
                group.unmet / group.people,
                f'fill="{UNMET_BACKGROUND}" stroke="{UNMET_RING}" stroke-width="1.5"',
                f"<title>{tooltip}</title>",
            )
        )
    return parts


def _role_name(group: RoleGroup, x: float, top: float) -> str:
    """The role's name with its number of people and how many of them met nobody."""
    label = role_label(group.role)
    return (
        f'<text x="{_number(x)}" y="{_number(top)}" text-anchor="middle" '
        f'font-size="17" fill="{TEXT_COLOUR}" stroke="#ffffff" stroke-width="4" '
        f'paint-order="stroke" stroke-linejoin="round"><tspan font-weight="700">'
        f'{text(shorten(label, 18))}</tspan><tspan x="{_number(x)}" dy="1.15em" '
        f'font-size="14">{group.people:,} people</tspan>'
        f'<tspan x="{_number(x)}" dy="1.15em" font-size="14" '
        f'fill="{UNMET_RING if group.unmet else MUTED_TEXT}">'
        f"{group.unmet:,} met nobody</tspan></text>"
    )
