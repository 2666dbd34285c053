"""Migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from matchmaker import create_app
from matchmaker.extensions import db

pytestmark = pytest.mark.database


@pytest.fixture
def empty_app(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    yield app
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.engine.dispose()


def test_upgrade_matches_models_and_downgrades_cleanly(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            names = db.inspect(connection).get_table_names()
        assert set(names) <= {"alembic_version"}


def test_upgrade_then_demo_works(empty_app):
    with empty_app.app_context():
        upgrade()
    result = empty_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def test_events_with_their_own_role_matrix_keep_it_as_custom(empty_app):
    """Before presets, a stored matrix was the event's rule; no matrix meant the old default."""
    with empty_app.app_context():
        upgrade(revision="320361e37343")
        event = sa.table(
            "event",
            *(sa.column(name) for name in EVENT_COLUMNS),
            sa.column("table_names", sa.JSON()),
            sa.column("role_rules", sa.JSON()),
        )
        db.session.execute(
            text(
                "INSERT INTO organizer (id, email, name, password_hash, created_at) "
                "VALUES (1, 'o@example.org', 'O', 'x', :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
        common = _event_row()
        db.session.execute(
            event.insert(),
            [
                common | {"id": 1, "slug": "matrix", "role_rules": {"founder": ["investor"]}},
                common | {"id": 2, "slug": "no-matrix", "role_rules": sa.null()},
                common | {"id": 3, "slug": "json-null", "role_rules": None},
            ],
        )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text("SELECT slug, role_preset, exposure_penalty FROM event ORDER BY id")
        ).all()
        assert [tuple(row) for row in rows] == [
            ("matrix", "custom", 0),
            ("no-matrix", "everyone", 0),
            ("json-null", "everyone", 0),
        ]
        db.session.commit()


def _event_row() -> dict:
    """An event row as the schema before role presets stored it."""
    return {
        "organizer_id": 1,
        "name": "E",
        "description": "",
        "timezone": "UTC",
        "venue": "",
        "starts_at": datetime(2026, 12, 1, 9),
        "ends_at": datetime(2026, 12, 1, 17),
        "meeting_minutes": 15,
        "buffer_minutes": 5,
        "table_names": [],
        "virtual_link_template": "",
        "max_meetings_per_attendee": 6,
        "registration_open": True,
        "created_at": datetime(2026, 1, 1),
    }


EVENT_COLUMNS = (
    "id",
    "organizer_id",
    "name",
    "slug",
    "description",
    "timezone",
    "venue",
    "starts_at",
    "ends_at",
    "meeting_minutes",
    "buffer_minutes",
    "virtual_link_template",
    "max_meetings_per_attendee",
    "registration_open",
    "created_at",
)


def test_existing_organizers_get_their_own_session_token_and_keep_their_events(empty_app):
    with empty_app.app_context():
        upgrade(revision="74cebcfc715e")
        for organizer_id in (1, 2):
            db.session.execute(
                text(
                    "INSERT INTO organizer (id, email, name, password_hash, created_at) "
                    "VALUES (:id, :email, 'O', 'x', :now)"
                ),
                {
                    "id": organizer_id,
                    "email": f"o{organizer_id}@example.org",
                    "now": datetime(2026, 1, 1),
                },
            )
        event = sa.table(
            "event",
            *(sa.column(name) for name in EVENT_COLUMNS),
            sa.column("table_names", sa.JSON()),
        )
        db.session.execute(event.insert(), [_event_row() | {"id": 1, "slug": "kept"}])
        db.session.commit()
        upgrade()
        tokens = db.session.scalars(text("SELECT session_token FROM organizer")).all()
        assert len(set(tokens)) == 2
        assert all(len(token) >= 40 for token in tokens)
        assert db.session.scalar(text("SELECT slug FROM event")) == "kept"
        db.session.commit()
