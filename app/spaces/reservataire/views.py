"""Espace réservataire: pages of the reservataire role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.accounts.access import roles_required
from app.attribution.queries import candidats_page, designated_demande
from app.audit.services import record
from app.spaces.reservataire.dashboard import home_summary
from app.web import or_404, page_arg

bp = Blueprint("reservataire", __name__)


@bp.route("/")
@roles_required("reservataire")
def home():
    return render_template("reservataire/home.html", summary=home_summary(current_user))


@bp.route("/candidats")
@roles_required("reservataire")
def candidats():
    page = candidats_page(current_user, page_arg())
    return render_template("reservataire/candidats.html", page=page)


@bp.route("/demandes/<nur>")
@roles_required("reservataire")
def demande(nur: str):
    details = or_404(designated_demande(current_user, nur))
    record("demande.read", entity_type="demande", entity_id=nur, area="reservataire")
    return render_template("reservataire/demande.html", **details)


from app.spaces.reservataire import flux_views  # noqa: E402, F401  (registers the flux pages)
