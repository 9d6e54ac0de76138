"""Espace EPCI: pages of the epci role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.audit.services import record
from app.demandes.queries import territory_demande
from app.spaces.epci.dashboard import home_summary, regulatory_status
from app.spaces.epci.forms import DemandeSearchForm
from app.web import or_404

bp = Blueprint("epci", __name__)


@bp.route("/")
@roles_required("epci")
def home():
    return render_template("epci/home.html", summary=home_summary(current_user),
                           regulation=regulatory_status())


@bp.route("/demandes")
@roles_required("epci")
def demande_search():
    form = DemandeSearchForm(request.args)
    if "nur" in request.args and form.validate():
        if territory_demande(current_user, form.nur.data) is not None:
            return redirect(url_for("epci.demande", nur=form.nur.data))
        form.nur.errors.append(
            "Aucune demande de votre territoire ne porte ce numéro. Vérifiez le numéro saisi."
        )
    return render_template("epci/search.html", form=form)


@bp.route("/demandes/<nur>")
@roles_required("epci")
def demande(nur: str):
    details = or_404(territory_demande(current_user, nur))
    record("demande.read", entity_type="demande", entity_id=nur, area="epci")
    return render_template("epci/demande.html", **details)
