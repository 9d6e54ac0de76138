"""Sign in, sign out, password change and requester registration."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from .access import login_required, public
from .forms import LoginForm
from .services import authenticate, rotate_session_token

bp = Blueprint("auth", __name__)


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data)
        if result.user is not None:
            login_user(result.user)
            return redirect(url_for("portal.home"))
        form.password.errors.append(result.message)
        return render_template("auth/login.html", form=form), result.status
    return render_template("auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    rotate_session_token(current_user)
    db.session.flush()
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
