"""Espace bailleur: pages of the bailleur role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth.access import roles_required
from ..web import or_404, page_arg
from .queries import home_summary, logements_page, own_logement

bp = Blueprint("bailleur", __name__)


@bp.route("/")
@roles_required("bailleur")
def home():
    return render_template("bailleur/home.html", summary=home_summary(current_user))


@bp.route("/logements")
@roles_required("bailleur")
def logements():
    page = logements_page(current_user, page_arg())
    return render_template("bailleur/logements.html", page=page)


@bp.route("/logements/<int:logement_id>")
@roles_required("bailleur")
def logement(logement_id: int):
    details = or_404(own_logement(current_user, logement_id))
    return render_template("bailleur/logement.html", **details)
