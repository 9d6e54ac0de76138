"""Bailleur: the open dossiers (designated → CAL → proposal → lease), visits and the lease.

Routes on the bailleur blueprint: GET /bailleur/dossiers, GET /bailleur/dossiers/<ref>
(candidates, CAL decisions, proposals and answers, the ledger), POST …/<ref>/visites and
POST …/<ref>/bail. Another bailleur's dossier answers 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import roles_required
from app.attribution import leases
from app.attribution.designation import designations
from app.attribution.models import CalDecision, CalDossier
from app.attribution.queries import attributions_of, bailleur_dossiers, bailleur_offre
from app.attribution.services import AttributionError
from app.clock import platform_today
from app.demandes.models import Demande
from app.extensions import db
from app.flux.ledger import history
from app.spaces.bailleur.views import bp
from app.spaces.dossier_forms import LeaseForm, VisitForm
from app.web import or_404


@bp.route("/dossiers")
@roles_required("bailleur")
def dossiers():
    return render_template("bailleur/dossiers.html", offres=bailleur_dossiers(current_user))


def _page(offre, *, visit: VisitForm | None = None, lease: LeaseForm | None = None,
          status: int = 200):
    attributions = attributions_of(offre)
    accepted = next((a for a in attributions if a.status == "acceptee"), None)
    if lease is None and accepted is not None:
        lease = LeaseForm(formdata=None, version=str(accepted.version), rent=offre.logement.rent,
                          charges=offre.logement.charges)
    dossier = db.session.scalar(select(CalDossier).where(CalDossier.offre_id == offre.id))
    decisions = list(db.session.scalars(
        select(CalDecision).where(CalDecision.offre_id == offre.id).order_by(CalDecision.id)))
    return render_template(
        "bailleur/dossier.html", offre=offre, designations=designations(offre),
        cal_dossier=dossier, decisions=decisions, attributions=attributions,
        accepted=accepted, events=history(offre), visit=visit or VisitForm(formdata=None),
        lease=lease, outcomes=leases.VISIT_OUTCOMES,
    ), status


@bp.route("/dossiers/<ref>")
@roles_required("bailleur")
def dossier(ref: str):
    return _page(or_404(bailleur_offre(current_user, ref)))


@bp.route("/dossiers/<ref>/visites", methods=["POST"])
@roles_required("bailleur")
def dossier_visit(ref: str):
    offre = or_404(bailleur_offre(current_user, ref))
    form = VisitForm()
    if form.validate():
        demande = db.session.query(Demande).filter_by(nur=form.demande.data).one_or_none()
        if demande is None:
            form.demande.errors.append("Aucune demande ne porte ce numéro.")
            return _page(offre, visit=form, status=422)
        try:
            leases.record_visit(offre, demande, visited_on=form.visited_on.data,
                                outcome=form.outcome.data, note=form.note.data,
                                actor=current_user, on=platform_today())
        except AttributionError as err:
            form.attach(err)
            return _page(offre, visit=form, status=err.status_code)
        flash("Visite enregistrée.", "success")
        return redirect(url_for("bailleur.dossier", ref=ref))
    return _page(offre, visit=form, status=422)


@bp.route("/dossiers/<ref>/bail", methods=["POST"])
@roles_required("bailleur")
def dossier_lease(ref: str):
    offre = or_404(bailleur_offre(current_user, ref))
    form = LeaseForm()
    accepted = next((a for a in attributions_of(offre) if a.status == "acceptee"), None)
    if form.validate():
        if accepted is None:
            form.form_errors.append("Aucune proposition acceptée n'attend de bail.")
            return _page(offre, lease=form, status=409)
        try:
            leases.sign_lease(accepted, version=form.expected_version(),
                              signed_on=form.signed_on.data, starts_on=form.starts_on.data,
                              rent=form.rent.data, charges=form.charges.data,
                              actor=current_user, on=platform_today())
        except AttributionError as err:
            form.attach(err)
            return _page(offre, lease=form, status=err.status_code)
        flash("Bail enregistré : le dossier est clos.", "success")
        return redirect(url_for("bailleur.dossier", ref=ref))
    return _page(offre, lease=form, status=422)
