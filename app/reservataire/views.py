"""Espace réservataire: pages of the reservataire role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth.access import roles_required
from .queries import home_summary

bp = Blueprint("reservataire", __name__)


@bp.route("/")
@roles_required("reservataire")
def home():
    return render_template("reservataire/home.html", summary=home_summary(current_user))
