"""Bilan annuel of a bailleur's flux (CCH R.441-5-1, before 28 February of ``Y + 1``).

The ledger's events of ``Y`` become plain records (``app/adapters/bilan.py``) and are
aggregated by ``matching.flux.bilan``; this module adds what the database holds (the
EPCIs' quartile thresholds, the bailleur's forecast of ``Y + 1``, the dwellings out of the
flux, names) and renders the PDF (``app/pdf.py``) and the CSV files.

Audiences: the bailleur reads the whole bilan; a réservataire the part of each bailleur it
has a convention with (its own line, the bailleur's totals); an EPCI the bilan of the
bailleurs' dwellings on its territory. ``flask flux bilan`` writes them all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import extract, select

from app.accounts.models import Organisation
from app.adapters import bilan as adapters
from app.extensions import db
from app.flux.models import Convention, FluxEvent, FluxForecast, Offre, QuartileThreshold
from app.patrimoine.models import HORS_FLUX_REASON_LABELS, Logement
from app.territoire.models import Commune
from matching import fr
from matching.flux import bilan as engine

WITHDRAWAL_LABELS = {
    "mutations_internes": "Mutations de locataires du bailleur",
    "mutations_externes": "Mutations de locataires d'autres bailleurs",
    "relogements_npnru": "Relogements NPNRU (renouvellement urbain)",
    "relogements_orcod": "Relogements ORCOD (copropriétés dégradées)",
}
RELOGEMENT_LABELS = {"relogement_npnru": "Relogements NPNRU",
                     "relogement_orcod": "Relogements ORCOD"}
CSV_FILES = ("totaux", "details", "quartiles")


@dataclass(frozen=True)
class BilanDocument:
    """A bilan with what its documents show: names, audience, the participants shown."""

    bilan: engine.Bilan
    bailleur: Organisation
    names: dict[str, str]
    audience: str  # "bailleur", "reservataire" or "epci"
    reader: Organisation | None = None  # the réservataire or EPCI reading it
    provisional: bool = False  # the year is not over

    def name(self, participant: str | None) -> str:
        if participant is None:
            return f"{self.bailleur.name} (contingent propre)"
        return self.names.get(participant, participant)

    @property
    def shown(self) -> tuple[str | None, ...]:
        """The participants whose lines this audience reads."""
        if self.audience == "reservataire" and self.reader is not None:
            return (self.reader.slug,)
        return self.bilan.participants

    def filename(self, ext: str, part: str | None = None) -> str:
        who = f"-{self.reader.slug}" if self.reader is not None else ""
        extra = f"-{part}" if part else ""
        return f"bilan-{self.bilan.year}-{self.bailleur.slug}{who}{extra}.{ext}"


def thresholds(year: int) -> dict[str | None, float | None]:
    """Every EPCI's quartile threshold for the year (those entered)."""
    return {slug: float(value) for slug, value in db.session.execute(
        select(Organisation.slug, QuartileThreshold.threshold)
        .join(Organisation, QuartileThreshold.epci_id == Organisation.id)
        .where(QuartileThreshold.year == year))}


def threshold_row(epci_id: int, year: int) -> QuartileThreshold | None:
    return db.session.scalar(select(QuartileThreshold).where(
        QuartileThreshold.epci_id == epci_id, QuartileThreshold.year == year))


def withdrawals_forecast(bailleur_id: int, year: int) -> dict[str, int] | None:
    """The bailleur's forecast of the dwellings taken out of the base in ``year`` (all its
    départements), None when it has entered none."""
    rows = list(db.session.scalars(select(FluxForecast).where(
        FluxForecast.bailleur_id == bailleur_id, FluxForecast.year == year)))
    if not rows:
        return None
    return {key: sum(getattr(r, key) for r in rows) for key in WITHDRAWAL_LABELS}


def build(bailleur: Organisation, year: int, *, epci: Organisation | None = None
          ) -> engine.Bilan:
    """The bilan of ``year`` (on one EPCI's territory when ``epci`` is given)."""
    reservataires = [slug for slug, in db.session.execute(
        select(Organisation.slug).join(Convention, Convention.reservataire_id == Organisation.id)
        .where(Convention.bailleur_id == bailleur.id, Convention.year == year).distinct())]
    return engine.aggregate(
        adapters.bilan_events(bailleur.id, year, epci_id=epci.id if epci else None),
        bailleur=bailleur.slug, year=year, obligations=engine.obligations_for_year(year),
        thresholds=thresholds(year), reservataires=reservataires,
        withdrawals_forecast=withdrawals_forecast(bailleur.id, year + 1),
        not_concerned=adapters.not_concerned_counts(bailleur.id))


def document(bailleur: Organisation, year: int, *, audience: str = "bailleur",
             reader: Organisation | None = None, today=None) -> BilanDocument:
    bilan = build(bailleur, year, epci=reader if audience == "epci" else None)
    names = dict(db.session.execute(select(Organisation.slug, Organisation.name)).all())
    provisional = today is not None and year >= today.year
    return BilanDocument(bilan, bailleur, names, audience, reader, provisional)


# --------------------------------------------------------------------------- outputs


def _csv(columns: Iterable[str], rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_text(doc: BilanDocument, part: str) -> str:
    """One CSV file of a bilan: ``totaux``, ``details`` (by dimension) or ``quartiles``."""
    bilan, shown = doc.bilan, doc.shown
    if part == "totaux":
        return _csv(engine.CSV_TOTALS_COLUMNS, engine.totals_rows(bilan, shown))
    if part == "details":
        return _csv(engine.CSV_BREAKDOWN_COLUMNS, engine.breakdown_rows(bilan, shown))
    if part == "quartiles":
        return _csv(engine.CSV_QUARTILE_COLUMNS, engine.quartile_rows(bilan))
    raise ValueError(part)


def chart(doc: BilanDocument) -> list[dict]:
    """Bars of the bilan's chart: made available, allocated, leased per participant shown."""
    rows = [(doc.name(p), doc.bilan.totals.get(p, engine.Counts())) for p in doc.shown]
    top = max([1] + [max(c.made_available, c.allocated, c.leased) for _, c in rows])
    return [{"label": label, "values": [c.made_available, c.allocated, c.leased],
             "pcts": [round(100 * v / top, 2) for v in (c.made_available, c.allocated,
                                                         c.leased)]}
            for label, c in rows]


def render_pdf(doc: BilanDocument) -> bytes:
    from app.pdf import render_pdf as render

    return render("pdf/bilan.html", **pdf_context(doc))


def pdf_context(doc: BilanDocument) -> dict:
    return {"doc": doc, "bilan": doc.bilan, "fr": fr, "engine": engine, "bars": chart(doc),
            "withdrawal_labels": WITHDRAWAL_LABELS, "relogement_labels": RELOGEMENT_LABELS,
            "hors_flux_labels": HORS_FLUX_REASON_LABELS}


# --------------------------------------------------------------------------- who reads what


def years_with_events(bailleur_ids: Iterable[int] | None = None) -> list[int]:
    """Years that have ledger events (for these bailleurs), most recent first."""
    year = extract("year", FluxEvent.occurred_on)
    query = select(year).distinct()
    if bailleur_ids is not None:
        query = (query.join(Offre, FluxEvent.offre_id == Offre.id)
                 .join(Logement, Offre.logement_id == Logement.id)
                 .where(Logement.bailleur_id.in_(list(bailleur_ids))))
    return sorted({int(y) for y in db.session.scalars(query)}, reverse=True)


def bailleurs_of_reservataire(reservataire_id: int) -> list[Organisation]:
    """The bailleurs the réservataire has a convention with (any year)."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(Convention.bailleur_id).where(Convention.reservataire_id == reservataire_id)))
        .order_by(Organisation.name)))


def bailleurs_of_epci(epci_id: int) -> list[Organisation]:
    """The bailleurs with dwellings on the EPCI's communes."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(Logement.bailleur_id).join(Commune, Logement.commune_insee == Commune.insee)
            .where(Commune.epci_id == epci_id)))
        .order_by(Organisation.name)))


def default_year(years: list[int], today) -> int:
    """The previous year when it has events, else the most recent year with events."""
    if today.year - 1 in years:
        return today.year - 1
    return years[0] if years else today.year - 1


# --------------------------------------------------------------------------- flask flux bilan


def write_all(year: int, output: Path, *, bailleur_slug: str | None = None,
              progress: Callable[[int, int, str], None] | None = None, today=None
              ) -> list[Path]:
    """Every bilan of ``year``: per bailleur (whole), per réservataire with a convention, per
    EPCI with dwellings of the bailleur; a PDF and the CSV files each."""
    query = select(Organisation).where(Organisation.kind == "bailleur").order_by(
        Organisation.slug)
    if bailleur_slug is not None:
        query = query.where(Organisation.slug == bailleur_slug)
    bailleurs = list(db.session.scalars(query))
    if bailleur_slug is not None and not bailleurs:
        raise LookupError(f"bailleur inconnu : {bailleur_slug!r}")
    jobs: list[tuple[Organisation, str, Organisation | None]] = []
    for b in bailleurs:
        jobs.append((b, "bailleur", None))
        reservataires = db.session.scalars(select(Organisation).where(Organisation.id.in_(
            select(Convention.reservataire_id).where(Convention.bailleur_id == b.id,
                                                     Convention.year == year)))
            .order_by(Organisation.slug))
        jobs += [(b, "reservataire", r) for r in reservataires]
        epcis = db.session.scalars(select(Organisation).where(Organisation.id.in_(
            select(Commune.epci_id).join(Logement, Logement.commune_insee == Commune.insee)
            .where(Logement.bailleur_id == b.id))).order_by(Organisation.slug))
        jobs += [(b, "epci", e) for e in epcis]
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    built: dict[int, engine.Bilan] = {}
    for i, (b, audience, reader) in enumerate(jobs, start=1):
        if audience == "reservataire" and b.id in built:  # the same bilan, another reader
            names = dict(db.session.execute(select(Organisation.slug, Organisation.name)).all())
            doc = BilanDocument(built[b.id], b, names, audience, reader,
                                today is not None and year >= today.year)
        else:
            doc = document(b, year, audience=audience, reader=reader, today=today)
            if audience == "bailleur":
                built[b.id] = doc.bilan
        folder = output / (reader.slug if reader is not None else b.slug)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / doc.filename("pdf")
        path.write_bytes(render_pdf(doc))
        written.append(path)
        for part in CSV_FILES:
            csv_path = folder / doc.filename("csv", part)
            csv_path.write_text(csv_text(doc, part), encoding="utf-8")
            written.append(csv_path)
        if progress is not None:
            progress(i, len(jobs), doc.filename("pdf"))
    return written
