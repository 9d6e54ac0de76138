"""What the « ma cotation » pages and the public grid page show (reads only).

- ``latest_scores``: the stored scores of demandes in the latest run of their EPCI.
- ``public_grid``: an EPCI's grid, its criteria and their weights, in plain words.
- ``ma_cotation``: one demande's score today by the explained engine (``matching.cotation`` on
  the record of ``app/adapters/records.py``), line by line, with its priority status, the
  score for each wished commune, the exact score after refusing an adapted offer, the
  position among similar demandes (the scores of the territory's latest stored run,
  ``flask cotation recompute``) and the waiting time of similar demandes
  (``matching.similar``).

The EPCI's cotation is not a réservataire's own ranking: the page names both and explains
the difference (``RANKING_EXPLANATION``); no réservataire ranking is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import func, select

from app.accounts.models import Organisation
from app.adapters.records import demande_record
from app.cotation.models import CotationScore
from app.cotation.runs import latest_runs
from app.cotation.services import NoGrid, epci_communes, grid_for_epci
from app.demandes.models import Demande, WishedCommune, WishedTypology
from app.extensions import db
from app.territoire.models import Commune
from matching import cotation as engine
from matching import enums
from matching.grid import Grid
from matching.history import Allocation
from matching.similar import WaitingTime, positions, waiting_time

COTATION_EXPLANATION = (
    "La cotation est une note en points calculée pour chaque demande avec la grille adoptée "
    "par l'intercommunalité (EPCI) de votre territoire. Elle aide les commissions à classer les "
    "demandes, mais elle ne décide pas seule : la commission d'attribution (CAL) examine chaque "
    "dossier."
)
RANKING_EXPLANATION = (
    "Un réservataire (la préfecture, Action Logement, une commune…) dispose de certains "
    "logements. Pour les logements qui lui sont réservés, il peut classer les candidats selon "
    "ses propres règles (par exemple, Action Logement tient compte de l'emploi chez un "
    "employeur cotisant). Ce classement du réservataire est une autre note que la cotation de "
    "l'EPCI : il n'est pas affiché ici et ne modifie pas votre cotation."
)


class NoCotation(LookupError):
    """No grid for the territory, or the grid does not score this demande (message in French)."""


# --------------------------------------------------------------------------- public grid


@dataclass(frozen=True)
class GridLine:
    label: str
    weight: str
    group: str | None
    description: str | None
    needs_verification: bool


def epci_by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug,
                                                        Organisation.kind == "epci"))


def grid_of(epci: Organisation) -> Grid:
    try:
        return grid_for_epci(db.session, epci)
    except NoGrid:
        raise NoCotation(f"Aucune grille de cotation n'est encore publiée pour {epci.name}.") from None


def _weight(effect) -> str:
    if effect.by is not None:
        parts = [f"{k} : {engine.effect_label(effect.kind, v)}" for k, v in effect.by.values]
        return " ; ".join(parts)
    return engine.effect_label(effect.kind, effect.value or 0.0)


GROUP_LABELS = {
    "priorite": "Priorités prévues par la loi",
    "social": "Situation sociale et logement actuel",
    "parcours": "Parcours et projet",
    "mutation": "Demandes de mutation (déjà locataires d'un logement social)",
    None: "Autres critères",
}


def public_grid(epci: Organisation) -> dict:
    """The grid's criteria grouped, with their weights and the general rules."""
    grid = grid_of(epci)
    groups: dict[str | None, list[GridLine]] = {}
    for c in grid.criteria:
        groups.setdefault(c.group, []).append(GridLine(
            c.label, _weight(c.effect), c.group, c.description, c.counts_if == "verified"))
    return {
        "epci": epci,
        "grid": grid,
        "groups": [(GROUP_LABELS.get(g, g), lines) for g, lines in groups.items()],
        "seniority": grid.seniority,
        "refusals": grid.refusals,
        "bonus": grid.verified_file_bonus,
        "bonus_weight": _weight(grid.verified_file_bonus.effect) if grid.verified_file_bonus else None,
        "explanation": COTATION_EXPLANATION,
        "ranking_explanation": RANKING_EXPLANATION,
    }


# --------------------------------------------------------------------------- ma cotation


@dataclass(frozen=True)
class Position:
    rank: int
    count: int
    computed_on: date

    @property
    def label(self) -> str:
        return f"{self.rank}e sur {self.count}" if self.rank > 1 else f"1re sur {self.count}"


def _min_typology(typologies) -> str | None:
    return next((t for t in enums.TYPOLOGIES if t in typologies), None)


def similar_position(demande: Demande, grid: Grid, score_now: float) -> Position | None:
    """Rank among similar demandes (same first-choice commune, same smallest wished typology),
    from the latest stored computation of the territory with this grid version."""
    first = next((w.commune_insee for w in demande.wished_communes if w.rank == 1), None)
    if first is None:
        return None
    run = next(iter(latest_runs(db.session, [demande.epci_id], grid.id, grid.version)), None)
    if run is None:
        return None
    rows = db.session.execute(
        select(Demande.id, Demande.filed_on, CotationScore.score)
        .join(CotationScore, CotationScore.demande_id == Demande.id)
        .join(WishedCommune, (WishedCommune.demande_id == Demande.id) & (WishedCommune.rank == 1))
        .where(CotationScore.run_id == run.id, Demande.epci_id == demande.epci_id,
               Demande.status == "active", WishedCommune.commune_insee == first)
    ).all()
    ids = [r[0] for r in rows]
    typologies: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 900):
        for demande_id, typology in db.session.execute(
                select(WishedTypology.demande_id, WishedTypology.typology)
                .where(WishedTypology.demande_id.in_(ids[start:start + 900]))):
            typologies[demande_id].append(typology)
    mine = _min_typology([t.typology for t in demande.wished_typologies])
    similar = [(i, f, s) for i, f, s in rows
               if i != demande.id and _min_typology(typologies[i]) == mine]
    own = next((s for i, _f, s in rows if i == demande.id), score_now)
    scores = np.array([s for _i, _f, s in similar] + [own], dtype=float)
    filed = np.array([f.toordinal() for _i, f, _s in similar] + [demande.filed_on.toordinal()])
    result = positions(np.zeros(len(scores), np.int64), scores, filed)
    return Position(int(result.rank[-1]), int(result.count[-1]), run.computed_on)


def latest_scores(demande_ids: list[int]) -> dict[int, float]:
    """The score of each demande in the latest stored run of its EPCI (absent if unscored)."""
    out: dict[int, float] = {}
    ids = sorted(set(demande_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        epci_ids = list(db.session.scalars(select(Demande.epci_id).distinct()
                                           .where(Demande.id.in_(chunk))))
        runs = [run.id for run in latest_runs(db.session, epci_ids)]
        if not runs:
            continue
        out.update(db.session.execute(
            select(CotationScore.demande_id, CotationScore.score)
            .where(CotationScore.run_id.in_(runs), CotationScore.demande_id.in_(chunk))).all())
    return {d: float(s) for d, s in out.items()}


def similar_waiting_time(demande: Demande, on: date) -> WaitingTime | None:
    """Waiting time of the territory's allocations of the last 12 months to similar demandes."""
    from app.attribution.models import Attribution
    from app.patrimoine.models import Logement

    first = next((w.commune_insee for w in demande.wished_communes if w.rank == 1), None)
    if first is None:
        return None
    first_choice = (select(WishedCommune.commune_insee)
                    .where(WishedCommune.demande_id == Demande.id, WishedCommune.rank == 1)
                    .correlate(Demande).scalar_subquery())
    since = date(on.year - 1, on.month, min(on.day, 28))
    rows = db.session.execute(
        select(Demande.filed_on, func.coalesce(Attribution.answered_on, Attribution.proposed_on),
               Logement.commune_insee, Logement.typology, first_choice)
        .join(Attribution, Attribution.demande_id == Demande.id)
        .join(Logement, Logement.id == Attribution.logement_id)
        .where(Demande.epci_id == demande.epci_id,
               Attribution.status.in_(("acceptee", "bail_signe", "terminee")),
               func.coalesce(Attribution.answered_on, Attribution.proposed_on) > since)
    ).all()
    allocations = [Allocation(demande_filed_on=f, allocated_on=a, commune=c, typology=t,
                              first_choice_commune=fc) for f, a, c, t, fc in rows]
    typology = _min_typology([t.typology for t in demande.wished_typologies])
    return waiting_time(allocations, first, typology, on)


def ma_cotation(demande: Demande, on: date) -> dict:
    """Everything the « ma cotation » page and its PDF show for one demande."""
    grid = grid_of(demande.epci)
    communes = epci_communes(db.session, demande.epci) or None
    record = demande_record(demande)
    try:
        result = engine.cotation(record, grid, on, communes)
        now, after_refusal = engine.refusal_effect(record, grid, on, communes)
    except engine.GridNotApplicable as exc:
        raise NoCotation(f"La grille de votre territoire ne note pas cette demande ({exc.reason}).") from None
    names = dict(db.session.execute(select(Commune.insee, Commune.name).where(
        Commune.insee.in_([c.commune for c in result.by_choice]))).all())
    return {
        "demande": demande,
        "grid": grid,
        "cotation": result,
        "applied": [ln for ln in result.criteria if ln.applied],
        "not_applied": [ln for ln in result.criteria if not ln.applied],
        "by_choice": [(c.commune, names.get(c.commune, c.commune), c.score) for c in result.by_choice],
        "score_after_refusal": after_refusal,
        "refusal_loss": round(now - after_refusal, 2),
        "position": similar_position(demande, grid, result.score),
        "waiting": similar_waiting_time(demande, on),
        "explanation": COTATION_EXPLANATION,
        "ranking_explanation": RANKING_EXPLANATION,
        "on": on,
    }
