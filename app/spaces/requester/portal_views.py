"""The requester's space beyond the form: renewal, an existing NUR, documents, ma cotation.

Routes on the portal blueprint:
- /mon-espace/demande/rattacher: attach a demande registered at a guichet (NUR + identity);
- /mon-espace/demandes/<nur>/renouveler: yearly renewal;
- /mon-espace/demandes/<nur>/justificatifs (+ upload, delete, open a file);
- /mon-espace/cotation and /mon-espace/cotation.pdf: the requester's cotation;
- /cotation/<epci-slug>: the territory's grid, public.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import public, roles_required
from app.boundary import ALWAYS, commit_rule
from app.clock import platform_today
from app.cotation.queries import NoCotation, epci_by_slug, ma_cotation, public_grid
from app.demandes.documents import (
    delete_document,
    documents_by_criterion,
    own_document,
    upload_document,
)
from app.demandes.linking import LinkRefused, link_demande
from app.demandes.models import Demande
from app.demandes.renewal import RenewalRefused, renew_demande, renewal_state
from app.demandes.services import active_demandes_of
from app.extensions import db
from app.formatting import fr_date
from app.pdf import render_pdf
from app.spaces.requester.portal_forms import DeleteForm, DocumentForm, LinkForm, RenewalForm
from app.spaces.requester.views import bp
from app.uploads import UploadError, send_stored
from app.web import or_404
from matching import fr

MSG_LINKED = "La demande n° {nur} est rattachée à votre compte."
MSG_RENEWED = "Votre demande n° {nur} est renouvelée : elle est valable jusqu'au {until}."
MSG_UPLOADED = "Document « {name} » envoyé. Il sera vérifié par les services qui examinent votre demande."
MSG_DELETED = "Le document a été retiré."


def _own(nur: str, statuses: tuple[str, ...] | None = None) -> Demande:
    query = select(Demande).where(Demande.nur == nur, Demande.requester_id == current_user.id)
    if statuses is not None:
        query = query.where(Demande.status.in_(statuses))
    return or_404(db.session.scalar(query))


# --------------------------------------------------------------------------- NUR


@bp.route("/mon-espace/demande/rattacher", methods=["GET", "POST"])
@roles_required("demandeur")
@commit_rule(ALWAYS)  # a refused attempt is audited, and the audit counts the attempts
def demande_link():
    form = LinkForm()
    if form.validate_on_submit():
        try:
            demande = link_demande(current_user, form.nur.data, form.last_name.data,
                                   form.birth_date.data)
        except LinkRefused as refused:
            target = getattr(form, refused.field) if refused.field else None
            if target is not None:
                target.errors = [*target.errors, refused.message]
            else:
                form.form_errors.append(refused.message)
        else:
            flash(MSG_LINKED.format(nur=demande.nur), "success")
            return redirect(url_for("portal.espace"))
    return render_template("portal/link.html", form=form), 422 if form.errors else 200


# --------------------------------------------------------------------------- renewal


@bp.route("/mon-espace/demandes/<nur>/renouveler", methods=["GET", "POST"])
@roles_required("demandeur")
def demande_renew(nur: str):
    demande = _own(nur, ("active", "expiree"))
    today = platform_today()
    state = renewal_state(demande, today)
    form = RenewalForm(data={"rfr_n2": demande.rfr_n2, "rfr_n1": demande.rfr_n1,
                             "monthly_resources": demande.monthly_resources}
                       if request.method == "GET" else None)
    if state.renewable and form.validate_on_submit():
        try:
            renew_demande(current_user, demande, today, rfr_n2=form.rfr_n2.data,
                          rfr_n1=form.rfr_n1.data, monthly_resources=form.monthly_resources.data)
        except RenewalRefused as refused:
            form.form_errors.append(str(refused))
        else:
            flash(MSG_RENEWED.format(nur=demande.nur, until=fr_date(
                renewal_state(demande, today).expires_on)), "success")
            return redirect(url_for("portal.espace"))
    status = 422 if form.errors else 200
    return render_template("portal/renew.html", form=form, demande=demande, state=state), status


# --------------------------------------------------------------------------- documents


@bp.route("/mon-espace/demandes/<nur>/justificatifs", methods=["GET", "POST"])
@roles_required("demandeur")
def documents(nur: str):
    demande = _own(nur)
    form = DocumentForm()
    if request.method == "GET" and request.args.get("critere"):
        form.criterion.data = request.args["critere"][:64]
    if form.validate_on_submit():
        try:
            document = upload_document(current_user, demande, form.criterion.data,
                                       request.files.get("file"))
        except UploadError as refused:
            form.file.errors = [str(refused)]
        else:
            flash(MSG_UPLOADED.format(name=document.original_name), "success")
            return redirect(url_for("portal.documents", nur=nur))
    status = 422 if form.errors else 200
    return render_template("portal/documents.html", demande=demande, form=form,
                           delete_form=DeleteForm(), criteria=documents_by_criterion(demande),
                           max_size=_size_label(current_app.config["UPLOAD_MAX_BYTES"]),
                           editable=demande.status in ("active", "brouillon")), status


def _size_label(size: int) -> str:
    """8388608 → "8 Mo"; 4096 → "4 Ko"."""
    if size >= 1024 * 1024:
        return f"{fr.decimal(size / 1024 / 1024, 1)} Mo"
    return f"{fr.decimal(size / 1024, 0)} Ko"


@bp.route("/mon-espace/justificatifs/<int:document_id>")
@roles_required("demandeur")
def document_file(document_id: int):
    document = or_404(own_document(current_user, document_id))
    # Always as an attachment: an uploaded file never renders under the platform's origin.
    return send_stored(document.storage_key, document.content_type, document.original_name)


@bp.route("/mon-espace/justificatifs/<int:document_id>/supprimer", methods=["POST"])
@roles_required("demandeur")
def document_delete(document_id: int):
    document = or_404(own_document(current_user, document_id))
    nur = db.session.get(Demande, document.demande_id).nur
    if DeleteForm().validate_on_submit():
        delete_document(current_user, document)
        flash(MSG_DELETED, "success")
    return redirect(url_for("portal.documents", nur=nur))


# --------------------------------------------------------------------------- cotation


def _cotation_context() -> dict:
    demandes = [d for d in active_demandes_of(current_user) if d.status == "active"]
    pages = []
    for demande in demandes:
        try:
            pages.append({"ok": True, **ma_cotation(demande, platform_today())})
        except NoCotation as exc:
            pages.append({"ok": False, "demande": demande, "message": str(exc)})
    return {"pages": pages, "today": platform_today()}


@bp.route("/mon-espace/cotation")
@roles_required("demandeur")
def cotation():
    return render_template("portal/cotation.html", **_cotation_context())


@bp.route("/mon-espace/cotation.pdf")
@roles_required("demandeur")
def cotation_pdf():
    context = _cotation_context()
    if not context["pages"]:
        abort(404)
    pdf = render_pdf("pdf/attestation_cotation.html", user=current_user, **context)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'inline; filename="attestation-cotation.pdf"',
    })


@bp.route("/cotation/<slug>")
@public
def public_cotation(slug: str):
    epci = or_404(epci_by_slug(slug[:64]))
    try:
        grid = public_grid(epci)
    except NoCotation as exc:
        return render_template("portal/public_grid.html", epci=epci, missing=str(exc)), 404
    return render_template("portal/public_grid.html", missing=None, **grid)
