"""Mes propositions: the requester sees a proposal and its deadline, accepts or refuses it.

Routes on the portal blueprint, requester only: GET /mon-espace/propositions,
GET /mon-espace/propositions/<id>, POST …/<id>/accepter, POST …/<id>/refuser (two steps: the
first shows the exact consequence of the refusal on the cotation, the second confirms).
Another requester's proposal answers 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.attribution import conditions, proposals
from app.attribution.queries import own_proposition, own_propositions
from app.attribution.services import AttributionError
from app.clock import platform_today
from app.spaces.dossier_forms import AnswerForm
from app.spaces.requester.views import bp
from app.web import or_404


@bp.route("/mon-espace/propositions")
@roles_required("demandeur")
def propositions():
    return render_template("portal/propositions.html", items=own_propositions(current_user),
                           today=platform_today())


def _page(attribution, *, form: AnswerForm | None = None, confirming: bool = False,
          status: int = 200):
    today = platform_today()
    form = form or AnswerForm(formdata=None, version=str(attribution.version))
    return render_template(
        "portal/proposition.html", a=attribution, offre=attribution.offre,
        logement=attribution.offre.logement, form=form, confirming=confirming, today=today,
        preview=(proposals.refusal_preview(attribution, today)
                 if attribution.status == "proposee" else None),
        days_left=(attribution.answer_due_on - today).days,
        condition=conditions.condition_of(attribution),
    ), status


@bp.route("/mon-espace/propositions/<int:attribution_id>")
@roles_required("demandeur")
def proposition(attribution_id: int):
    return _page(or_404(own_proposition(current_user, attribution_id)))


@bp.route("/mon-espace/propositions/<int:attribution_id>/accepter", methods=["POST"])
@roles_required("demandeur")
def proposition_accept(attribution_id: int):
    attribution = or_404(own_proposition(current_user, attribution_id))
    form = AnswerForm()
    if form.validate():
        try:
            proposals.accept(attribution, version=form.expected_version(), actor=current_user,
                             on=platform_today())
        except AttributionError as err:
            form.attach(err)
            return _page(attribution, form=form, status=err.status_code)
        if conditions.pending_condition(attribution) is not None:
            flash("Vous avez accepté la proposition. Le bail pourra être signé dès que le "
                  "bailleur aura reçu la pièce demandée par la commission.", "success")
        else:
            flash("Vous avez accepté la proposition. Le bailleur vous contactera pour la "
                  "signature du bail.", "success")
        return redirect(url_for("portal.proposition", attribution_id=attribution.id))
    return _page(attribution, form=form, status=422)


@bp.route("/mon-espace/propositions/<int:attribution_id>/refuser", methods=["POST"])
@roles_required("demandeur")
def proposition_refuse(attribution_id: int):
    attribution = or_404(own_proposition(current_user, attribution_id))
    form = AnswerForm()
    if not form.validate():
        return _page(attribution, form=form, status=422)
    if not form.reason.data:
        form.reason.errors.append("Indiquez la raison de votre refus.")
        return _page(attribution, form=form, status=422)
    if form.confirm.data != "oui":
        # First step: the consequence on the cotation, then a confirmation button.
        return _page(attribution, form=form, confirming=True)
    try:
        proposals.refuse(attribution, version=form.expected_version(), reason=form.reason.data,
                         actor=current_user, on=platform_today())
    except AttributionError as err:
        form.attach(err)
        return _page(attribution, form=form, status=err.status_code)
    flash("Votre refus est enregistré et transmis au bailleur.", "success")
    return redirect(url_for("portal.proposition", attribution_id=attribution.id))
