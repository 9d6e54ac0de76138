"""The bailleur's état des lieux (import, report), yearly objectives vs realised (chart) and
bilan annuel (screen, PDF, CSV). Thin views: the rules are in app/flux/ (etat_des_lieux,
objectives, bilan)."""

from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Organisation
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.flux import bilan as bilans
from app.flux import etat_des_lieux as stock
from app.flux import objectives as flux_objectives
from app.inputs import parse_int
from app.spaces.bailleur.bilan_forms import ForecastForm, StockImportForm
from app.spaces.bailleur.views import bp
from app.spaces.fields import read_import_text


def _org() -> Organisation:
    return current_user.organisation


def _year_arg(default: int) -> int:
    raw = request.args.get("year") or request.form.get("year") or ""
    if not raw:
        return default
    year = parse_int(raw, minimum=2000, maximum=2100) if raw.isascii() and raw.isdigit() \
        else None
    if year is None:
        abort(404)
    return year


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        abort(404)


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


# --------------------------------------------------------------------------- état des lieux


@bp.route("/etat-des-lieux")
@roles_required("bailleur")
@commit_rule(NEVER)
def etat_des_lieux():
    today = platform_today()
    return render_template("bailleur/etat_des_lieux.html",
                           report=stock.stock_report(_org(), today), form=StockImportForm(
                               formdata=None), errors=None)


@bp.route("/etat-des-lieux/import", methods=["POST"])
@roles_required("bailleur")
def etat_des_lieux_import():
    form = StockImportForm()
    report = None
    if form.validate():
        text = read_import_text(form.file)
        if text is not None:
            report = stock.import_stock(_org(), io.StringIO(text, newline=""),
                                        actor=current_user)
            if report.ok:
                flash(f"État des lieux importé : {report.read} réservation(s).", "success")
                return redirect(url_for("bailleur.etat_des_lieux"))
    return render_template("bailleur/etat_des_lieux.html",
                           report=stock.stock_report(_org(), platform_today()), form=form,
                           errors=report), 422


@bp.route("/etat-des-lieux/export.csv")
@roles_required("bailleur")
@commit_rule(NEVER)
def etat_des_lieux_export():
    return _download(stock.export_stock_csv(current_user.organisation_id),
                     "text/csv; charset=utf-8", f"etat-des-lieux-{_org().slug}.csv")


@bp.route("/etat-des-lieux/rapport.<fmt>")
@roles_required("bailleur")
@commit_rule(NEVER)
def etat_des_lieux_report(fmt: str):
    report = stock.stock_report(_org(), platform_today())
    name = f"etat-des-lieux-rapport-{_org().slug}"
    if fmt == "csv":
        return _download(stock.report_csv(report), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "pdf":
        return _download(stock.report_pdf(report), "application/pdf", f"{name}.pdf")
    abort(404)


# --------------------------------------------------------------------------- objectives


@bp.route("/objectifs", methods=["GET", "POST"])
@roles_required("bailleur")
def objectifs():
    today = platform_today()
    deps = flux_objectives.departements(_org())
    departement = request.args.get("departement") or (deps[0] if deps else "")
    if departement not in deps:
        abort(404)
    year = _year_arg(today.year)
    settings = flux_objectives.forecast_settings(_org().id, departement, year)
    form = ForecastForm()
    if request.method == "GET":
        form.fill(settings)
        if settings is None:
            form.mutations_hors_base.data = "internes"
    elif form.validate():
        flux_objectives.save_settings(_org(), departement, year, form.values(),
                                      actor=current_user)
        flash("Paramètres de la prévision enregistrés.", "success")
        return redirect(url_for("bailleur.objectifs", departement=departement, year=year))
    view = flux_objectives.objectives(_org(), departement, year, today)
    return render_template("bailleur/objectifs.html", view=view, form=form, deps=deps,
                           bars=flux_objectives.chart_bars(view.lines),
                           years=range(today.year - 2, today.year + 2)), \
        422 if form.errors else 200


# --------------------------------------------------------------------------- bilan annuel


@bp.route("/bilan")
@roles_required("bailleur")
@commit_rule(NEVER)
def bilan():
    today = platform_today()
    years = bilans.years_with_events([current_user.organisation_id])
    year = _year_arg(bilans.default_year(years, today))
    doc = bilans.document(_org(), year, today=today)
    return render_template("bailleur/bilan.html", doc=doc, bilan=doc.bilan, years=years,
                           bars=bilans.chart(doc), parts=bilans.CSV_FILES,
                           engine=bilans.engine)


@bp.route("/bilan/<int:year>.pdf")
@roles_required("bailleur")
@commit_rule(NEVER)
def bilan_pdf(year: int):
    _check_year(year)
    doc = bilans.document(_org(), year, today=platform_today())
    return _download(bilans.render_pdf(doc), "application/pdf", doc.filename("pdf"))


@bp.route("/bilan/<int:year>-<part>.csv")
@roles_required("bailleur")
@commit_rule(NEVER)
def bilan_csv(year: int, part: str):
    _check_year(year)
    if part not in bilans.CSV_FILES:
        abort(404)
    doc = bilans.document(_org(), year, today=platform_today())
    return _download(bilans.csv_text(doc, part), "text/csv; charset=utf-8",
                     doc.filename("csv", part))
