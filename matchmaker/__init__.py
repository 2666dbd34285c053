"""matchmaker: pair event attendees who can help each other and schedule their meetings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import check_production_safety, from_environment

PACKAGE_DIR = Path(__file__).resolve().parent


def _template_folder() -> str:
    """Templates live at the repository root; an installed wheel carries a copy in the package."""
    in_checkout = PACKAGE_DIR.parent / "templates"
    return str(in_checkout if in_checkout.is_dir() else PACKAGE_DIR / "templates")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=_template_folder(), instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(from_environment(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    check_production_safety(app.config)

    from . import cli, errors, logs, models, security  # noqa: F401 - models register their tables
    from .extensions import bootstrap, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    # Before any route is added, so every <int:...> refuses ids no row can have (a 404).
    app.url_map.converters["int"] = security.DatabaseIdConverter

    from .attendee import bp as attendee_bp
    from .auth.routes import bp as auth_bp
    from .main.routes import bp as main_bp
    from .organizer import bp as organizer_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organizer_bp)
    app.register_blueprint(attendee_bp)
    security.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    cli.init_app(app)

    from .templating import init_app as init_templating

    init_templating(app)
    return app
