"""Defences that every request shares, kept in one place: who the client is, how often it
may knock, which ids a URL can name, and the headers of every response.

Rate limits (per client address) guard what a stranger can reach without an account:
organizer sign-in and registration (decorated in `auth.routes`), and the whole attendee
blueprint, whose pages answer to a private link. There a tighter budget counts only wrong
links (404s), which is what guessing produces, and one more covers the public forms that
need no link (registration, asking for one's link again). The limits are strings in the
config, read at each request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cache

from flask import Flask, Response, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from .extensions import limiter

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


@cache
def configured_limit(key: str) -> Callable[[], str]:
    """The rate limit stored under `key` in the app's config, for Flask-Limiter.

    Cached so that registering the same limit for every app the factory builds adds it
    once (Flask-Limiter keeps a set of limits and compares their callables).
    """

    def limit() -> str:
        return current_app.config[key]

    limit.__name__ = key.lower()
    return limit


def _not_found(response: Response) -> bool:
    return response.status_code == 404


def _behind_private_link() -> bool:
    return "token" in (request.view_args or {})


# Scripts and styles only from this site's own files (no inline code an injection could
# add), no plugins, no framing (clickjacking on cancel buttons), forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
HSTS_MAX_AGE = 365 * 24 * 3600


def _is_private(response: Response) -> bool:
    """Pages and downloads that must not stay in a browser's or a proxy's cache: whatever an
    organizer sees signed in (names, emails, private links in links.csv), and everything
    behind an attendee's private link, including their calendar files."""
    if request.endpoint is None or request.endpoint.endswith("static"):
        return False
    return (
        request.blueprint == "organizer" or _behind_private_link() or current_user.is_authenticated
    )


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # A private link in the address bar must never reach another site in a Referer.
    headers.setdefault("Referrer-Policy", "no-referrer")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")
    if _is_private(response):
        response.cache_control.no_store = True
    return response


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets the client in again."""
    breached = limiter.current_limit
    reset_at = breached.reset_at if breached is not None else time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


def init_app(app: Flask) -> None:
    """Attach the limits and headers to an app whose blueprints are registered."""
    proxies = app.config.get("FORWARDED_PROXIES") or 0
    if proxies:
        # Behind a reverse proxy every request comes from the proxy's address; limits per
        # client need the address the proxy saw. Only as many hops as configured are
        # believed, so a client cannot pick its own address with a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    limiter.init_app(app)
    attendee = app.blueprints["attendee"]
    limiter.shared_limit(configured_limit("RATELIMIT_ATTENDEE_PAGES"), scope="attendee-pages")(
        attendee
    )
    limiter.shared_limit(
        configured_limit("RATELIMIT_WRONG_LINKS"), scope="wrong-links", deduct_when=_not_found
    )(attendee)
    limiter.shared_limit(
        configured_limit("RATELIMIT_PUBLIC_FORMS"),
        scope="public-forms",
        methods=["POST"],
        exempt_when=_behind_private_link,
    )(attendee)
    app.after_request(security_headers)
