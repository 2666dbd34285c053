from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..choices import ANSWERS, HELPED, MEETING_MODES, MEETING_OUTCOMES, ROLES, Answer
from ..forms import options, strip, timezone_options
from ..importing import MAX_LENGTHS, MAX_PHRASES, split_phrases
from ..network import REMINDER_WEEKS

MAX_PHRASE_LENGTH = MAX_LENGTHS["phrase"]


class PhraseList:
    """Validate a comma- or line-separated list of short phrases."""

    def __call__(self, form: FlaskForm, field: TextAreaField) -> None:
        phrases = split_phrases(field.data or "")
        if len(phrases) > MAX_PHRASES:
            raise ValidationError(f"Keep it to {MAX_PHRASES} phrases at most.")
        for phrase in phrases:
            if len(phrase) > MAX_PHRASE_LENGTH:
                raise ValidationError(
                    f"“{phrase[:30]}…” is long; use short phrases of up to "
                    f"{MAX_PHRASE_LENGTH} characters, separated by commas."
                )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


PHRASE_HELP = "Short phrases separated by commas or new lines, e.g. “fundraising, React, hiring”."


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    organization = StringField("Organization", validators=[Optional(), Length(max=200)])
    job_title = StringField("Job title", validators=[Optional(), Length(max=200)])
    # No role is chosen for someone: one picked by default would count them as what they are not.
    role = SelectField(
        "I am a…",
        choices=options([("", "Choose one…"), *ROLES.items()]),
        validators=[DataRequired(message="Choose what describes you best, or “Other”.")],
    )
    bio = TextAreaField("A few words about you", validators=[Optional(), Length(max=2000)])
    can_help_with = TextAreaField(
        "I can help with", validators=[PhraseList()], description=PHRASE_HELP
    )
    looking_for = TextAreaField(
        "I'm looking for", validators=[PhraseList()], description=PHRASE_HELP
    )
    interests = TextAreaField("Interests", validators=[PhraseList()], description=PHRASE_HELP)
    meeting_mode = RadioField(
        "How would you like to meet?", choices=options(MEETING_MODES.items()), default="either"
    )
    timezone = SelectField("Your time zone", validators=[Optional()])
    sessions = MultiCheckboxField("Sessions you can join", coerce=int)
    linkedin_url = URLField(
        "LinkedIn", validators=[Optional(), URL(message="Enter a full link."), Length(max=500)]
    )
    website_url = URLField(
        "Website", validators=[Optional(), URL(message="Enter a full link."), Length(max=500)]
    )
    consent_share_contact = BooleanField(
        "Share my email and links with the people I agree to meet",
        description="Without this, nobody sees your email, LinkedIn or website. With it, only "
        "people you and they both said yes to meeting see them, on their pages and calendar "
        "invitations; calendars otherwise name you and come from a no-reply address.",
    )
    submit = SubmitField("Save my profile")

    def __init__(self, *args, sessions=(), **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_options("Same as the event")
        self.sessions.choices = options((s.id, s.label()) for s in sessions)

    def validate_sessions(self, field: MultiCheckboxField) -> None:
        if field.choices and not field.data:
            raise ValidationError("Pick at least one session, or we cannot schedule meetings.")


class RegistrationForm(ProfileForm):
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    submit = SubmitField("Register")


class ResendLinkForm(FlaskForm):
    email = EmailField(
        "The email you registered with",
        filters=[strip],
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    submit = SubmitField("Send me my link")


class AnswerForm(FlaskForm):
    """“I'd like to meet” or “Not for me” on one suggestion."""

    answer = RadioField(
        choices=options([(a, ANSWERS[a]) for a in (Answer.INTERESTED, Answer.DECLINED)])
    )


class DeleteProfileForm(FlaskForm):
    """The confirmation of deleting one's own profile: a button with CSRF protection."""

    submit = SubmitField("Delete my profile")


USEFULNESS = {
    1: "1 · not at all",
    2: "2",
    3: "3",
    4: "4",
    5: "5 · very",
}
MEET_AGAIN = {"yes": "Yes", "no": "No"}


class OptionalChoice:
    """An optional radio group: no choice is fine, a choice must be one of the options."""

    def __call__(self, form: FlaskForm, field: RadioField) -> None:
        if field.data in (None, ""):
            field.data = None
            return
        if field.data not in [choice[0] for choice in field.iter_choices()]:
            raise ValidationError("Choose one of the options.")


class FeedbackForm(FlaskForm):
    """After a meeting: did it happen; the rest applies when it did."""

    outcome = RadioField(
        "Did the meeting happen?",
        choices=options(MEETING_OUTCOMES.items()),
        validators=[DataRequired(message="Choose whether the meeting happened.")],
    )
    usefulness = RadioField(
        "Was it useful?",
        choices=options(USEFULNESS.items()),
        coerce=int,
        validate_choice=False,
        validators=[OptionalChoice()],
    )
    helped = RadioField(
        "Who helped whom?",
        choices=options(HELPED.items()),
        validate_choice=False,
        validators=[OptionalChoice()],
    )
    meet_again = RadioField(
        "Would you meet again?",
        choices=options(MEET_AGAIN.items()),
        validate_choice=False,
        validators=[OptionalChoice()],
    )
    note = TextAreaField(
        "A note for yourself (optional)",
        validators=[Optional(), Length(max=2000)],
        description="Only you see it, on your pages and in your network.",
    )
    submit = SubmitField("Save my answer")


class OutcomeForm(FlaskForm):
    """The one-click card: "did it happen?" from the matches or the schedule page."""

    outcome = RadioField(choices=options(MEETING_OUTCOMES.items()), validators=[DataRequired()])
    back = HiddenField()


class ReminderForm(FlaskForm):
    """A follow-up reminder for the calendar, some weeks from now."""

    weeks = SelectField(
        "Remind me in",
        choices=options((w, f"{w} week{'s' if w != 1 else ''}") for w in REMINDER_WEEKS),
        coerce=int,
        default=4,
    )
    submit = SubmitField("Download reminder (.ics)")


class CancelReminderForm(FlaskForm):
    """Cancel a follow-up reminder email not sent yet (a CSRF token is all it carries)."""
