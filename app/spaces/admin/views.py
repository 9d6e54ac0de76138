"""Administration: pages of the admin role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.accounts.access import roles_required
from app.spaces.admin.dashboard import home_summary, regulatory_status

bp = Blueprint("admin", __name__)


@bp.route("/")
@roles_required("admin")
def home():
    return render_template("admin/home.html", summary=home_summary(current_user),
                           regulation=regulatory_status())
