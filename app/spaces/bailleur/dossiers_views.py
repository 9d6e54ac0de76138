"""Bailleur: the open dossiers (designated → CAL → proposal → lease), visits and the lease.

Routes on the bailleur blueprint: GET /bailleur/dossiers (with the suspensive conditions
awaiting their document), GET /bailleur/dossiers/<ref> (candidates, CAL decisions, conditions,
proposals and answers, the ledger), POST …/<ref>/visites, POST …/<ref>/condition (the missing
document of a decision (c) was received) and POST …/<ref>/bail. Another bailleur's dossier
answers 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import roles_required
from app.attribution import conditions, leases
from app.attribution.designation import designations
from app.attribution.models import CalDecision, CalDossier
from app.attribution.queries import attributions_of, bailleur_dossiers, bailleur_offre
from app.attribution.services import AttributionError
from app.clock import platform_today
from app.demandes.documents import DOCUMENT_CRITERIA
from app.demandes.models import Demande
from app.extensions import db
from app.flux.ledger import history
from app.formatting import fr_date
from app.spaces.bailleur.views import bp
from app.spaces.dossier_forms import LeaseForm, LiftConditionForm, VisitForm
from app.spaces.fields import choice
from app.web import or_404


@bp.route("/dossiers")
@roles_required("bailleur")
def dossiers():
    return render_template(
        "bailleur/dossiers.html", offres=bailleur_dossiers(current_user),
        conditions=conditions.bailleur_pending(current_user.organisation_id, platform_today()))


def _lift_choices(form: LiftConditionForm, pending: list) -> None:
    """The dossier's pending conditions, and the documents their candidates sent."""
    form.decision.choices = [choice(str(r.decision.id), (
        f"{r.demande.nur} — {r.decision.condition} (au plus tard le "
        f"{fr_date(r.decision.condition_deadline)})")) for r in pending]
    if len(pending) == 1 and not form.decision.data:
        form.decision.data = str(pending[0].decision.id)
    nur = {r.demande.id: r.demande.nur for r in pending}
    form.document.choices = [choice("", "— Aucun document lié —")] + [
        choice(str(d.id), f"{nur[d.demande_id]} · "
               f"{DOCUMENT_CRITERIA.get(d.criterion, (d.criterion,))[0]} — {d.original_name} "
               f"(envoyé le {fr_date(d.uploaded_at)})")
        for d in conditions.documents_of(list(nur))]


def _page(offre, *, visit: VisitForm | None = None, lease: LeaseForm | None = None,
          lift: LiftConditionForm | None = None, status: int = 200):
    attributions = attributions_of(offre)
    accepted = next((a for a in attributions if a.status == "acceptee"), None)
    lease_waits = conditions.pending_condition(accepted) if accepted is not None else None
    if lease is None and accepted is not None:
        lease = LeaseForm(formdata=None, version=str(accepted.version), rent=offre.logement.rent,
                          charges=offre.logement.charges)
    rows = conditions.offre_conditions(offre, platform_today())
    pending = [r for r in rows if r.is_pending]
    if lift is None and pending:
        lift = LiftConditionForm(formdata=None)
        _lift_choices(lift, pending)
    dossier = db.session.scalar(select(CalDossier).where(CalDossier.offre_id == offre.id))
    decisions = list(db.session.scalars(
        select(CalDecision).where(CalDecision.offre_id == offre.id).order_by(CalDecision.id)))
    return render_template(
        "bailleur/dossier.html", offre=offre, designations=designations(offre),
        cal_dossier=dossier, decisions=decisions, attributions=attributions,
        accepted=accepted, events=history(offre), visit=visit or VisitForm(formdata=None),
        lease=lease, lease_waits=lease_waits, outcomes=leases.VISIT_OUTCOMES,
        conditions=rows, condition_of={r.decision.id: r for r in rows}, pending=pending,
        lift=lift,
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


@bp.route("/dossiers/<ref>/condition", methods=["POST"])
@roles_required("bailleur")
def dossier_condition(ref: str):
    offre = or_404(bailleur_offre(current_user, ref))
    today = platform_today()
    form = LiftConditionForm()
    pending = [r for r in conditions.offre_conditions(offre, today) if r.is_pending]
    _lift_choices(form, pending)
    if not pending:
        form.form_errors.append("Aucune condition suspensive de ce dossier n'attend de pièce.")
        return _page(offre, lift=form, status=409)
    if form.validate():
        row = next(r for r in pending if r.decision.id == form.decision_id())
        try:
            conditions.lift(row.decision, received_on=form.received_on.data,
                            note=form.note.data, document_id=form.document_id(),
                            actor=current_user, on=today)
        except AttributionError as err:
            form.attach(err)
            return _page(offre, lift=form, status=err.status_code)
        flash(f"Condition levée pour la demande {row.demande.nur} : l'attribution suit son "
              "cours.", "success")
        return redirect(url_for("bailleur.dossier", ref=ref))
    return _page(offre, lift=form, status=422)


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
