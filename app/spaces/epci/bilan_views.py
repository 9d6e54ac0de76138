"""The EPCI's overview of the gestion en flux on its territory: every bailleur × réservataire
(shares, objectives, realised, compliance, the 25 % priority obligation, the quartile
ratios), the yearly quartile threshold it enters from the arrêté, and the bilans of the
bailleurs' dwellings on its territory (PDF, CSV). Another territory's bilan answers 404."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import roles_required
from app.accounts.models import Organisation
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.extensions import db
from app.flux import bilan as bilans
from app.flux.models import Convention, QuartileThreshold
from app.inputs import parse_int
from app.spaces.epci.bilan_forms import ThresholdForm
from app.spaces.epci.views import bp
from app.web import or_404

COUNTED = {"mise_a_disposition": "made_available", "attribution": "allocated",
           "bail_signe": "leased"}


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _year_arg(default: int) -> int:
    raw = request.args.get("year") or ""
    if not raw:
        return default
    year = parse_int(raw, minimum=2000, maximum=2100) if raw.isascii() and raw.isdigit() \
        else None
    if year is None:
        abort(404)
    return year


def _territory_bailleur(bailleur_id: int) -> Organisation:
    found = [b for b in bilans.bailleurs_of_epci(current_user.organisation_id)
             if b.id == bailleur_id]
    return or_404(found[0] if found else None)


def _rows(doc: bilans.BilanDocument, conventions: list[Convention]) -> list[dict]:
    """Each convention on the territory: share, objective (share × dwellings made available
    on the territory), realised (what it counts on) and compliance."""
    base = doc.bilan.total().made_available
    out = []
    for c in conventions:
        counts = doc.bilan.totals.get(c.reservataire.slug)
        realised = getattr(counts, COUNTED[c.counts_on]) if counts else 0
        objective = round(float(c.share_percent) * base / 100, 1)
        out.append({"convention": c, "share": float(c.share_percent), "objective": objective,
                    "realised": realised, "late": realised < objective - 1,
                    "priority": doc.bilan.ratios_for(c.reservataire.slug)})
    return out


@bp.route("/flux", methods=["GET", "POST"])
@roles_required("epci")
def flux_overview():
    today = platform_today()
    me = current_user.organisation
    partners = bilans.bailleurs_of_epci(me.id)
    years = bilans.years_with_events([b.id for b in partners]) if partners else []
    year = _year_arg(bilans.default_year(years, today))
    form = ThresholdForm()
    if request.method == "POST":
        if form.validate():
            row = bilans.threshold_row(me.id, form.year.data)
            if row is None:
                row = QuartileThreshold(epci_id=me.id, year=form.year.data)
                db.session.add(row)
            row.threshold = form.threshold.data
            row.arrete = form.arrete.data
            row.recorded_by_id = current_user.id
            db.session.flush()
            flash(f"Seuil du premier quartile {form.year.data} enregistré.", "success")
            return redirect(url_for("epci.flux_overview", year=form.year.data))
    else:
        current = bilans.threshold_row(me.id, year)
        form.year.data = year
        if current is not None:
            form.threshold.data, form.arrete.data = current.threshold, current.arrete
    sections = []
    for bailleur in partners:
        doc = bilans.document(bailleur, year, audience="epci", reader=me, today=today)
        conventions = list(db.session.scalars(
            select(Convention).where(Convention.bailleur_id == bailleur.id,
                                     Convention.year == year).order_by(Convention.id)))
        sections.append({"bailleur": bailleur, "doc": doc, "rows": _rows(doc, conventions)})
    return render_template("epci/flux.html", year=year, years=years, sections=sections,
                           form=form, threshold=bilans.threshold_row(me.id, year),
                           parts=bilans.CSV_FILES, engine=bilans.engine), \
        422 if form.errors else 200


@bp.route("/bilans/<int:bailleur_id>/<int:year>.pdf")
@roles_required("epci")
@commit_rule(NEVER)
def bilan_pdf(bailleur_id: int, year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    doc = bilans.document(_territory_bailleur(bailleur_id), year, audience="epci",
                          reader=current_user.organisation, today=platform_today())
    return _download(bilans.render_pdf(doc), "application/pdf", doc.filename("pdf"))


@bp.route("/bilans/<int:bailleur_id>/<int:year>-<part>.csv")
@roles_required("epci")
@commit_rule(NEVER)
def bilan_csv(bailleur_id: int, year: int, part: str):
    if not 2000 <= year <= 2100 or part not in bilans.CSV_FILES:
        abort(404)
    doc = bilans.document(_territory_bailleur(bailleur_id), year, audience="epci",
                          reader=current_user.organisation, today=platform_today())
    return _download(bilans.csv_text(doc, part), "text/csv; charset=utf-8",
                     doc.filename("csv", part))
