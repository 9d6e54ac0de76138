"""Espace bailleur: pages of the bailleur role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.accounts.access import roles_required
from app.patrimoine.queries import logements_page, own_logement
from app.spaces.bailleur.dashboard import home_summary
from app.web import or_404, page_arg

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


from app.spaces.bailleur import flux_views  # noqa: E402, F401  (registers the flux pages)
