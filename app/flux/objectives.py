"""Yearly flux and objectives of a bailleur per département, against what is realised.

The forecast is ``matching.flux.objectives.yearly_objectives`` fed with the bailleur's
patrimoine and the vacancies it declared in past years (``app/adapters/bilan.py``), its
settings (``FluxForecast``: a rotation rate replacing the observed one, the dwellings it
plans to take out of the base, which mutations leave the base) and the year's conventions.
What is realised is team A's derived count of each convention (``convention_progress``,
what the convention counts on) and, for the bailleur's own share, its orientations.
Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import extract, func, select

from app.accounts.models import Organisation, User
from app.adapters import bilan as adapters
from app.adapters.flux import flux_conventions
from app.adapters.records import convention_record
from app.extensions import db
from app.flux.models import FluxEvent, FluxForecast, Offre
from app.flux.queries import convention_progress
from app.patrimoine.models import Logement
from matching.flux import objectives as engine

WINDOW = 3  # years of observed rotation


@dataclass(frozen=True)
class ParticipantLine:
    participant: str  # slug
    name: str
    kind: str  # reservataire_kind or "bailleur"
    share_percent: float
    objective: float  # for the whole year
    realised: int
    counts_on: str  # what the convention counts on (the bailleur: orientations)

    @property
    def ratio(self) -> float | None:
        return self.realised / self.objective if self.objective else None


@dataclass(frozen=True)
class ObjectivesView:
    bailleur: Organisation
    departement: str
    year: int
    on: date
    forecast: engine.FluxObjectives | None
    problem: str | None  # NoRotation, or conventions that cannot be apportioned
    lines: list[ParticipantLine]
    settings: FluxForecast | None


def forecast_settings(bailleur_id: int, departement: str, year: int) -> FluxForecast | None:
    return db.session.scalar(select(FluxForecast).where(
        FluxForecast.bailleur_id == bailleur_id, FluxForecast.departement == departement,
        FluxForecast.year == year))


def save_settings(bailleur: Organisation, departement: str, year: int, values: dict, *,
                  actor: User | None = None) -> FluxForecast:
    """Create or update the bailleur's forecast settings of a flux."""
    row = forecast_settings(bailleur.id, departement, year)
    if row is None:
        row = FluxForecast(bailleur_id=bailleur.id, departement=departement, year=year)
        db.session.add(row)
    for key in ("rotation_rate", "mutations_internes", "mutations_externes",
                "relogements_npnru", "relogements_orcod", "mutations_hors_base"):
        setattr(row, key, values[key])
    row.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    return row


def departements(bailleur: Organisation) -> list[str]:
    """The départements of the bailleur's parc (its own first when it has none)."""
    found = sorted({c[:3] if c.startswith("97") else c[:2] for c in db.session.scalars(
        select(Logement.commune_insee).where(Logement.bailleur_id == bailleur.id).distinct())})
    return found or ([bailleur.departement] if bailleur.departement else [])


def _own_realised(bailleur_id: int, departement: str, year: int, on: date) -> int:
    """The bailleur's own share so far: orientations that named no réservataire."""
    return db.session.scalar(
        select(func.count(FluxEvent.id))
        .join(Offre, FluxEvent.offre_id == Offre.id)
        .join(Logement, Offre.logement_id == Logement.id)
        .where(FluxEvent.kind == "mise_a_disposition", FluxEvent.reservataire_id.is_(None),
               Logement.bailleur_id == bailleur_id,
               Logement.commune_insee.startswith(departement, autoescape=True),
               extract("year", FluxEvent.occurred_on) == year, FluxEvent.occurred_on <= on)
    ) or 0


def objectives(bailleur: Organisation, departement: str, year: int, on: date) -> ObjectivesView:
    """The year's forecast, each participant's objective and what it has realised by ``on``."""
    settings = forecast_settings(bailleur.id, departement, year)
    conventions = flux_conventions(bailleur.id, departement, year)
    patrimoine = adapters.patrimoine_items(bailleur.id, departement,
                                           range(year - WINDOW, year))
    withdrawals = []
    rate = None
    mutations = "internes"
    if settings is not None:
        withdrawals = [engine.Withdrawals(
            bailleur.slug, departement, settings.mutations_internes,
            settings.mutations_externes, settings.relogements_npnru, settings.relogements_orcod)]
        rate = Fraction(str(settings.rotation_rate)) if settings.rotation_rate is not None \
            else None
        mutations = settings.mutations_hors_base
    forecast, problem = None, None
    try:
        results = engine.yearly_objectives(
            [convention_record(c) for c in conventions], patrimoine, year, window=WINDOW,
            rate=rate, withdrawals=withdrawals, mutations_hors_base=mutations)
    except ValueError as exc:
        results, problem = [], str(exc)
    for r in results:
        if isinstance(r, engine.NoRotation):
            problem = str(r)
        elif r.bailleur == bailleur.slug and r.departement == departement:
            forecast = r
    lines: list[ParticipantLine] = []
    if forecast is not None:
        by_slug = {c.reservataire.slug: c for c in conventions}
        for o in forecast.objectives:
            c = by_slug.get(o.participant)
            if c is not None:
                progress = convention_progress(c, on)
                lines.append(ParticipantLine(o.participant, c.reservataire.name, o.kind,
                                             round(float(o.share_percent), 2),
                                             round(float(o.objective), 1), progress.realised,
                                             c.counts_on))
            else:
                lines.append(ParticipantLine(
                    o.participant, f"{bailleur.name} (contingent propre)", "bailleur",
                    round(float(o.share_percent), 2), round(float(o.objective), 1),
                    _own_realised(bailleur.id, departement, year, on), "mise_a_disposition"))
    return ObjectivesView(bailleur, departement, year, on, forecast, problem, lines, settings)


def chart_bars(lines: list[ParticipantLine]) -> list[dict]:
    """Bars of the objectives-vs-realised chart (scaled to the largest value)."""
    top = max([1.0] + [max(line.objective, line.realised) for line in lines])
    return [{"label": line.name, "values": [line.objective, line.realised],
             "pcts": [round(100 * line.objective / top, 2), round(100 * line.realised / top, 2)]}
            for line in lines]
