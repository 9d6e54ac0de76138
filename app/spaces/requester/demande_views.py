"""Ma demande de logement social: the requester files a demande or edits their own.

Routes on the portal blueprint, requester only (``@roles_required("demandeur")``):
GET/POST /mon-espace/demande/nouvelle and GET/POST /mon-espace/demande/<nur>/modifier.
The form works without JavaScript: "Ajouter une personne" and "Retirer" are submit buttons
that re-display the form with one row more or less, without checking anything.

Nothing typed is lost: every POST that does not file the demande keeps the form as a draft
(app/demandes/drafts.py), "Enregistrer le brouillon" included, and the next visit fills the
form from it. Both views therefore commit whatever they answer (``ALWAYS``): a refused form
writes nothing but the draft (the demande itself is written only after every check passed).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Organisation
from app.adapters.records import demande_identity, demande_record, member_first_names
from app.boundary import ALWAYS, commit_rule
from app.clock import platform_today
from app.demandes.drafts import discard_draft, draft_formdata, find_draft, save_draft
from app.demandes.models import Demande
from app.demandes.services import (
    DuplicateActiveDemande,
    active_demandes_of,
    create_demande,
    datalist_communes,
    epci_organisations,
    has_territory,
    own_active_demande,
    update_demande,
)
from app.extensions import db
from app.formatting import fr_date
from app.inputs import parse_int
from app.spaces.requester.demande_forms import (
    DATALIST_ID,
    DemandeForm,
    ErrorSummary,
    initial_data,
)
from app.spaces.requester.demande_labels import MAX_MEMBERS
from app.spaces.requester.views import bp
from app.territoire.queries import known_communes

MSG_DUPLICATE = (
    "Vous avez déjà une demande active sur ce territoire (n° {nur}). "
    "Modifiez-la plutôt que d'en déposer une seconde."
)
MSG_SAVED = "Votre demande n° {nur} est enregistrée."
MSG_DRAFT_SAVED = (
    "Votre brouillon est enregistré. Vous pouvez revenir le compléter plus tard depuis votre "
    "espace : rien de ce que vous avez saisi n'est perdu."
)


@bp.route("/mon-espace/demande/nouvelle", methods=["GET", "POST"])
@roles_required("demandeur")
@commit_rule(ALWAYS)
def demande_create():
    epcis = epci_organisations()
    draft = find_draft(current_user) if request.method == "GET" else None
    form = DemandeForm(
        **_resumed(draft),
        epci_choices=[(str(o.id), o.name) for o in epcis],
        commune_lookup=known_communes,
        territory_of=has_territory,
    )
    if request.method == "GET" and draft is None and len(epcis) == 1:
        form.epci.data = str(epcis[0].id)  # most platforms serve one territory
    if request.method == "POST" and "save_draft" in request.form:
        save_draft(current_user, request.form)
        flash(MSG_DRAFT_SAVED, "success")
        return redirect(url_for("portal.demande_create"))
    focus = _row_buttons(form) if request.method == "POST" else None
    if request.method == "POST" and focus is None and form.validate():
        today = platform_today()
        gated = form.gate(nur="nouvelle", filed_on=today)
        if gated is not None:
            record, first_names = gated
            epci = db.session.get(Organisation, form.selected_epci_id())
            try:
                demande = create_demande(current_user, epci, record, today=today,
                                         first_names=first_names, identity=form.identity())
            except DuplicateActiveDemande as duplicate:
                form.add_error(form.epci, MSG_DUPLICATE.format(nur=duplicate.nur))
            else:
                discard_draft(current_user)
                flash(MSG_SAVED.format(nur=demande.nur), "success")
                return redirect(url_for("portal.espace"))
    if request.method == "POST":
        save_draft(current_user, request.form)  # refused or a row added: keep what was typed
    return _render(form, demande=None, focus=focus, has_epci=bool(epcis), draft=draft)


@bp.route("/mon-espace/demande/<nur>/modifier", methods=["GET", "POST"])
@roles_required("demandeur")
@commit_rule(ALWAYS)
def demande_edit(nur: str):
    demande = own_active_demande(current_user, nur)
    if demande is None:  # another requester's, closed or unknown: the same answer
        abort(404)
    draft = find_draft(current_user, demande) if request.method == "GET" else None
    if request.method == "POST" and "save_draft" in request.form:
        save_draft(current_user, request.form, demande)
        flash(MSG_DRAFT_SAVED, "success")
        return redirect(url_for("portal.demande_edit", nur=demande.nur))
    form = DemandeForm(
        **_resumed(draft),
        data=initial_data(demande_record(demande), identity=demande_identity(demande),
                          first_names=member_first_names(demande))
        if request.method == "GET" and draft is None else None,
        commune_lookup=known_communes,
        territory_of=has_territory,
        fixed_epci=(demande.epci_id, demande.epci.name),
    )
    focus = _row_buttons(form) if request.method == "POST" else None
    if request.method == "POST" and focus is None and form.validate():
        gated = form.gate(
            nur=demande.nur, filed_on=demande.filed_on, renewed_on=demande.renewed_on,
            acd={"acd_labelled": demande.is_acd_labelled, "labelled_by": demande.labelled_by,
                 "labelled_on": demande.labelled_on},
        )
        if gated is not None:
            record, first_names = gated
            update_demande(current_user, demande, record, first_names=first_names,
                           identity=form.identity())
            discard_draft(current_user, demande)
            flash(MSG_SAVED.format(nur=demande.nur), "success")
            return redirect(url_for("portal.espace"))
    if request.method == "POST":
        save_draft(current_user, request.form, demande)
    return _render(form, demande=demande, focus=focus, has_epci=True, draft=draft)


def _resumed(draft) -> dict:
    """Fill the form from a draft; without one, let FlaskForm read the request as usual
    (an explicit ``formdata=None`` would make it ignore the posted data)."""
    return {"formdata": draft_formdata(draft)} if draft is not None else {}


def _row_buttons(form: DemandeForm) -> str | None:
    """Apply "Ajouter une personne" / "Retirer"; the id to focus, or None for a real submit."""
    if "add_member" in request.form:
        form.add_member()
        new_row = form.household.entries[-1].form
        new_row.role.render_kw = {"autofocus": True}
        return new_row.role.id
    removed = request.form.get("remove_member")
    if removed is not None:
        index = parse_int(removed, minimum=0, maximum=MAX_MEMBERS)
        if index is not None:
            form.remove_member(index)
        return "add-member"
    return None


def _render(form: DemandeForm, *, demande: Demande | None, focus: str | None, has_epci: bool,
            draft=None):
    existing = [] if demande is not None else active_demandes_of(current_user)
    # A refused form answers 422, so the request boundary rolls back whatever was started.
    status = 422 if form.errors else 200
    return render_template(
        "portal/demande_form.html",
        form=form,
        summary=ErrorSummary(form),
        demande=demande,
        existing=existing,
        has_epci=has_epci,
        focus=focus,
        draft_saved_at=fr_date(draft.saved_at) if draft is not None else None,
        datalist_id=DATALIST_ID,
        communes=datalist_communes(form.selected_epci_id()),
    ), status
