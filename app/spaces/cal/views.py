"""Commission d'attribution: pages of the cal role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.accounts.access import roles_required
from app.clock import platform_today
from app.spaces.cal.dashboard import home_summary

bp = Blueprint("cal", __name__)


@bp.route("/")
@roles_required("cal")
def home():
    return render_template("cal/home.html", summary=home_summary(current_user, platform_today()))
