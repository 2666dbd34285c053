"""The organizer's picture of what came of an event's networking: the funnel, who met whom,
how useful the meetings were, and the same figures as CSV."""

from __future__ import annotations

from flask import render_template

from .. import outcomes
from ..exports import csv_response
from . import bp, own_event


@bp.route("/events/<int:event_id>/outcome")
def outcome(event_id: int):
    event = own_event(event_id)
    figures = outcomes.event_outcome(event)
    return render_template(
        "organizer/outcome.html",
        event=event,
        outcome=figures,
        pictures=outcomes.pictures(figures),
        steps=outcomes.STEPS,
        step_help=outcomes.STEP_HELP,
        useful=outcomes.USEFUL,
        people_limit=outcomes.PEOPLE_LIMIT,
    )


@bp.route("/events/<int:event_id>/outcome.csv")
def outcome_csv(event_id: int):
    event = own_event(event_id)
    rows = outcomes.csv_rows(outcomes.event_outcome(event))
    return csv_response(f"{event.slug}-outcome.csv", outcomes.CSV_HEADER, rows)
