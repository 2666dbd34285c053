"""The outcome as the organizer takes it away: CSV rows and SVG pictures."""

from __future__ import annotations

from dataclasses import dataclass

from .. import charts
from .figures import Outcome
from .funnel import USEFUL, Funnel
from .usefulness import Usefulness
from .who_met_whom import BASIS_MET

CSV_HEADER = ("section", "group", "measure", "value")


def csv_rows(outcome: Outcome) -> list[tuple[str, str, str, object]]:
    """The aggregated figures, one per row: counts and means, never a single answer."""
    rows: list[tuple[str, str, str, object]] = []
    for funnel in outcome.funnels:
        for _, label, count in funnel.steps():
            rows.append(("funnel", funnel.label, label, count))
    network = outcome.network
    what = "meetings that happened" if network.basis == BASIS_MET else "meetings that ended"
    for (a, b), count in sorted(network.role_links.items()):
        pair = f"{charts.role_label(a)} – {charts.role_label(b)}"
        rows.append(("who met whom", pair, what, count))
    for role, unmet in network.role_unmet.items():
        rows.append(("who met whom", charts.role_label(role), "nobody met them", unmet))
    rows.append(("who met whom", "Everyone", "nobody met them", network.unmet_total))
    for row in outcome.by_role_pair:
        group = f"{charts.role_label(row.rater)} about {charts.role_label(row.partner)}"
        rows += _usefulness_rows("usefulness by role pair", group, row)
    for row in outcome.by_session:
        rows.append(("usefulness by session", row.label, "meetings that ended", row.meetings))
        rows += _usefulness_rows("usefulness by session", row.label, row)
    return rows


def _usefulness_rows(
    section: str, group: str, row: Usefulness
) -> list[tuple[str, str, str, object]]:
    return [
        (section, group, "answers", row.answers),
        (section, group, "mean usefulness (1-5)", "" if row.mean is None else row.mean),
        (section, group, f"rated {USEFUL} or 5", row.useful),
    ]


@dataclass(frozen=True)
class Pictures:
    funnel: charts.Svg
    role_funnels: tuple[tuple[Funnel, charts.Svg], ...]
    network: charts.Svg | None  # None while there is no meeting to draw
    by_session: charts.Svg | None


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def funnel_chart(funnel: Funnel, chart_id: str) -> charts.Svg:
    colour = charts.BAR_COLOUR if funnel.role is None else charts.role_colour(funnel.role)
    whole = funnel.registered
    bars = [
        charts.Bar(
            label,
            count,
            f"{count:,}" if key == "registered" else f"{count:,} · {_percent(count, whole)}",
            colour,
        )
        for key, label, count in funnel.steps()
    ]
    return charts.bar_chart(
        bars,
        title=f"How far people got: {'everyone' if funnel.role is None else funnel.label}",
        chart_id=chart_id,
        maximum=whole,
    )


def pictures(outcome: Outcome) -> Pictures:
    """The outcome's charts as SVG."""
    network = outcome.network
    if not network.meetings:
        picture = None
    elif network.aggregated:
        picture = charts.role_network(
            [
                charts.RoleGroup(role, people, network.role_unmet.get(role, 0))
                for role, people in network.role_people.items()
            ],
            network.role_links,
            title="Who met whom, by role",
            chart_id="network",
            description=(
                f"{network.attendees:,} people in {len(network.role_people)} roles; "
                f"{network.meetings:,} meetings. "
                + "; ".join(
                    f"{charts.role_label(a)} and {charts.role_label(b)}: {n:,}"
                    for (a, b), n in sorted(network.role_links.items(), key=lambda i: -i[1])
                )
            ),
        )
    else:
        picture = charts.people_network(
            network.people or (),
            network.pairs or (),
            title="Who met whom",
            chart_id="network",
            description=(
                f"{network.attendees:,} people, {network.meetings:,} meetings; "
                f"nobody met {network.unmet_total:,} of them."
            ),
        )
    by_session = None
    if any(row.meetings or row.answers for row in outcome.by_session):
        by_session = charts.bar_chart(
            [
                charts.Bar(
                    row.label,
                    row.mean or 0.0,
                    f"{row.mean:.1f} of 5 · {row.answers:,} answer{'s' if row.answers != 1 else ''}"
                    if row.mean is not None
                    else "no answers yet",
                )
                for row in outcome.by_session
            ],
            title="Average usefulness by networking session",
            chart_id="by-session",
            maximum=5,
        )
    return Pictures(
        funnel=funnel_chart(outcome.overall, "funnel"),
        role_funnels=tuple(
            (funnel, funnel_chart(funnel, f"funnel-{n}"))
            for n, funnel in enumerate(outcome.role_funnels)
        ),
        network=picture,
        by_session=by_session,
    )
