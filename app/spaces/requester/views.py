"""Requester portal (location choisie) and the public landing page."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_login import current_user

from app.accounts.access import public, roles_required
from app.clock import platform_today
from app.demandes.queries import own_demande
from app.pdf import render_pdf
from app.spaces.requester.dashboard import home_summary
from app.web import or_404

bp = Blueprint("portal", __name__)

ROLE_HOMES = {
    "demandeur": "portal.espace",
    "bailleur": "bailleur.home",
    "reservataire": "reservataire.home",
    "cal": "cal.home",
    "epci": "epci.home",
    "admin": "admin.home",
}


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOMES[current_user.role]))
    return render_template("portal/landing.html")


@bp.route("/mon-espace")
@roles_required("demandeur")
def espace():
    return render_template("portal/home.html", summary=home_summary(current_user))


@bp.route("/mon-espace/demandes/<nur>")
@roles_required("demandeur")
def demande(nur: str):
    details = or_404(own_demande(current_user, nur))
    return render_template("portal/demande.html", **details)


@bp.route("/mon-espace/demandes/<nur>/recapitulatif.pdf")
@roles_required("demandeur")
def demande_pdf(nur: str):
    details = or_404(own_demande(current_user, nur))
    pdf = render_pdf("pdf/recapitulatif_demande.html", today=platform_today(), **details)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="demande-{nur}.pdf"',
    })
