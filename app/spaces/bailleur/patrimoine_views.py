"""The bailleur's parc: edit a logement, retire it, exclude it from the flux, import a file.

Routes on the bailleur blueprint, bailleur only. Another bailleur's logement answers 404.
An edit carries the version of the logement the person saw: a stale one is refused (422)
with the form re-displayed as typed and the values saved in between shown beside it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.clock import platform_today
from app.patrimoine.services import (
    EDITABLE_FIELDS,
    EditConflict,
    PatrimoineError,
    exclude_logement,
    import_logements,
    owned_logement,
    retire_logement,
    update_logement,
)
from app.spaces.bailleur.patrimoine_forms import (
    ExcludeForm,
    ImportForm,
    LogementForm,
    RetireForm,
    logement_data,
)
from app.spaces.bailleur.views import bp
from app.spaces.fields import read_import_text
from app.web import or_404

IMPORT_MAX_ERRORS_SHOWN = 200


def _refuse(form, error: PatrimoineError) -> None:
    """Put a service's refusal next to its field, or on top when it concerns the form."""
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _conflict_values(form: LogementForm, logement) -> dict[str, object]:
    """The fields whose saved value differs from what the person typed."""
    try:
        typed = form.values()
    except ValueError:
        typed = {}
    return {name: getattr(logement, name) for name in EDITABLE_FIELDS
            if name in typed and typed[name] != getattr(logement, name)}


@bp.route("/logements/<int:logement_id>/modifier", methods=["GET", "POST"])
@roles_required("bailleur")
def logement_edit(logement_id: int):
    logement = or_404(owned_logement(current_user, logement_id))
    form = LogementForm(data=logement_data(logement) if request.method == "GET" else None)
    conflict = None
    if request.method == "POST" and form.validate():
        try:
            values = form.values()
        except ValueError as exc:
            form.floor.errors = [str(exc)]
        else:
            try:
                update_logement(logement, values, expected_version=form.expected_version())
            except EditConflict as exc:
                conflict = _conflict_values(form, exc.logement)
                _show_conflict(form, exc)
            except PatrimoineError as exc:
                _refuse(form, exc)
            else:
                flash(f"Le logement {logement.ref} est enregistré.", "success")
                return redirect(url_for("bailleur.logement", logement_id=logement.id))
    status = 422 if form.errors else 200
    return render_template("bailleur/logement_form.html", form=form, logement=logement,
                           conflict=conflict), status


def _show_conflict(form, exc: EditConflict) -> None:
    """Someone saved the logement first: say so; saving again now overwrites knowingly, since
    the form carries the version just read."""
    form.form_errors.append(str(exc))
    form.version.raw_data = None
    form.version.data = str(exc.logement.version)


@bp.route("/logements/<int:logement_id>/sortie", methods=["GET", "POST"])
@roles_required("bailleur")
def logement_retire(logement_id: int):
    logement = or_404(owned_logement(current_user, logement_id))
    form = RetireForm(data={"version": str(logement.version),
                            "retired_on": platform_today()} if request.method == "GET" else None)
    if request.method == "POST" and form.validate():
        try:
            retire_logement(logement, reason=form.reason.data, on=form.retired_on.data,
                            expected_version=form.expected_version())
        except EditConflict as exc:
            _show_conflict(form, exc)
        except PatrimoineError as exc:
            _refuse(form, exc)
        else:
            flash(f"Le logement {logement.ref} est sorti du patrimoine.", "success")
            return redirect(url_for("bailleur.logement", logement_id=logement.id))
    status = 422 if form.errors else 200
    return render_template("bailleur/logement_retire.html", form=form,
                           logement=logement), status


@bp.route("/logements/<int:logement_id>/exclusion", methods=["GET", "POST"])
@roles_required("bailleur")
def logement_exclude(logement_id: int):
    logement = or_404(owned_logement(current_user, logement_id))
    form = ExcludeForm(data={"version": str(logement.version),
                             "reason": logement.hors_flux_reason or ""}
                       if request.method == "GET" else None)
    if request.method == "POST" and form.validate():
        try:
            exclude_logement(logement, reason=form.reason.data or None,
                             expected_version=form.expected_version())
        except EditConflict as exc:
            _show_conflict(form, exc)
        except PatrimoineError as exc:
            _refuse(form, exc)
        else:
            flash(f"Le logement {logement.ref} est exclu du flux." if logement.hors_flux_reason
                  else f"Le logement {logement.ref} est dans le flux.", "success")
            return redirect(url_for("bailleur.logement", logement_id=logement.id))
    status = 422 if form.errors else 200
    return render_template("bailleur/logement_exclude.html", form=form,
                           logement=logement), status


@bp.route("/logements/import", methods=["GET", "POST"])
@roles_required("bailleur")
def logements_import():
    form = ImportForm()
    report = None
    if request.method == "POST" and form.validate():
        text = read_import_text(form.file)
        if text is not None:
            report = import_logements(current_user, text)
            if report.ok:
                flash(report.summary(), "success")
                return redirect(url_for("bailleur.logements"))
    status = 422 if form.errors or (report is not None and not report.ok) else 200
    return render_template("bailleur/logements_import.html", form=form, report=report,
                           max_errors=IMPORT_MAX_ERRORS_SHOWN), status
