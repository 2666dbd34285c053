"""Organizer accounts: register, sign in, sign out."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db, limiter, login_manager
from ..models import Organizer, utcnow
from ..security import configured_limit
from .forms import LoginForm, RegisterForm
from .signin import LockoutPolicy, SignInLocked, authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_organizer(session_token: str) -> Organizer | None:
    """Cookies name the organizer's current session token, so a rotated token ends them."""
    return db.session.scalar(Organizer.by_session_token(session_token))


def _lockout_policy() -> LockoutPolicy:
    config = current_app.config
    return LockoutPolicy(
        failures=config["SIGN_IN_LOCKOUT_FAILURES"],
        window=timedelta(minutes=config["SIGN_IN_LOCKOUT_WINDOW_MINUTES"]),
        duration=timedelta(minutes=config["SIGN_IN_LOCKOUT_MINUTES"]),
    )


def _safe_next(target: str | None) -> str:
    """Only follow local redirects, so a crafted link cannot bounce a user elsewhere."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return url_for("organizer.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_REGISTER"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("organizer.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = Organizer.normalize_email(form.email.data)
        if db.session.scalar(Organizer.by_email(email)) is not None:
            form.email.errors.append("An account with this email already exists. Sign in instead.")
        else:
            organizer = Organizer(email=email, name=form.name.data.strip())
            organizer.set_password(form.password.data)
            db.session.add(organizer)
            try:
                db.session.commit()
            except IntegrityError:  # the same email signed up a moment ago
                db.session.rollback()
                form.email.errors.append("An account with this email already exists.")
                return render_template("auth/register.html", form=form)
            login_user(organizer)
            flash("Welcome! Your account is ready. Create your first event.", "success")
            return redirect(url_for("organizer.create_event"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_IN"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("organizer.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            organizer = authenticate(form.email.data, form.password.data, _lockout_policy())
        except SignInLocked as locked:
            seconds = max(1, math.ceil((locked.until - utcnow()).total_seconds()))
            minutes = math.ceil(seconds / 60)
            form.form_errors.append(
                "Too many wrong passwords for this email, so signing in with it is paused. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            )
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(seconds)}
        if organizer is None:
            form.password.errors.append("That email and password do not match an account.")
        else:
            login_user(organizer, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("main.index"))
