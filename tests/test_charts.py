"""SVG charts: well-formed, accessible, escaped, readable colours, deterministic layouts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from markupsafe import escape

from matchmaker import charts

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = "<script>alert('x')</script> & \"Bob\"\x07"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    title_el = root.find("svg:title", NS)
    desc_el = root.find("svg:desc", NS)
    assert title_el is not None and title_el.text == title
    assert desc_el is not None and desc_el.text
    assert root.get("aria-labelledby") == f"{title_el.get('id')} {desc_el.get('id')}"
    # Scales with its container: a viewBox, no fixed width or height.
    assert len(root.get("viewBox").split()) == 4
    assert root.get("width") is None and root.get("height") is None
    assert "style" not in ET.tostring(root, encoding="unicode")


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    "colour", [*charts.ROLE_COLOURS.values(), charts.BAR_COLOUR, charts.UNKNOWN_COLOUR]
)
def test_colours_read_on_white_and_white_reads_on_them(colour):
    assert contrast(colour, "#ffffff") >= 4.5


def test_every_role_has_its_own_colour():
    from matchmaker.choices import ROLES

    assert set(charts.ROLE_COLOURS) == set(ROLES)
    assert len(set(charts.ROLE_COLOURS.values())) == len(ROLES)


def test_bar_chart_writes_each_number_on_its_bar():
    bars = [
        charts.Bar("Registered", 40, "40"),
        charts.Bar("Met", 30, "30 · 75%"),
        charts.Bar("Useful", 1, "1 · 3%"),
    ]
    root = parse(charts.bar_chart(bars, title="Funnel", chart_id="f", maximum=40))
    assert_accessible(root, "Funnel")
    written = texts(root)
    assert written == ["Registered", "40", "Met", "30 · 75%", "Useful", "1 · 3%"]
    desc = root.find("svg:desc", NS).text
    assert desc == "Registered: 40; Met: 30 · 75%; Useful: 1 · 3%"
    rects = root.findall("svg:rect", NS)
    tracks, values = rects[0::2], rects[1::2]
    widths = [float(r.get("width")) for r in values]
    # Lengths follow the values against the maximum; every track is the full length.
    assert widths[0] == pytest.approx(float(tracks[0].get("width")))
    assert widths[1] == pytest.approx(widths[0] * 30 / 40, abs=0.1)
    # A long bar has its number inside, in white; a short one just after it, in dark text.
    numbers = root.findall("svg:text", NS)[1::2]
    assert numbers[0].get("fill") == "#ffffff" and numbers[0].get("text-anchor") == "end"
    assert numbers[2].get("fill") == charts.TEXT_COLOUR
    assert float(numbers[2].get("x")) > float(values[2].get("x")) + widths[2]


def test_bar_chart_with_zeros_and_with_nothing():
    root = parse(charts.bar_chart([charts.Bar("Met", 0, "0")], title="Zero", chart_id="z"))
    assert len(root.findall("svg:rect", NS)) == 1  # the track only
    assert texts(root) == ["Met", "0"]
    empty = parse(charts.bar_chart([], title="Empty", chart_id="e"))
    assert_accessible(empty, "Empty")
    assert empty.find("svg:desc", NS).text == "No figures."


def test_long_labels_go_above_their_bars():
    label = "Afternoon session in the main hall (Thu 10 Dec, 14:00–16:00)"
    root = parse(charts.bar_chart([charts.Bar(label, 3.5, "3.5 of 5")], title="t", chart_id="s"))
    label_el, bar = root.find("svg:text", NS), root.find("svg:rect", NS)
    assert float(label_el.get("y")) < float(bar.get("y"))
    assert float(bar.get("x")) == 0
    assert label_el.text.endswith("…") and len(label_el.text) <= 44


def test_hostile_labels_are_text_not_markup():
    svg = charts.bar_chart(
        [charts.Bar(HOSTILE, 1, HOSTILE)], title=HOSTILE, chart_id='x" onload="y'
    )
    root = parse(svg)
    assert "<script" not in svg and "\x07" not in svg
    assert not root.findall(".//svg:script", NS)
    assert root.find("svg:title", NS).text == HOSTILE.replace("\x07", "")
    assert 'onload="y' not in svg
    assert charts.shorten(HOSTILE.replace("\x07", ""), 44) in texts(root)


def test_svg_goes_into_templates_as_it_is():
    svg = charts.bar_chart([charts.Bar("<b>", 1, "1")], title="t", chart_id="c")
    assert str(escape(svg)) == svg
    assert "&lt;b&gt;" in svg


def test_spring_layout_is_deterministic_and_keeps_neighbours_close():
    # Two triangles joined by one edge.
    edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]
    first = charts.spring_layout(6, edges)
    again = charts.spring_layout(6, list(reversed(edges)))
    assert first.shape == (6, 2)
    np.testing.assert_allclose(first, again)
    assert first.min() >= 0 and first.max() <= 1 + 1e-9

    def distance(a: int, b: int) -> float:
        return float(np.linalg.norm(first[a] - first[b]))

    within = max(distance(0, 1), distance(4, 5))
    across = min(distance(0, 5), distance(1, 4))
    assert within < across
    assert charts.spring_layout(0, []).shape == (0, 2)
    np.testing.assert_allclose(charts.spring_layout(1, []), [[0.5, 0.5]])


def people(*rows: tuple[int, str, str]) -> list[charts.Person]:
    return [charts.Person(*row) for row in rows]


def test_people_network_draws_each_meeting_and_sets_apart_who_nobody_met():
    crowd = people(
        (1, "Ana", "founder"), (2, "Ivan", "investor"), (3, "Olli", "expert"), (4, "Uma", "student")
    )
    svg = charts.people_network(
        crowd, [(1, 2), (2, 1), (2, 3)], title="Who met whom", chart_id="n", description="d"
    )
    root = parse(svg)
    assert_accessible(root, "Who met whom")
    assert len(root.findall(".//svg:line", NS)) == 2  # the same pair twice is one line
    dots = root.findall(".//svg:circle", NS)
    tooltips = {
        "".join(d.find("svg:title", NS).itertext())
        for d in dots
        if d.find("svg:title", NS) is not None
    }
    assert "Uma (Student): nobody met them" in tooltips
    assert "Ana (Founder)" in tooltips
    written = texts(root)
    assert "Nobody met them (1)" in written
    assert {"Ana", "Ivan", "Olli", "Uma"} <= set(written)
    # The legend names the roles present, in the fixed order.
    assert [t for t in written if t in ("Founder", "Investor", "Expert", "Student")] == [
        "Expert",
        "Founder",
        "Student",
        "Investor",
    ]
    unmet_dot = next(d for d in dots if "Uma" in "".join(d.itertext()))
    assert unmet_dot.get("stroke") == charts.UNMET_RING
    assert unmet_dot.get("fill") == charts.ROLE_COLOURS["student"]


def test_people_network_is_the_same_picture_every_time():
    crowd = [charts.Person(n, f"P{n}", "other") for n in range(1, 41)]
    pairs = [(n, n + 1) for n in range(1, 30)]
    first = charts.people_network(crowd, pairs, title="t", chart_id="n", description="d")
    assert first == charts.people_network(
        list(reversed(crowd)), list(reversed(pairs)), title="t", chart_id="n", description="d"
    )
    # A big picture writes no names beside the dots (they are in the tooltips).
    assert "P1</text>" not in first and "<title>P1 (Other)</title>" in first


def test_people_network_escapes_names():
    svg = charts.people_network(
        people((1, HOSTILE, "founder"), (2, "</svg><script>x", "nonsense")),
        [(1, 2)],
        title="t",
        chart_id="n",
        description=HOSTILE,
    )
    root = parse(svg)
    assert "<script" not in svg
    assert not root.findall(".//svg:script", NS)
    assert any("</svg><script>x" in t for t in texts(root))
    assert "Nonsense" in texts(root)  # an unknown role gets a legend entry and a grey dot


def test_role_network_draws_roles_with_lines_as_thick_as_their_meetings():
    groups = [
        charts.RoleGroup("founder", 3000, 400),
        charts.RoleGroup("investor", 500, 20),
        charts.RoleGroup("expert", 1500, 0),
        charts.RoleGroup("student", 0, 0),
    ]
    links = {("founder", "investor"): 900, ("expert", "founder"): 300, ("founder", "founder"): 90}
    root = parse(charts.role_network(groups, links, title="By role", chart_id="r", description="d"))
    assert_accessible(root, "By role")
    lines = {float(line.get("stroke-width")) for line in root.findall("svg:line", NS)}
    assert len(lines) == 2
    # Beyond a thin minimum, width is proportional to meetings: 900 against 300.
    assert (max(lines) - 1.5) == pytest.approx(3 * (min(lines) - 1.5), abs=0.2)
    loops = [c for c in root.findall("svg:circle", NS) if c.get("fill") == "none"]
    assert len(loops) == 1
    discs = [c for c in root.findall("svg:circle", NS) if c.get("fill") != "none"]
    assert len(discs) == 3  # a role with nobody is left out
    radius = {c.find("svg:title", NS).text.split(":")[0]: float(c.get("r")) for c in discs}
    assert radius["Founder"] > radius["Expert"] > radius["Investor"]
    written = " ".join(texts(root))
    for expected in ("900", "300", "90", "3,000 people", "400 met nobody", "0 met nobody"):
        assert expected in written
    # The share nobody met is a pale slice of the disc (founders and investors; every
    # expert met someone).
    slices = root.findall("svg:path", NS)
    assert len(slices) == 2
    assert all(s.get("fill") == charts.UNMET_BACKGROUND for s in slices)
