"""État des lieux initial: import of a bailleur's réservations in stock, the shares they give,
the comparison with the conventions, and the report (CSV, PDF) each réservataire reads.

The import is all or nothing (``app/imports.py``'s report: every bad line with its field
and reason); a good file replaces the bailleur's previous état des lieux. The shares are
computed by ``matching.flux.etat_des_lieux`` (dwellings not concerned by the flux left out).
Services flush, never commit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from app.accounts.models import Organisation, User
from app.adapters import bilan as adapters
from app.adapters.records import convention_record
from app.extensions import db
from app.flux.models import Convention, ReservationStock
from app.imports import ImportReport, organisations_by_slug
from app.patrimoine.models import Logement
from matching import fr, records
from matching.flux import etat_des_lieux as engine
from matching.records import LineError

MAX_LINES = 200_000


def import_stock(bailleur: Organisation, stream: Iterable[str], *, actor: User | None = None
                 ) -> ImportReport:
    """Import an état des lieux (CSV ``logement,reservataire,convention,date_fin``)."""
    good, errors = records.read_records(stream, engine.parse_stock_line, "csv")
    report = ImportReport("reservations_stock", read=len(good) + len(errors),
                          errors=list(errors))
    if report.read > MAX_LINES:
        report.errors.append(LineError(0, "", f"{MAX_LINES} lignes au plus"))
        return report
    logements = dict(db.session.execute(
        select(Logement.ref, Logement.id).where(Logement.bailleur_id == bailleur.id,
                                                Logement.retired_on.is_(None))).all())
    reservataires = organisations_by_slug("reservataire")
    seen: dict[str, int] = {}
    for line, r in good:
        if r.logement not in logements:
            report.errors.append(LineError(line, "logement", (
                f"aucun logement de votre patrimoine ne porte la référence {r.logement!r}")))
        elif r.logement in seen:
            report.errors.append(LineError(line, "logement", (
                f"logement déjà réservé à la ligne {seen[r.logement]} : un seul réservataire "
                "par logement")))
        else:
            seen[r.logement] = line
        if r.reservataire not in reservataires:
            report.errors.append(LineError(line, "reservataire",
                                           f"réservataire inconnu : {r.reservataire!r}"))
    report.errors.sort(key=lambda e: (e.line, e.path))
    if report.errors:
        return report
    db.session.execute(delete(ReservationStock).where(ReservationStock.bailleur_id == bailleur.id))
    rows = [{"bailleur_id": bailleur.id, "logement_id": logements[r.logement],
             "reservataire_id": reservataires[r.reservataire].id,
             "convention_ref": r.convention, "ends_on": r.ends_on,
             "imported_by_id": actor.id if actor is not None else None}
            for _, r in good]
    if rows:
        db.session.execute(ReservationStock.__table__.insert(),
                           [{**row, "imported_at": _now()} for row in rows])
    db.session.flush()
    report.inserted = {"reservations_stock": len(rows)}
    return report


def _now():
    from app.columns import utcnow

    return utcnow()


def export_stock_csv(bailleur_id: int) -> str:
    """The bailleur's état des lieux in the import format (a round trip gives it back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(engine.CSV_COLUMNS)
    for r in adapters.stock_reservations(bailleur_id):
        writer.writerow([r.logement, r.reservataire, r.convention or "",
                         r.ends_on.isoformat() if r.ends_on else ""])
    return out.getvalue()


@dataclass(frozen=True)
class StockReport:
    """The état des lieux of a bailleur on a date, with names for the screens."""

    bailleur: Organisation
    on: date
    year: int
    departements: list[engine.DepartementStock]
    comparisons: list[engine.ShareComparison]
    names: dict[str, str]
    imported: int  # lines of the état des lieux

    def name(self, slug: str) -> str:
        return self.names.get(slug, slug)

    def for_reservataire(self, slug: str) -> StockReport:
        """The report as one réservataire reads it: its own lines only."""
        deps = [engine.DepartementStock(
            d.departement, d.dwellings, d.not_concerned, d.base,
            tuple(s for s in d.shares if s.reservataire == slug), d.expired, d.left_out_reserved)
            for d in self.departements]
        return StockReport(self.bailleur, self.on, self.year, deps,
                           [c for c in self.comparisons if c.reservataire == slug],
                           self.names, self.imported)


def stock_report(bailleur: Organisation, on: date, year: int | None = None) -> StockReport:
    """The état des lieux on ``on``, compared with the conventions of ``year`` (default: the
    bailleur's most recent conventions up to ``on``'s year)."""
    year = year or db.session.scalar(
        select(func.max(Convention.year)).where(Convention.bailleur_id == bailleur.id,
                                                Convention.year <= on.year)) or on.year
    reservations = adapters.stock_reservations(bailleur.id)
    departements = engine.stock_shares(adapters.stock_dwellings(bailleur.id), reservations, on)
    conventions = [convention_record(c) for c in db.session.scalars(
        select(Convention).where(Convention.bailleur_id == bailleur.id, Convention.year == year))]
    comparisons = engine.compare_with_conventions(departements, conventions, bailleur.slug, year)
    names = dict(db.session.execute(select(Organisation.slug, Organisation.name)).all())
    return StockReport(bailleur, on, year, departements, comparisons, names, len(reservations))


def has_stock(bailleur_id: int, reservataire_id: int | None = None) -> bool:
    query = select(ReservationStock.id).where(ReservationStock.bailleur_id == bailleur_id)
    if reservataire_id is not None:
        query = query.where(ReservationStock.reservataire_id == reservataire_id)
    return db.session.scalar(query.limit(1)) is not None


def stock_bailleurs(reservataire_id: int) -> list[Organisation]:
    """The bailleurs whose état des lieux names this réservataire."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(ReservationStock.bailleur_id)
            .where(ReservationStock.reservataire_id == reservataire_id)))
        .order_by(Organisation.name)))


REPORT_COLUMNS = ("departement", "reservataire", "logements_reserves", "logements_du_flux",
                  "part_etat_des_lieux", "convention", "part_convention", "ecart_points")


def report_csv(report: StockReport) -> str:
    """One row per réservataire and département: stock share against the convention's."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    stock = {(d.departement, s.reservataire): (s, d) for d in report.departements
             for s in d.shares}
    bases = {d.departement: d.base for d in report.departements}
    for c in report.comparisons:
        s, _ = stock.get((c.departement, c.reservataire), (None, None))
        writer.writerow([c.departement, c.reservataire, s.reserved if s else 0,
                         bases.get(c.departement, 0),
                         "" if c.stock_percent is None else f"{c.stock_percent:.2f}",
                         c.convention or "",
                         "" if c.convention_percent is None else f"{c.convention_percent:.2f}",
                         "" if c.gap is None else f"{c.gap:.2f}"])
    return out.getvalue()


def report_pdf(report: StockReport, reservataire: Organisation | None = None) -> bytes:
    from app.pdf import render_pdf

    return render_pdf("pdf/bilan_etat_des_lieux.html", report=report, reservataire=reservataire,
                      fr=fr)
