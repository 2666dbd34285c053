"""Organizer pages for matching: settings, runs with progress, figures, per-attendee lists."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import learned_weights
from .. import matching_report as report
from .. import suggestions as service
from ..choices import ROLES, JobStatus
from ..extensions import db
from ..matching import UNMATCHED_REASONS, roles
from ..matching.learning import MIN_ANSWERS_PER_KIND
from ..models import Attendee
from . import bp, own_attendee, own_event
from .forms import ROLE_PAIRS, ConfirmForm, MatchingSettingsForm, evenness_level
from .jobs import job_status


@bp.route("/events/<int:event_id>/matching", methods=["GET"])
def matching(event_id: int):
    event = own_event(event_id)
    run = service.latest_run(event.id)
    figures = report.matching_figures(event, run)
    unmatched_people = {}
    ids = [i for people in figures.unmatched.values() for i in people][:500]
    if ids:
        unmatched_people = {
            a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(ids)))
        }
    return render_template(
        "organizer/matching.html",
        event=event,
        run=run,
        figures=figures,
        rule=report.role_rule(event),
        learnt=learned_weights.last_fit(event),
        min_answers=MIN_ANSWERS_PER_KIND,
        reasons_text=UNMATCHED_REASONS,
        unmatched_people=unmatched_people,
        form=ConfirmForm(),
    )


@bp.route("/events/<int:event_id>/matching/run", methods=["POST"])
def run_matching(event_id: int):
    event = own_event(event_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("organizer.matching", event_id=event.id))
    run = service.start_matching(event)
    if run.status == JobStatus.DONE:
        flash("Matching is done: everyone's suggestions are up to date.", "success")
    elif run.status == JobStatus.FAILED:
        flash(run.message, "danger")
    return redirect(url_for("organizer.matching", event_id=event.id))


@bp.route("/events/<int:event_id>/matching/status")
def matching_status(event_id: int):
    event = own_event(event_id)
    return job_status(service.latest_run(event.id))


@bp.route("/events/<int:event_id>/matching/settings", methods=["GET", "POST"])
def matching_settings(event_id: int):
    event = own_event(event_id)
    form = MatchingSettingsForm()
    if request.method == "GET":
        form.role_preset.data = event.role_preset
        form.suggestions_per_attendee.data = event.suggestions_per_attendee
        form.exposure_penalty.data = evenness_level(event.exposure_penalty or 0.0)
        form.max_exposure.data = event.max_exposure
        form.exclude_same_organization.data = event.exclude_same_organization
        form.follow_ups.data = event.follow_ups
        form.learn_from_answers.data = event.learn_from_answers
        form.synonyms.data = "\n".join(f"{k} = {v}" for k, v in (event.synonyms or {}).items())
        # The matrix shows the organizer's own rules if they made some, else the rules in
        # force, as a starting point for "custom".
        rules = (
            roles.preset_rules(roles.CUSTOM, event.role_rules)
            if event.role_rules
            else service.event_role_rules(event)
        )
        for a, b in ROLE_PAIRS:
            getattr(form, f"rule_{a}__{b}").data = roles.may_meet(rules, a, b)
    elif form.validate_on_submit():
        event.role_preset = form.role_preset.data
        event.suggestions_per_attendee = form.suggestions_per_attendee.data
        event.exposure_penalty = form.exposure_penalty.data
        event.max_exposure = form.max_exposure.data
        event.exclude_same_organization = form.exclude_same_organization.data
        if form.follow_ups.raw_data:
            event.follow_ups = form.follow_ups.data
        event.learn_from_answers = form.learn_from_answers.data
        event.synonyms = form.synonyms.aliases
        if event.role_preset == roles.CUSTOM:
            # Other presets leave the matrix alone, so switching back to "custom" restores it.
            chosen: dict[str, set[str]] = {role: set() for role in ROLES}
            for a, b in ROLE_PAIRS:
                if getattr(form, f"rule_{a}__{b}").data:
                    chosen[a].add(b)
                    chosen[b].add(a)
            event.role_rules = {role: sorted(others) for role, others in chosen.items()}
        db.session.commit()
        flash("Matching settings saved. Run matching to apply them.", "success")
        return redirect(url_for("organizer.matching", event_id=event.id))
    counts = report.role_counts(event.id)
    custom = roles.preset_rules(roles.CUSTOM, event.role_rules) if event.role_rules else None
    kept_apart = {
        key: roles.pairs_kept_apart(
            custom if key == roles.CUSTOM and custom else roles.preset_rules(key), counts
        )
        for key in roles.PRESETS
        if key != roles.CUSTOM or custom
    }
    return render_template(
        "organizer/matching_settings.html",
        event=event,
        form=form,
        roles=ROLES,
        presets=roles.PRESETS,
        kept_apart=kept_apart,
        attendees=sum(counts.values()),
    )


@bp.route("/events/<int:event_id>/attendees/<int:attendee_id>/suggestions")
def attendee_suggestions(event_id: int, attendee_id: int):
    event = own_event(event_id)
    person = own_attendee(event, attendee_id)
    entries = service.cards_for(person, every_pair=True)
    return render_template(
        "organizer/attendee_suggestions.html", event=event, person=person, entries=entries
    )
