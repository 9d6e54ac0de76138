"""Gestion en flux in the bailleur's space: conventions (list, create, edit as a new version,
history, import, export), vacancies to orient (declare, the engine's proposal, confirm or
override, batch confirm), deadlines and takeback, realised vs share per convention.

Thin views: the rules are in app/flux/ (conventions, orientation, queries)."""

from __future__ import annotations

import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import roles_required
from app.accounts.models import Organisation
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.extensions import db
from app.flux.conventions import (
    ConventionRefused,
    bailleur_conventions,
    create_convention,
    export_csv,
    export_jsonl,
    own_share,
    update_convention,
    versions,
)
from app.flux.imports import import_conventions
from app.flux.models import Convention
from app.flux.orientation import (
    OrientationRefused,
    confirm,
    declare_vacancy,
    due_for_takeback,
    propose,
    takeback,
    takeback_due,
)
from app.flux.queries import (
    convention_progress,
    days_left,
    offers_to_orient,
    oriented_offers,
    own_offer,
    own_shares,
    progress_of,
)
from app.inputs import parse_id
from app.patrimoine.models import Logement
from app.spaces.bailleur.forms import (
    ActionForm,
    BatchForm,
    ConventionCreateForm,
    ConventionEditForm,
    ConventionImportForm,
    OrientationForm,
    VacancyForm,
)
from app.spaces.bailleur.views import bp
from app.spaces.fields import choice, read_import_text
from app.web import or_404


def _org() -> Organisation:
    return current_user.organisation


def _own_convention(convention_id: int) -> Convention:
    convention = db.session.get(Convention, convention_id)
    if convention is None or convention.bailleur_id != current_user.organisation_id:
        return or_404(None)
    return convention


def _refused(form, exc: ConventionRefused) -> None:
    for name, messages in exc.errors.items():
        target = form[name] if name in form else form.share_percent
        target.errors = list(target.errors) + messages


# --------------------------------------------------------------------------- conventions


@bp.route("/conventions")
@roles_required("bailleur")
@commit_rule(NEVER)
def conventions():
    items = bailleur_conventions(current_user.organisation_id)
    today = platform_today()
    return render_template("bailleur/conventions.html", progress=progress_of(items, today),
                           shares=own_shares(items), today=today,
                           import_form=ConventionImportForm(formdata=None))


@bp.route("/conventions/<int:convention_id>")
@roles_required("bailleur")
@commit_rule(NEVER)
def convention(convention_id: int):
    c = _own_convention(convention_id)
    today = platform_today()
    return render_template("bailleur/convention.html", convention=c, versions=versions(c),
                           progress=convention_progress(c, today),
                           own_share=own_share(c.bailleur_id, c.departement, c.year))


def _reservataire_choices() -> list:
    orgs = db.session.scalars(select(Organisation).where(Organisation.kind == "reservataire")
                              .order_by(Organisation.name))
    return [choice("", "Choisissez un réservataire")] + [
        choice(str(o.id), f"{o.name} ({o.kind_label})") for o in orgs]


@bp.route("/conventions/nouvelle", methods=["GET", "POST"])
@roles_required("bailleur")
def convention_create():
    form = ConventionCreateForm()
    form.reservataire.choices = _reservataire_choices()
    if request.method == "GET":
        form.departement.data = _org().departement
        form.year.data = platform_today().year
        form.designation_delay_days.data = 30
        form.counts_after_takeback.data = True
    elif form.validate():
        reservataire = db.session.get(Organisation, parse_id(form.reservataire.data) or 0)
        try:
            if reservataire is None:
                raise ConventionRefused({"reservataire": ["Choisissez un réservataire."]})
            created = create_convention(_org(), reservataire, form.values())
        except ConventionRefused as exc:
            _refused(form, exc)
        else:
            flash(f"Convention {created.ref} enregistrée.", "success")
            return redirect(url_for("bailleur.convention", convention_id=created.id))
    return _convention_form(form, None)


@bp.route("/conventions/<int:convention_id>/modifier", methods=["GET", "POST"])
@roles_required("bailleur")
def convention_edit(convention_id: int):
    c = _own_convention(convention_id)
    form = ConventionEditForm()
    if request.method == "GET":
        form.fill(c)
    elif form.validate():
        try:
            changed = update_convention(c, form.values(), actor=current_user,
                                        note=(form.change_note.data or "").strip() or None)
        except ConventionRefused as exc:
            _refused(form, exc)
        else:
            flash(f"Convention {c.ref} : version {c.version} enregistrée." if changed
                  else "Aucune modification.", "success")
            return redirect(url_for("bailleur.convention", convention_id=c.id))
    return _convention_form(form, c)


def _convention_form(form, c: Convention | None):
    status = 422 if form.errors else 200
    if c is not None:
        dep, year, current = c.departement, c.year, c.id
    else:
        dep = (form.departement.data or _org().departement or "")[:3]
        year, current = form.year.data or platform_today().year, None
    share = form.share_percent.data if isinstance(form.share_percent.data, float | int) else 0
    remainder = own_share(current_user.organisation_id, dep, year, (current, float(share or 0)))
    return render_template("bailleur/convention_form.html", form=form, convention=c,
                           own_share=remainder, departement=dep, year=year), status


@bp.route("/conventions/export.<fmt>")
@roles_required("bailleur")
@commit_rule(NEVER)
def conventions_export(fmt: str):
    items = bailleur_conventions(current_user.organisation_id)
    if fmt == "csv":
        body, mimetype = export_csv(items), "text/csv"
    elif fmt == "jsonl":
        body, mimetype = export_jsonl(items), "application/x-ndjson"
    else:
        return or_404(None)
    return Response(body, mimetype=f"{mimetype}; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=conventions-{_org().slug}.{fmt}"})


@bp.route("/conventions/import", methods=["POST"])
@roles_required("bailleur")
def conventions_import():
    form = ConventionImportForm()
    report = None
    if form.validate():
        text = read_import_text(form.file)
        if text is not None:
            report = import_conventions(io.StringIO(text, newline=""), form.fmt.data,
                                        bailleur=_org())
            if report.ok:
                flash(report.summary(), "success")
                return redirect(url_for("bailleur.conventions"))
    return render_template("bailleur/conventions_import.html", form=form, report=report), 422


# --------------------------------------------------------------------------- orientation


@bp.route("/orientation")
@roles_required("bailleur")
@commit_rule(NEVER)
def orientation():
    today = platform_today()
    offres = offers_to_orient(current_user.organisation_id)
    try:
        proposals, problem = propose(offres, today), None
    except OrientationRefused as exc:
        proposals, problem = [], str(exc)
    return render_template("bailleur/orientation.html", proposals=proposals, problem=problem,
                           offres=offres, today=today, batch=BatchForm(formdata=None))


@bp.route("/orientation/<int:offre_id>", methods=["GET", "POST"])
@roles_required("bailleur")
def orientation_offre(offre_id: int):
    offre = or_404(own_offer(current_user.organisation_id, offre_id))
    if offre.flux_status != "a_orienter":
        flash("Cette offre est déjà orientée.", "info")
        return redirect(url_for("bailleur.echeances"))
    today = platform_today()
    form = OrientationForm()
    try:
        proposal = propose([offre], today)[0]
    except OrientationRefused as exc:
        return render_template("bailleur/orientation_offre.html", offre=offre, proposal=None,
                               problem=str(exc), form=form), 422
    form.chosen.choices = [choice(p, label) for p, label in proposal.choices()] or [
        choice("", "Hors flux")]
    if request.method == "GET":
        form.chosen.data = proposal.to or ""
    elif form.validate():
        try:
            confirm(offre, today, actor=current_user, chosen=form.chosen.data or None,
                    override_reason=form.override_reason.data, proposal=proposal)
        except OrientationRefused as exc:
            target = form[exc.field] if exc.field in ("chosen", "override_reason") \
                else form.chosen
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash(f"Offre {offre.ref} orientée.", "success")
            return redirect(url_for("bailleur.orientation"))
    return render_template("bailleur/orientation_offre.html", offre=offre, proposal=proposal,
                           problem=None, form=form), 422 if form.errors else 200


@bp.route("/orientation/confirmer", methods=["POST"])
@roles_required("bailleur")
def orientation_batch():
    form = BatchForm()
    offres = offers_to_orient(current_user.organisation_id)
    form.offres.choices = [choice(str(o.id), o.ref) for o in offres]
    if not form.validate() or not form.offres.data:
        flash("Cochez au moins une offre à orienter.", "error")
        return redirect(url_for("bailleur.orientation"))
    chosen = {int(i) for i in form.offres.data}
    today = platform_today()
    try:
        for proposal in propose([o for o in offres if o.id in chosen], today):
            confirm(proposal.offre, today, actor=current_user, proposal=proposal)
    except OrientationRefused as exc:
        db.session.rollback()  # all or nothing: none of the batch is kept
        flash(str(exc), "error")
        return redirect(url_for("bailleur.orientation"), 303)
    flash(f"{len(chosen)} offre(s) orientée(s) selon la proposition.", "success")
    return redirect(url_for("bailleur.orientation"))


@bp.route("/orientation/vacance", methods=["GET", "POST"])
@roles_required("bailleur")
def orientation_vacancy():
    form = VacancyForm()
    if request.method == "GET":
        form.declared_on.data = platform_today()
    elif form.validate():
        logement = db.session.scalar(select(Logement).where(
            Logement.bailleur_id == current_user.organisation_id,
            Logement.ref == form.logement.data))
        if logement is None:
            form.logement.errors = ["Aucun logement de votre patrimoine ne porte cette référence."]
        else:
            try:
                offre = declare_vacancy(logement, form.declared_on.data, form.available_on.data,
                                        excluded_from_base=form.excluded_from_base.data or None)
            except OrientationRefused as exc:
                target = form[exc.field] if exc.field in form else form.logement
                target.errors = list(target.errors) + [str(exc)]
            else:
                flash(f"Vacance déclarée : offre {offre.ref} à orienter.", "success")
                return redirect(url_for("bailleur.orientation_offre", offre_id=offre.id))
    return render_template("bailleur/vacancy_form.html", form=form), 422 if form.errors else 200


# --------------------------------------------------------------------------- deadlines


@bp.route("/echeances")
@roles_required("bailleur")
@commit_rule(NEVER)
def echeances():
    today = platform_today()
    offres = oriented_offers(current_user.organisation_id)
    rows = [(o, days_left(o, today)) for o in offres]
    return render_template("bailleur/echeances.html", rows=rows, today=today,
                           due=sum(1 for _, d in rows if d is not None and d < 0),
                           action=ActionForm(formdata=None))


@bp.route("/echeances/<int:offre_id>/reprendre", methods=["POST"])
@roles_required("bailleur")
def takeback_one(offre_id: int):
    offre = or_404(own_offer(current_user.organisation_id, offre_id))
    if not ActionForm().validate():
        flash("Le formulaire a expiré : recommencez.", "error")
        return redirect(url_for("bailleur.echeances"))
    try:
        event = takeback(offre, platform_today(), actor=current_user)
    except OrientationRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("bailleur.echeances"), 303)
    counted = "reste compté" if event.reservataire_id is None else "n'est plus compté"
    flash(f"Logement de l'offre {offre.ref} repris : il {counted} pour le réservataire.",
          "success")
    return redirect(url_for("bailleur.echeances"))


@bp.route("/echeances/reprendre", methods=["POST"])
@roles_required("bailleur")
def takeback_all():
    if not ActionForm().validate():
        flash("Le formulaire a expiré : recommencez.", "error")
        return redirect(url_for("bailleur.echeances"))
    today = platform_today()
    if not due_for_takeback(today, current_user.organisation_id):
        flash("Aucun délai de désignation n'est échu.", "info")
        return redirect(url_for("bailleur.echeances"))
    report = takeback_due(today, bailleur_id=current_user.organisation_id, actor=current_user)
    flash(f"{report.taken_back} logement(s) repris ({report.still_counted} toujours compté(s), "
          f"{report.not_counted} décompté(s)).", "success")
    return redirect(url_for("bailleur.echeances"))
