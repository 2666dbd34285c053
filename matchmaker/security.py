"""Defences that every request shares, kept in one place."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

# Every primary key is an Integer column, which PostgreSQL stores in 32 bits (SQLite in 64).
LARGEST_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` that only matches numbers a row id can be.

    A larger number cannot name a row, and handing it to the database fails (PostgreSQL:
    "integer out of range", SQLite: "too large to convert"), which would be a 500 instead
    of the 404 the request deserves.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = LARGEST_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
