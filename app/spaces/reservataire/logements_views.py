"""Réservataire: the dwellings oriented to it, their candidates, the designation (CCH R.441-3).

Routes on the réservataire blueprint: GET /reservataire/logements (the queue, deadline
countdowns), GET /reservataire/logements/<ref> (candidates, changes with reasons, search of
the pool, designation), POST …/<ref>/liste (one change) and POST …/<ref>/designer.
Another organisation's dwelling answers 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.attribution import designation
from app.attribution.queries import reservataire_offre, reservataire_queue
from app.attribution.services import AttributionError
from app.clock import platform_today
from app.demandes.models import Demande
from app.extensions import db
from app.spaces.dossier_forms import DesignateForm, ListChangeForm, VersionedForm
from app.spaces.reservataire.views import bp
from app.web import or_404


@bp.route("/logements")
@roles_required("reservataire")
def logements():
    today = platform_today()
    return render_template("reservataire/logements.html", today=today,
                           **reservataire_queue(current_user, today))


@bp.route("/logements/proposer", methods=["POST"])
@roles_required("reservataire")
def logements_propose():
    """« Proposer pour tous mes logements »: the engine's lists for every oriented dwelling
    still without one, at once (no demande twice)."""
    if not VersionedForm().validate():  # pragma: no cover - CSRF refusals answer first
        abort(400)
    offres = designation.awaiting_candidates(current_user.organisation_id)
    made = designation.propose_all(offres, on=platform_today(), actor=current_user)
    short = sum(1 for p in made if len(p.candidates) < designation.MAX_CANDIDATES)
    flash(f"Candidats proposés pour {len(made)} logement(s) ; {short} avec moins de trois "
          "candidats (le dossier dit pourquoi).", "success")
    return redirect(url_for("reservataire.logements"))


def _page(offre, *, change: ListChangeForm | None = None, designate: DesignateForm | None = None,
          status: int = 200):
    today = platform_today()
    proposal = (designation.working_list(offre, actor=current_user, on=today)
                if offre.flux_status == "oriente" else designation.current_proposal(offre))
    query = (request.args.get("q") or "")[:100]
    found = designation.search_pool(offre, query) if query else []
    if proposal is not None:
        in_list = {c.demande_id for c in proposal.candidates}
        found = [d for d in found if d.id not in in_list]
    demandes = {}
    if proposal is not None:
        ids = [c.demande_id for c in proposal.candidates]
        demandes = {d.id: d for d in db.session.query(Demande).filter(Demande.id.in_(ids))}
    designate = designate or DesignateForm(version=str(proposal.id) if proposal else "")
    return render_template(
        "reservataire/logement.html", offre=offre, proposal=proposal, demandes=demandes,
        history=designation.history(offre), designations=designation.designations(offre),
        change=change, designate=designate, query=query, found=found, today=today,
        exceptions=designation.FEWER_EXCEPTIONS, changes=designation.CHANGE_LABELS,
    ), status


@bp.route("/logements/<ref>")
@roles_required("reservataire")
def logement(ref: str):
    return _page(or_404(reservataire_offre(current_user, ref)))


@bp.route("/logements/<ref>/liste", methods=["POST"])
@roles_required("reservataire")
def logement_change(ref: str):
    offre = or_404(reservataire_offre(current_user, ref))
    form = ListChangeForm()
    if form.validate():
        demande = db.session.query(Demande).filter_by(nur=form.demande.data).one_or_none()
        try:
            _apply(offre, form, demande)
        except AttributionError as err:
            form.attach(err)
            return _page(offre, change=form, status=err.status_code)
        flash("Changement enregistré avec sa raison.", "success")
        return redirect(url_for("reservataire.logement", ref=ref))
    return _page(offre, change=form, status=422)


def _apply(offre, form: ListChangeForm, demande: Demande | None) -> None:
    action = form.action.data
    version = form.expected_version()
    if action in ("monter", "descendre"):
        current = designation.current_proposal(offre)
        ids = [c.demande_id for c in current.candidates] if current else []
        if demande is None or demande.id not in ids:
            raise designation.Refused("Ce candidat n'est pas dans la liste.", "demande")
        i = ids.index(demande.id)
        j = i - 1 if action == "monter" else i + 1
        if not 0 <= j < len(ids):
            raise designation.Refused("Ce candidat est déjà à cette extrémité de la liste.",
                                      "action")
        ids[i], ids[j] = ids[j], ids[i]
        designation.change_list(offre, version=version, kind="ordre", reason=form.reason.data,
                                actor=current_user, order=ids)
    elif action == "retirer":
        designation.change_list(offre, version=version, kind="retrait", reason=form.reason.data,
                                actor=current_user, demande=demande)
    else:
        if demande is None:
            raise designation.Refused("Aucune demande ne porte ce numéro.", "demande")
        designation.change_list(offre, version=version, kind="ajout", reason=form.reason.data,
                                actor=current_user, demande=demande)


@bp.route("/logements/<ref>/designer", methods=["POST"])
@roles_required("reservataire")
def logement_designate(ref: str):
    offre = or_404(reservataire_offre(current_user, ref))
    form = DesignateForm()
    if form.validate():
        try:
            rows = designation.designate(
                offre, version=form.expected_version(), actor=current_user,
                on=platform_today(), exception=form.exception.data or None,
                exception_detail=form.exception_detail.data)
        except AttributionError as err:
            form.attach(err)
            return _page(offre, designate=form, status=err.status_code)
        flash(f"{len(rows)} candidat(s) désigné(s) au bailleur.", "success")
        return redirect(url_for("reservataire.logement", ref=ref))
    return _page(offre, designate=form, status=422)
