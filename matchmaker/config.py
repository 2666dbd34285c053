"""Configuration read from the environment.

The factory takes a mapping of overrides on top of this, which is how tests pick their own
database and switch CSRF or secrets without touching the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(RuntimeError):
    """The app cannot start safely with the configuration it was given."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'matchmaker.sqlite3'}"
    # Heroku-style URLs say "postgres://"; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: Path) -> dict[str, object]:
    env = os.environ
    return {
        "ENV_NAME": env.get("MATCHMAKER_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25") or 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "matchmaker@localhost"),
        # The largest upload (an attendee list); the importer itself has no size limit.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BACKGROUND_JOBS": _bool(env.get("BACKGROUND_JOBS"), default=True),
        # With Redis, jobs and mail go to a queue that `flask worker` processes run (RQ);
        # without it the web process runs them in threads.
        "REDIS_URL": env.get("REDIS_URL", "").strip(),
        "JOB_QUEUE_NAME": env.get("JOB_QUEUE_NAME", "matchmaker"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # This many wrong passwords for one email within the window lock it for a while.
        "SIGN_IN_LOCKOUT_FAILURES": int(env.get("SIGN_IN_LOCKOUT_FAILURES", "10")),
        "SIGN_IN_LOCKOUT_WINDOW_MINUTES": int(env.get("SIGN_IN_LOCKOUT_WINDOW_MINUTES", "15")),
        "SIGN_IN_LOCKOUT_MINUTES": int(env.get("SIGN_IN_LOCKOUT_MINUTES", "15")),
        # Rate limits per client address (Flask-Limiter). In memory (per process) unless
        # Redis is configured, which every process shares.
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URI": (
            env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://"
        ),
        # If the limit store is unreachable, serve the request rather than fail it.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_SIGN_IN": env.get("RATELIMIT_SIGN_IN", "10 per minute;100 per hour"),
        "RATELIMIT_REGISTER": env.get("RATELIMIT_REGISTER", "5 per minute;20 per hour"),
        "RATELIMIT_PUBLIC_FORMS": env.get("RATELIMIT_PUBLIC_FORMS", "20 per minute;200 per hour"),
        "RATELIMIT_ATTENDEE_PAGES": env.get("RATELIMIT_ATTENDEE_PAGES", "300 per minute"),
        "RATELIMIT_WRONG_LINKS": env.get("RATELIMIT_WRONG_LINKS", "20 per minute;100 per hour"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
        "FORWARDED_PROXIES": int(env.get("FORWARDED_PROXIES", "0")),
    }


def upload_limit_text(max_content_length: int | None) -> str:
    """The upload limit as people read it: "50 MB" (or "no limit")."""
    if not max_content_length:
        return "no limit"
    megabytes = max_content_length / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:,.0f} MB" if megabytes.is_integer() else f"{megabytes:,.1f} MB"
    return f"{max(1, round(max_content_length / 1024))} KB"


def check_production_safety(config: dict[str, object] | object) -> None:
    """Refuse to run in production with a guessable secret key."""
    get = config.get  # type: ignore[union-attr]
    if get("ENV_NAME") != "production":
        return
    key = str(get("SECRET_KEY") or "")
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise ConfigError(
            "MATCHMAKER_ENV=production needs a real SECRET_KEY of at least 32 characters "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))'). "
            "Without one, anyone could forge sign-in cookies."
        )
