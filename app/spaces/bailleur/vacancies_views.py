"""The bailleur's vacancies: declare a departure, follow each offer, publish it with photos
and a plan, see who applied.

Routes on the bailleur blueprint, bailleur only; another bailleur's logement or offer answers
404. The media of an offer are served by ``portal.offre_media`` to its bailleur, and to any
signed-in requester once the offer is published (app/flux/offers.py ``may_see``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.audit.services import record
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.extensions import db
from app.flux.ledger import history
from app.flux.models import OffreMedia
from app.flux.offers import (
    EVENT_LABELS,
    OfferError,
    Viewer,
    add_media,
    applicants,
    declare_vacancy,
    media_of,
    open_offer_of,
    own_offer,
    publish,
    remove_media,
    unpublish,
    update_text,
    vacancies_page,
    vacancy_counts,
    visible_media,
)
from app.patrimoine.services import owned_logement
from app.spaces.bailleur.vacancies_forms import ConfirmForm, DeclareForm, MediaForm, PublishForm
from app.spaces.bailleur.views import bp
from app.spaces.requester.views import bp as portal_bp
from app.uploads import send_stored
from app.web import or_404, page_arg
from matching import enums

APPLICANTS_SHOWN = 100


def _refuse(form, error: OfferError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/logements/<int:logement_id>/vacance", methods=["GET", "POST"])
@roles_required("bailleur")
def vacancy_declare(logement_id: int):
    logement = or_404(owned_logement(current_user, logement_id))
    form = DeclareForm()
    if request.method == "POST" and form.validate():
        try:
            offre = declare_vacancy(logement, notice_on=form.notice_on.data,
                                    available_on=form.available_on.data,
                                    today=platform_today(), actor=current_user)
        except OfferError as exc:
            _refuse(form, exc)
        else:
            flash(f"La vacance est déclarée : offre {offre.ref}.", "success")
            return redirect(url_for("bailleur.offre", ref=offre.ref))
    status = 422 if form.errors else 200
    return render_template("bailleur/vacancy_declare.html", form=form, logement=logement,
                           current=open_offer_of(logement)), status


@bp.route("/vacances")
@roles_required("bailleur")
@commit_rule(NEVER)
def vacancies():
    status = request.args.get("statut") or None
    if status is not None and status not in enums.FLUX_STATUSES:
        status = None
    page = vacancies_page(current_user, status, page_arg())
    return render_template("bailleur/vacancies.html", page=page, status=status,
                           counts=vacancy_counts(current_user), statuses=enums.FLUX_STATUSES)


@bp.route("/offres/<ref>")
@roles_required("bailleur")
def offre(ref: str):
    offre = or_404(own_offer(current_user, ref))
    people = applicants(offre, platform_today())
    shown = people[:APPLICANTS_SHOWN]
    for applicant in shown:  # staff reads of a demande are audited
        record("demande.read", entity_type="demande", entity_id=applicant.demande.nur,
               area="bailleur", offre=offre.ref)
    return render_template("bailleur/offre.html", offre=offre, events=history(offre),
                           media=media_of(offre), applicants=shown,
                           applicants_total=len(people), event_labels=EVENT_LABELS)


def _publish_page(offre, *, text_form=None, media_form=None, status=200):
    text_form = text_form or PublishForm(
        data={"description": offre.description or "", "quartier": offre.quartier or ""})
    media_form = media_form or MediaForm(formdata=None)
    return render_template("bailleur/offre_publish.html", offre=offre, form=text_form,
                           media_form=media_form, media=media_of(offre),
                           delete_form=ConfirmForm()), status


@bp.route("/offres/<ref>/publier", methods=["GET", "POST"])
@roles_required("bailleur")
def offre_publish(ref: str):
    offre = or_404(own_offer(current_user, ref))
    if request.method == "GET":
        return _publish_page(offre)
    form = PublishForm()
    action = request.form.get("action", "publish")
    if form.validate():
        try:
            if action == "unpublish":
                unpublish(offre)
                message = "L'offre n'est plus publiée."
            elif action == "save":
                update_text(offre, description=form.description.data,
                            quartier=form.quartier.data)
                message = "Le texte de l'offre est enregistré."
            else:
                publish(offre, description=form.description.data, quartier=form.quartier.data)
                message = "L'offre est publiée : les demandeurs la voient."
        except OfferError as exc:
            _refuse(form, exc)
        else:
            flash(message, "success")
            return redirect(url_for("bailleur.offre_publish", ref=offre.ref))
    return _publish_page(offre, text_form=form, status=422)


@bp.route("/offres/<ref>/medias", methods=["POST"])
@roles_required("bailleur")
def offre_media_add(ref: str):
    offre = or_404(own_offer(current_user, ref))
    form = MediaForm()
    if form.validate():
        try:
            media = add_media(offre, request.files.get("file"), kind=form.kind.data,
                              caption=form.caption.data, actor=current_user)
        except OfferError as exc:
            _refuse(form, exc)
        else:
            flash(f"{'Photo' if media.kind == 'photo' else 'Plan'} ajouté(e).", "success")
            return redirect(url_for("bailleur.offre_publish", ref=offre.ref))
    return _publish_page(offre, media_form=form, status=422)


@bp.route("/offres/<ref>/medias/<int:media_id>/supprimer", methods=["POST"])
@roles_required("bailleur")
def offre_media_delete(ref: str, media_id: int):
    offre = or_404(own_offer(current_user, ref))
    media = db.session.get(OffreMedia, media_id)
    if media is None or media.offre_id != offre.id:
        abort(404)
    remove_media(media)
    flash("Le fichier est supprimé.", "success")
    return redirect(url_for("bailleur.offre_publish", ref=offre.ref))


@portal_bp.route("/offres/<ref>/medias/<int:media_id>")
@roles_required("bailleur", "demandeur")
@commit_rule(NEVER)
def offre_media(ref: str, media_id: int):
    viewer = Viewer(current_user.role, current_user.organisation_id)
    media = or_404(visible_media(ref, media_id, viewer))
    return send_stored(media.key, media.content_type, media.original_name, inline=True)
