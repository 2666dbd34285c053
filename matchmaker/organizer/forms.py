from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..choices import FOLLOW_UPS, ROLES, SCHEDULING_MODES, FollowUps, SchedulingMode
from ..events import SLUG_RE
from ..forms import options, strip, timezone_options
from ..matching.roles import EVERYONE, PRESETS


class SessionForm(Form):
    """One networking session; a fully blank row is ignored."""

    session_id = HiddenField()
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    day = DateField("Date", validators=[Optional()])
    start = TimeField("Starts", validators=[Optional()])
    end = TimeField("Ends", validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.name.data or self.day.data or self.start.data or self.end.data)


class EventForm(FlaskForm):
    name = StringField("Event name", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Web address",
        validators=[
            Optional(),
            Length(max=60),
            Regexp(SLUG_RE, message="Use lowercase letters, digits and single hyphens."),
        ],
        description="Used in the public link, e.g. nordic-founders-day. Leave empty to derive it.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    start = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    end = DateTimeLocalField("Ends", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    sessions = FieldList(FormField(SessionForm), min_entries=1, max_entries=50)
    meeting_minutes = IntegerField(
        "Meeting length (minutes)",
        default=15,
        validators=[
            DataRequired(),
            NumberRange(5, 120, "Meetings last between 5 and 120 minutes."),
        ],
    )
    buffer_minutes = IntegerField(
        "Break between meetings (minutes)",
        default=5,
        validators=[Optional(), NumberRange(0, 60, "Use 0 to 60 minutes.")],
    )
    tables = TextAreaField(
        "Tables or rooms",
        validators=[Optional(), Length(max=20000)],
        description="A number (40 gives Table 1 to Table 40), or one name per line.",
    )
    virtual_link_template = StringField(
        "Video link template",
        validators=[
            Optional(),
            Length(max=500),
            URL(require_tld=True, message="Enter a web link."),
        ],
        description="{event} and {random} are filled in per meeting. "
        "Empty means a private Jitsi Meet room: https://meet.jit.si/{event}-{random}",
    )
    max_meetings_per_attendee = IntegerField(
        "Most meetings per attendee",
        default=6,
        validators=[InputRequired(), NumberRange(1, 50, "Use 1 to 50.")],
    )
    scheduling_mode = RadioField(
        "How meetings are booked",
        choices=options(SCHEDULING_MODES.items()),
        default=SchedulingMode.PEOPLE_CHOOSE.value,
        validators=[InputRequired()],
        description="Attendees see this before they answer a suggestion.",
    )
    auto_schedule_reserve = IntegerField(
        "Meetings auto-schedule leaves free per attendee",
        default=2,
        validators=[InputRequired(), NumberRange(0, 50, "Use 0 to 50.")],
        description="Room kept for mutual yeses that come after you auto-schedule.",
    )
    registration_open = BooleanField("Registration is open", default=True)
    submit = SubmitField("Save event")

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_options("Choose a time zone…")


class UploadForm(FlaskForm):
    file = FileField(
        "Attendee list",
        validators=[
            FileRequired("Choose a file to upload."),
            FileAllowed(["csv", "tsv", "txt", "xlsx"], "Upload a CSV, TSV or XLSX file."),
        ],
        description="CSV from Eventbrite, Luma or Google Forms, or our template. XLSX works too.",
    )
    submit = SubmitField("Upload and preview")


class ConfirmImportForm(FlaskForm):
    """The organizer's column mapping; the per-field selects are added at runtime."""

    valid_rows_only = BooleanField("Import the valid rows only and skip rows with errors")
    submit = SubmitField("Import attendees")


class ConfirmForm(FlaskForm):
    """A bare form: a button with CSRF protection for actions such as revoking a link."""

    submit = SubmitField("Confirm")


def _alias_lines(text: str) -> dict[str, str]:
    """'k8s = kubernetes' per line; raises ValueError naming the bad line."""
    aliases: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        alias, sep, meaning = line.partition("=")
        if not sep or not alias.strip() or not meaning.strip():
            raise ValueError(
                f"Line {number}: write it as “alias = meaning”, e.g. “k8s = kubernetes”."
            )
        if len(alias) > 100 or len(meaning) > 100:
            raise ValueError(f"Line {number}: keep aliases under 100 characters.")
        aliases[alias.strip()] = meaning.strip()
    if len(aliases) > 500:
        raise ValueError("At most 500 aliases, please.")
    return aliases


class AliasField(TextAreaField):
    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        try:
            self.aliases = _alias_lines(self.data or "")
        except ValueError as error:
            self.aliases = {}
            raise ValueError(str(error)) from error


ROLE_PAIRS = [(a, b) for i, a in enumerate(ROLES) for b in list(ROLES)[i:]]


#: "Spread suggestions more evenly" in words; the value is `MatchSettings.exposure_penalty`.
EVENNESS_LEVELS = [(0.0, "No"), (0.25, "A little"), (0.5, "More"), (1.0, "Strongly")]


def evenness_level(penalty: float) -> float:
    """The level to show for a stored value: the nearest one offered."""
    return min((value for value, _ in EVENNESS_LEVELS), key=lambda v: abs(v - penalty))


class ListedChoiceField(RadioField):
    """Radio buttons where a missing or forged value gets a plain error under the group."""

    def __init__(self, *args, values, message: str, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.values = frozenset(values)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:  # could not coerce; pre_validate reports it in plain words
            self.data = None

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data not in self.values:
            raise ValidationError(self.message)


class MatchingSettingsForm(FlaskForm):
    role_preset = ListedChoiceField(
        "Who may meet whom",
        choices=options((key, preset.label) for key, preset in PRESETS.items()),
        values=PRESETS,
        message="Choose one of the rules listed.",
        default=EVERYONE,
    )
    suggestions_per_attendee = IntegerField(
        "Suggestions per attendee",
        default=10,
        validators=[InputRequired(), NumberRange(1, 50, "Use 1 to 50.")],
    )
    exposure_penalty = ListedChoiceField(
        "Spread suggestions more evenly",
        choices=options(EVENNESS_LEVELS),
        values=[value for value, _ in EVENNESS_LEVELS],
        message="Choose one of the levels listed.",
        coerce=float,
        default=0.0,
        description="Moves people who are already in many lists down a little, so that others "
        "are seen too; each list then follows its owner's wishes a little less closely.",
    )
    max_exposure = IntegerField(
        "Most lists one person may appear in",
        validators=[Optional(), NumberRange(1, 1000, "Use 1 to 1000, or leave empty.")],
        description="A hard limit, rarely needed. Leave empty for no limit: each attendee's "
        "meeting limit already caps how many meetings the most sought-after people get.",
    )
    exclude_same_organization = BooleanField("Don't suggest colleagues from the same organization")
    follow_ups = RadioField(
        "People who met at your earlier events",
        choices=options(FOLLOW_UPS.items()),
        default=FollowUps.AS_USUAL.value,
        # A browser always sends the checked choice; a post without one keeps the setting.
        validators=[Optional()],
        description="The same email at your events is the same person. Whoever someone met "
        "there, and whether either said they would meet again, comes from their answers after "
        "the meeting.",
    )
    learn_from_answers = BooleanField(
        "Learn from your attendees' answers",
        description="Once attendees across your events have said “I'd like to meet” or rated "
        "a meeting useful at least 50 times, and “Not for me” or rated one not useful at least "
        "50 times, each matching run re-weights mutual help, shared interests and what people "
        "offer to what they found useful. Off: the default weights.",
    )
    synonyms = AliasField(
        "Aliases for this event",
        validators=[Optional(), Length(max=20000)],
        description="One per line, e.g. “k8s = kubernetes”. "
        "Common ones (ML, JS, UX…) are built in.",
    )
    submit = SubmitField("Save matching settings")


for _a, _b in ROLE_PAIRS:
    setattr(MatchingSettingsForm, f"rule_{_a}__{_b}", BooleanField(f"{ROLES[_a]} – {ROLES[_b]}"))


ONLINE = ""  # the move form's value for "no table: meet online"


class MoveForm(FlaskForm):
    """Where a meeting goes: one of the event's slots, and a table or online."""

    slot = SelectField("New time", coerce=int)
    table = SelectField("New place")
    submit = SubmitField("Move the meeting")


def _same_name(typed: str, name: str) -> bool:
    return " ".join(typed.split()).casefold() == " ".join(name.split()).casefold()


class DeleteEventForm(FlaskForm):
    """Deleting an event: the organizer types its name, so that no stray click deletes one."""

    confirm_name = StringField(
        "Event name", validators=[DataRequired("Type the event's name to delete it.")]
    )
    submit = SubmitField("Delete this event and all its data")

    def __init__(self, *args, event_name: str, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.event_name = event_name

    def validate_confirm_name(self, field: StringField) -> None:
        if not _same_name(field.data or "", self.event_name):
            raise ValidationError("That is not this event's name; nothing was deleted.")


class AttendeeDetailsForm(FlaskForm):
    """Who an attendee is, as the organizer may correct it; their profile stays theirs."""

    name = StringField("Name", filters=[strip], validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    organization = StringField(
        "Organization", filters=[strip], validators=[Optional(), Length(max=200)]
    )
    job_title = StringField("Job title", filters=[strip], validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=options(ROLES.items()), validators=[DataRequired()])
    submit = SubmitField("Save")
