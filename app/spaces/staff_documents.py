"""Supporting documents of a demande in the staff spaces: read them, verify or reject them.

The same three routes on the bailleur, réservataire, CAL and EPCI blueprints, e.g.
/reservataire/demandes/<nur>/justificatifs. A demande is reachable only when the staff
member's organisation has it in a dossier (app.demandes.documents.staff_may_see): any other
demande answers 404, like a missing one. Every read is audited. Bailleurs, réservataires and
CAL set the status of a criterion (a reason is required to reject); the EPCI only reads.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from app.accounts.access import roles_required
from app.audit.services import record as audit
from app.demandes.documents import (
    DOCUMENT_CRITERIA,
    MSG_REASON,
    STATUS_LABELS,
    documents_by_criterion,
    may_verify,
    set_status,
    staff_demande,
    staff_document,
)
from app.spaces.fields import ChoiceField, TextField, choices, strip
from app.uploads import send_stored
from app.web import or_404

MSG_STATUS_SAVED = "Statut enregistré pour « {label} » : {status}."


class VerificationForm(FlaskForm):
    criterion = ChoiceField("Justificatif", choices=choices(
        {k: label for k, (label, _h) in DOCUMENT_CRITERIA.items()}))
    status = ChoiceField("Statut", choices=choices(STATUS_LABELS))
    reason = TextField("Raison du refus (montrée au demandeur)", max_length=500,
                       too_long="500 caractères au plus.", filters=[strip])

    def validate_reason(self, field):
        if self.status.data == "rejected" and not field.data:
            raise ValidationError(MSG_REASON)


def _documents_page(role: str, nur: str):
    demande = or_404(staff_demande(current_user, nur))
    form = VerificationForm()
    if request.method == "POST":
        if not may_verify(current_user):
            abort(403)
        if form.validate_on_submit():
            set_status(current_user, demande, form.criterion.data, form.status.data,
                       form.reason.data)
            flash(MSG_STATUS_SAVED.format(label=DOCUMENT_CRITERIA[form.criterion.data][0],
                                          status=STATUS_LABELS[form.status.data]), "success")
            return redirect(url_for(f"{role}.justificatifs", nur=nur))
    else:
        audit("demande.documents.read", entity_type="demande", entity_id=nur, area=role)
    return render_template("staff/justificatifs.html", demande=demande, role=role, form=form,
                           criteria=documents_by_criterion(demande),
                           can_verify=may_verify(current_user)), 422 if form.errors else 200


def _document_file(role: str, nur: str, document_id: int):
    document = or_404(staff_document(current_user, nur, document_id))
    audit("document.read", entity_type="demande", entity_id=nur, area=role,
          document=document.id, criterion=document.criterion)
    # Always as an attachment: an uploaded file never renders under the platform's origin.
    return send_stored(document.storage_key, document.content_type, document.original_name)


def add_routes(bp: Blueprint, role: str) -> None:
    """The documents routes of one staff space (called once per blueprint, before registering)."""
    methods = ["GET", "POST"] if role != "epci" else ["GET"]

    @roles_required(role)
    def justificatifs(nur: str):
        return _documents_page(role, nur)

    @roles_required(role)
    def justificatif_file(nur: str, document_id: int):
        return _document_file(role, nur, document_id)

    bp.add_url_rule("/demandes/<nur>/justificatifs", "justificatifs", justificatifs,
                    methods=methods)
    bp.add_url_rule("/demandes/<nur>/justificatifs/<int:document_id>", "justificatif_file",
                    justificatif_file)


def _register() -> None:
    from app.spaces.bailleur.views import bp as bailleur_bp
    from app.spaces.cal.views import bp as cal_bp
    from app.spaces.epci.views import bp as epci_bp
    from app.spaces.reservataire.views import bp as reservataire_bp

    for bp, role in ((bailleur_bp, "bailleur"), (reservataire_bp, "reservataire"),
                     (cal_bp, "cal"), (epci_bp, "epci")):
        add_routes(bp, role)


_register()  # once, on first import (app/__init__.py imports this module before registering)
