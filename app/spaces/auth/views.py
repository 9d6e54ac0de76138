"""Sign in, sign out, password change and requester registration."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.accounts.access import login_required, public
from app.accounts.models import User
from app.accounts.services import (
    AuthResult,
    EmailTaken,
    authenticate,
    check_current_password,
    end_session,
    register_requester,
    set_password,
)
from app.boundary import ALWAYS, commit_rule
from app.spaces.auth import mails
from app.spaces.auth.forms import (
    PASSWORD_HINT,
    LoginForm,
    PasswordChangeForm,
    RegistrationForm,
)

bp = Blueprint("auth", __name__)


def _start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session that expires (PERMANENT_SESSION_LIFETIME)."""
    session.clear()  # nothing from before sign-in carries over (fixation, old CSRF token)
    session.permanent = True
    login_user(user)


def _safe_next() -> str | None:
    """The local path to go back to after sign-in (``?next=``), never another site."""
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return None
    return target


def _refusal(template: str, result: AuthResult, **context):
    """Answer a refused credential with its status, keeping the failure on record.

    The view's commit rule is ALWAYS: the failed attempt and its audit event are the only
    changes made so far, and they must stay (throttling and audit trail)."""
    response = render_template(template, **context), result.status
    if result.retry_after:
        return (*response, {"Retry-After": str(result.retry_after)})
    return response


@bp.route("/connexion", methods=["GET", "POST"])
@public
@commit_rule(ALWAYS)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data)
        if result.user is not None:
            _start_session(result.user)
            return redirect(_safe_next() or url_for("portal.home"))
        form.password.errors.append(result.message)
        if result.status >= 400:
            return _refusal("auth/login.html", result, form=form)
        return render_template("auth/login.html", form=form), result.status
    return render_template("auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    end_session(current_user)
    logout_user()  # clears the session (see security.install_security)
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
@commit_rule(ALWAYS)
def change_password():
    user = current_user._get_current_object()
    form = PasswordChangeForm(email=user.email)
    context = {"form": form, "password_hint": PASSWORD_HINT}
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/password.html", **context), status
    result = check_current_password(user, form.current_password.data)
    if result.user is None:
        form.current_password.errors.append(result.message)
        return _refusal("auth/password.html", result, **context)
    set_password(user, form.new_password.data)
    _start_session(user)  # this session goes on with the new token; the others end
    flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
    return redirect(url_for("portal.home"))


@bp.route("/inscription", methods=["GET", "POST"])
@public
def register():
    """Requester self-registration, answering the same whether the address is new or not.

    A new address gets its account (not signed in: the sign-in would show in the session
    cookie, which is signed, not encrypted) and a welcome mail; an address in use gets no
    account and its owner a mail. Both see the same confirmation page."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = RegistrationForm()
    context = {"form": form, "password_hint": PASSWORD_HINT}
    if form.validate_on_submit():
        try:
            user = register_requester(form.full_name.data, form.email.data, form.new_password.data)
        except EmailTaken as taken:
            mails.registration_on_existing_account(taken.email_key)
        else:
            mails.registration_welcome(user.email, user.full_name)
        return render_template("auth/register_done.html")
    # 422 for a refused form: the request boundary rolls back, nothing is half-saved.
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", **context), status
