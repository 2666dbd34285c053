"""Helpers shared by every blueprint's Flask-WTF forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice

from .events import timezone_choices


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def timezone_options(empty_label: str) -> list[SelectChoice]:
    return options([("", empty_label)] + [(z, z.replace("_", " ")) for z in timezone_choices()])


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value
