"""The réservataire's bilans: its share with every bailleur (objective of the year vs
realised), the bilan annuel of each bailleur (its own lines, PDF and CSV) and the état des
lieux of each bailleur that names it. Another bailleur's documents answer 404."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Organisation
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.extensions import db
from app.flux import bilan as bilans
from app.flux import etat_des_lieux as stock
from app.flux import objectives as flux_objectives
from app.inputs import parse_int
from app.spaces.reservataire.views import bp
from app.web import or_404


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _partner(bailleur_id: int) -> Organisation:
    """A bailleur the réservataire has a convention with (else 404)."""
    found = [b for b in bilans.bailleurs_of_reservataire(current_user.organisation_id)
             if b.id == bailleur_id]
    return or_404(found[0] if found else None)


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        abort(404)
    return year


@bp.route("/bilans")
@roles_required("reservataire")
@commit_rule(NEVER)
def bilans_page():
    today = platform_today()
    me = current_user.organisation
    raw = request.args.get("year") or ""
    year = parse_int(raw, minimum=2000, maximum=2100) if raw.isascii() and raw.isdigit() \
        else None
    if raw and year is None:
        abort(404)
    year = year or today.year
    rows = []
    partners = bilans.bailleurs_of_reservataire(me.id)
    for bailleur in partners:
        for dep in flux_objectives.departements(bailleur):
            view = flux_objectives.objectives(bailleur, dep, year, today)
            mine = [line for line in view.lines if line.participant == me.slug]
            if mine or view.problem:
                rows.append({"bailleur": bailleur, "departement": dep, "view": view,
                             "line": mine[0] if mine else None})
    years = bilans.years_with_events([b.id for b in partners]) if partners else []
    stocks = stock.stock_bailleurs(me.id)
    return render_template("reservataire/bilans.html", rows=rows, year=year, today=today,
                           partners=partners, years=years, stocks=stocks,
                           parts=bilans.CSV_FILES,
                           bars=flux_objectives.chart_bars(
                               [r["line"] for r in rows if r["line"] is not None]))


@bp.route("/bilans/<int:bailleur_id>/<int:year>.pdf")
@roles_required("reservataire")
@commit_rule(NEVER)
def bilan_pdf(bailleur_id: int, year: int):
    doc = bilans.document(_partner(bailleur_id), _year(year), audience="reservataire",
                          reader=current_user.organisation, today=platform_today())
    return _download(bilans.render_pdf(doc), "application/pdf", doc.filename("pdf"))


@bp.route("/bilans/<int:bailleur_id>/<int:year>-<part>.csv")
@roles_required("reservataire")
@commit_rule(NEVER)
def bilan_csv(bailleur_id: int, year: int, part: str):
    if part not in bilans.CSV_FILES:
        abort(404)
    doc = bilans.document(_partner(bailleur_id), _year(year), audience="reservataire",
                          reader=current_user.organisation, today=platform_today())
    return _download(bilans.csv_text(doc, part), "text/csv; charset=utf-8",
                     doc.filename("csv", part))


@bp.route("/etat-des-lieux/<int:bailleur_id>.<fmt>")
@roles_required("reservataire")
@commit_rule(NEVER)
def etat_des_lieux_report(bailleur_id: int, fmt: str):
    me = current_user.organisation
    bailleur = db.session.get(Organisation, bailleur_id)
    if bailleur is None or not stock.has_stock(bailleur_id, me.id) or fmt not in ("pdf", "csv"):
        abort(404)
    report = stock.stock_report(bailleur, platform_today()).for_reservataire(me.slug)
    name = f"etat-des-lieux-{bailleur.slug}-{me.slug}"
    if fmt == "csv":
        return _download(stock.report_csv(report), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(stock.report_pdf(report, reservataire=me), "application/pdf",
                     f"{name}.pdf")
