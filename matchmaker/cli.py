"""Flask CLI commands: thin wrappers around the service and algorithm modules."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from . import importing, job_queue, jobs, suggestions
from .attendees import import_records
from .demo import DEMO_EVENT_SLUG, create_demo_event, demo_people
from .extensions import db
from .invites import FALLBACK_BASE_URL
from .models import Attendee, Event, Organizer


def find_event(reference: str) -> Event:
    """An event by slug or numeric id, or a clear CLI error."""
    event = db.session.scalar(db.select(Event).where(Event.slug == reference))
    if event is None and reference.isdecimal() and len(reference) < 10:
        event = db.session.get(Event, int(reference))
    if event is None:
        raise click.BadParameter(f"no event with slug or id '{reference}'", param_hint="EVENT")
    return event


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo organizer and event with about 60 attendees (once)."""
    event = create_demo_event(datetime.now(UTC).date())
    if event is None:
        click.echo(f"The demo event '{DEMO_EVENT_SLUG}' already exists; nothing to do.")
        return
    click.echo(f"Created the demo event '{event.name}' with {len(demo_people())} attendees.")


@click.command("import-attendees")
@with_appcontext
@click.argument("event_ref", metavar="EVENT")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--valid-rows-only", is_flag=True, help="Import the valid rows, skip the others.")
def import_attendees_command(event_ref: str, path: Path, valid_rows_only: bool) -> None:
    """Import an attendee list (CSV or XLSX) into EVENT (its slug or id)."""
    event = find_event(event_ref)
    if not path.exists():
        raise click.BadParameter(f"'{path}' does not exist", param_hint="FILE")
    try:
        table, mapping, report = importing.parse_attendee_file(path.read_bytes(), path.name)
    except importing.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    labels = dict(importing.FIELDS)
    click.echo(f"Read {table.row_count} rows ({table.encoding}, separator {table.delimiter!r}).")
    for key, column in mapping.items():
        click.echo(f"  {labels.get(key, key):<20} <- {table.headers[column]}")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.errors and not valid_rows_only:
        raise click.ClickException(
            f"{len(report.errors)} problems in the file; nothing was imported. "
            "Fix them, or pass --valid-rows-only to import the other rows."
        )
    with click.progressbar(length=len(report.records), label="Importing") as bar:
        last = [0]

        def advance(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        result = import_records(event, report.records, progress=advance)
        bar.update(len(report.records) - last[0])
    db.session.commit()
    click.echo(f"Imported {result.created} new and updated {result.updated} attendees.")
    if suggestions.event_has_matches(event.id):
        click.echo("Bringing suggestions up to date…")
        changed = suggestions.refresh_and_commit(event, background=False)
        if changed is None:
            raise click.ClickException(
                f"the attendees are imported, but their suggestions are not: "
                f"run `flask match {event.slug}`"
            )
        click.echo(f"Suggestions are up to date; {len(changed)} attendees' lists changed.")


@click.command("create-organizer")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_organizer_command(email: str, name: str, password: str) -> None:
    """Create an organizer account."""
    if db.session.scalar(Organizer.by_email(email)) is not None:
        raise click.ClickException(f"an organizer with email {email} already exists")
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    organizer = Organizer(email=Organizer.normalize_email(email), name=name.strip())
    organizer.set_password(password)
    db.session.add(organizer)
    db.session.commit()
    click.echo(f"Created organizer {organizer.email}.")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Apply all migrations (the same as `flask db upgrade`)."""
    upgrade()
    click.echo("The database is up to date.")


@click.command("send-mail")
@with_appcontext
@click.option(
    "--retry-failed",
    is_flag=True,
    help="First give messages that were given up on a fresh round of attempts.",
)
@click.option("--limit", default=100, show_default=True, help="Send at most this many.")
def send_mail_command(retry_failed: bool, limit: int) -> None:
    """Send the mail outbox's due messages; run it from cron every few minutes."""
    from flask import current_app

    from . import mail

    if retry_failed:
        count = mail.retry_failed(db.session)
        db.session.commit()
        click.echo(f"Queued {count} failed message{'s' if count != 1 else ''} again.")
    report = mail.send_pending(db.session, current_app.config, limit=limit)
    if not report.configured:
        raise click.ClickException(
            f"mail is not configured: set MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, ...). "
            f"{report.retry_later} due messages wait in the outbox."
        )
    click.echo(str(report))


def _warn_without_base_url(what: str) -> None:
    """A command has no request to take the site's address from: say so before it writes
    links that only work on this machine."""
    from flask import current_app

    if not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo(
            f"Warning: PUBLIC_BASE_URL is not set, so links in the {what} point to "
            f"{FALLBACK_BASE_URL}. Set it to the address people open.",
            err=True,
        )


@click.command("send-feedback-requests")
@with_appcontext
def send_feedback_requests_command() -> None:
    """Ask both people of each meeting that has ended whether it happened and helped; run it
    from cron (e.g. every 15 minutes). Each meeting is asked about once."""
    from flask import current_app

    from . import feedback, mail

    if not current_app.config.get("PUBLIC_BASE_URL"):
        raise click.ClickException(
            f"PUBLIC_BASE_URL is not set, so these emails would link to {FALLBACK_BASE_URL}, "
            "which nobody else can open. Set it to the address people open (for example "
            "PUBLIC_BASE_URL=https://meet.example.org) and run again; nothing was queued."
        )
    queued = feedback.queue_requests()
    db.session.commit()
    click.echo(f"Queued {queued} feedback request{'s' if queued != 1 else ''}.")
    if not queued:
        return
    if mail.is_configured(current_app.config):
        click.echo(str(mail.send_pending(db.session, current_app.config)))
    else:
        click.echo("Mail is not configured (MAIL_SERVER): they wait in the outbox.")


@click.command("match")
@click.argument("event_ref", metavar="EVENT")
@with_appcontext
def match_command(event_ref: str) -> None:
    """Compute and store suggestions for every attendee of EVENT (its slug or id)."""
    event = find_event(event_ref)
    with click.progressbar(length=100, label="Matching") as bar:
        shown = [0]

        def report(share: float, message: str) -> None:
            step = int(share * 100) - shown[0]
            if step > 0:
                bar.update(step)
                shown[0] += step

        try:
            job = jobs.run_now(event.id, suggestions.MATCHING, on_report=report)
        except jobs.JobBusy as busy:
            raise click.ClickException(f"{busy}; wait for it to finish") from None
        bar.update(100 - shown[0])
    figures = job.figures
    click.echo(
        f"{figures['attendees']} attendees, coverage {figures['coverage']:.1%}, "
        f"most lists one person is in: {figures['max_exposure']}."
    )
    reasons = Counter((figures.get("unmatched") or {}).values())
    for reason, count in reasons.most_common():
        click.echo(f"  {count} without suggestions: {reason.replace('_', ' ')}")


@click.command("suggest")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--top", "top_k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def suggest_command(path: Path, top_k: int, fmt: str, output) -> None:  # noqa: ANN001
    """Match the attendees in FILE directly, without the database; one record per suggestion."""
    from .exports import suggest_from_file

    if not path.exists():
        raise click.BadParameter(f"'{path}' does not exist", param_hint="FILE")
    try:
        report = suggest_from_file(path.read_bytes(), path.name, top_k, fmt, output)
    except importing.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    for error in report.errors:
        click.echo(f"skipped: {error}", err=True)
    click.echo(f"{report.written} suggestions for {report.people} attendees.", err=True)


@click.command("schedule")
@click.argument("event_ref", metavar="EVENT")
@click.option(
    "--confirmed-only", is_flag=True, help="Schedule confirmed matches only, not all suggestions."
)
@with_appcontext
def schedule_command(event_ref: str, confirmed_only: bool) -> None:
    """Auto-schedule EVENT: book meetings for its suggested pairs into free slots and tables."""
    from . import bookings

    event = find_event(event_ref)
    if not event.sessions:
        raise click.ClickException("the event has no networking sessions to schedule into")
    _warn_without_base_url("invitations")
    report = bookings.auto_schedule_event(event, confirmed_only=confirmed_only)
    db.session.commit()
    click.echo(
        f"{report.meetings} meetings booked; {report.attendees_covered} of "
        f"{report.attendees_coverable} attendees who could meet someone have a meeting; "
        f"total score {report.total_score:.2f}."
    )
    for reason, count in sorted(report.unscheduled.items()):
        click.echo(f"  {count} pairs not scheduled: {reason.replace('_', ' ')}")
    click.echo("Invitations wait in the outbox; `flask send-mail` sends them.")


@click.command("export-calendars")
@click.argument("event_ref", metavar="EVENT")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_calendars_command(event_ref: str, directory: Path) -> None:
    """Write one .ics per attendee (named by email) and the whole event's into DIR."""
    from . import bookings, calendar, invites
    from .models import Meeting

    event = find_event(event_ref)
    _warn_without_base_url("calendars")
    directory.mkdir(parents=True, exist_ok=True)
    meetings = bookings.event_meetings(event, include_cancelled=True)
    per_person: dict[int, list[Meeting]] = {}
    for meeting in meetings:
        per_person.setdefault(meeting.low_id, []).append(meeting)
        per_person.setdefault(meeting.high_id, []).append(meeting)
    people = db.session.scalars(db.select(Attendee).where(Attendee.id.in_(list(per_person))))
    written = 0
    for person in people:
        entries = [invites.calendar_meeting(m, person) for m in per_person[person.id]]
        data = calendar.attendee_ics(entries, name=f"{event.name}: {person.name}")
        (directory / f"{_safe_filename(person.email)}.ics").write_bytes(data)
        written += 1
    whole = [invites.calendar_meeting(m, None) for m in meetings]
    (directory / f"{event.slug}.ics").write_bytes(calendar.event_ics(whole, name=event.name))
    click.echo(f"Wrote {written} attendee calendars and {event.slug}.ics to {directory}.")


def _safe_filename(email: str) -> str:
    """Emails are safe file names once path separators and odd characters are replaced."""
    return "".join(c if c.isalnum() or c in "@._+-" else "_" for c in email)[:200]


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option(
    "--nice",
    "niceness",
    type=click.IntRange(0, 19),
    default=10,
    show_default=True,
    help="Lower the CPU priority of this worker and its jobs by this much (0 keeps it), so "
    "that web processes on the same machine answer pages first while a job runs.",
)
@with_appcontext
def worker_command(burst: bool, niceness: int) -> None:
    """Run queued jobs and mail from Redis (REDIS_URL); start as many as you like."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not job_queue.is_configured(app):
        raise click.ClickException(
            "REDIS_URL is not set: without it the web process runs jobs itself"
        )
    if niceness:
        os.nice(niceness)
    job_queue.work(app, burst=burst, on_call_killed=jobs.call_killed)


def init_app(app: Flask) -> None:
    for command in (
        demo_command,
        import_attendees_command,
        create_organizer_command,
        init_db_command,
        send_mail_command,
        send_feedback_requests_command,
        match_command,
        suggest_command,
        schedule_command,
        export_calendars_command,
        worker_command,
    ):
        app.cli.add_command(command)
