"""Demo of the gestion en flux: orientations with their deadlines and a few takebacks.

``load_flux_demo(on)`` is small and reusable (deterministic, no randomness):

1. offers the loader created already oriented (``oriente`` / ``designe``) get their
   orientation in the ledger (the year's convention of that bailleur × réservataire, the
   version in force) and, when designated, their designation, so that
   ``flask flux reconcile`` finds no drift;
2. of each bailleur's offers still ``a_orienter``, the oldest half are oriented through the
   engine's proposal (``app.flux.orientation.confirm``) on the day their notice came, so
   that the oldest deadlines have passed; the other half stay on the orientation screen;
3. two older vacancies per bailleur are oriented to a réservataire 45 days before ``on``;
4. the takeback of ``on`` runs (``takeback_due``): dwellings past their deadline go back to
   the bailleur, counted or not as their convention says.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select

from app.extensions import db
from app.flux.ledger import record_event
from app.flux.models import Convention, FluxEvent, Offre
from app.flux.orientation import (
    OrientationRefused,
    confirm,
    declare_vacancy,
    propose,
    takeback_due,
)
from app.patrimoine.models import Logement


def _backfill_loader_orientations(on: date) -> int:
    """Ledger entries for the offers the loader oriented without an event."""
    conventions = {(c.bailleur_id, c.reservataire_id, c.year): c
                   for c in db.session.scalars(select(Convention))}
    offres = db.session.scalars(
        select(Offre).join(Logement, Offre.logement_id == Logement.id)
        .where(Offre.flux_status.in_(("oriente", "designe")),
               ~exists().where(FluxEvent.offre_id == Offre.id))
        .order_by(Offre.id))
    n = 0
    for offre in offres:
        convention = conventions.get((offre.logement.bailleur_id, offre.reservataire_id,
                                      offre.declared_on.year))
        if convention is None:
            continue
        offre.convention_id = convention.id
        db.session.flush()
        record_event(offre, "mise_a_disposition", offre.declared_on, details={
            "chosen_to": offre.reservataire.slug, "convention_id": convention.id,
            "convention_version": convention.version, "reason": "orientation de démonstration"})
        if offre.flux_status == "designe":
            record_event(offre, "designation", min(on, offre.declared_on + timedelta(days=5)))
        n += 1
    return n


def _past_deadline(on: date, per_bailleur: int = 2) -> int:
    """Two older vacancies per bailleur oriented to a réservataire 45 days before ``on``:
    their designation deadline has passed, so the takeback of ``on`` takes them back."""
    day = on - timedelta(days=45)
    free = db.session.scalars(
        select(Logement).where(~exists().where(Offre.logement_id == Logement.id),
                               Logement.hors_flux_reason.is_(None))
        .order_by(Logement.bailleur_id, Logement.id))
    taken: dict[int, int] = {}
    n = 0
    for logement in free:
        if taken.get(logement.bailleur_id, 0) >= per_bailleur:
            continue
        offre = declare_vacancy(logement, day, day + timedelta(days=30))
        proposal = propose([offre], day)[0]
        choices = [p for p, _ in proposal.choices() if p != logement.bailleur.slug]
        if proposal.is_hors_flux or not choices:
            continue
        chosen = proposal.to if proposal.convention is not None else choices[0]
        confirm(offre, day, chosen=chosen, proposal=proposal,
                override_reason=None if chosen == proposal.to else
                "démonstration : logement confié à un réservataire")
        taken[logement.bailleur_id] = taken.get(logement.bailleur_id, 0) + 1
        n += 1
    return n


def load_flux_demo(on: date) -> str:
    """Orient half of the offers to orient, take back those past their deadline; a summary."""
    backfilled = _backfill_loader_orientations(on)
    waiting = list(db.session.scalars(
        select(Offre).join(Logement, Offre.logement_id == Logement.id)
        .where(Offre.flux_status == "a_orienter")
        .order_by(Logement.bailleur_id, Offre.declared_on, Offre.id)))
    by_bailleur: dict[int, list[Offre]] = {}
    for offre in waiting:
        by_bailleur.setdefault(offre.logement.bailleur_id, []).append(offre)
    oriented = 0
    for offres in by_bailleur.values():
        for offre in offres[: len(offres) // 2]:
            day = offre.declared_on  # oriented the day the notice came (oldest first)
            try:
                confirm(offre, day, proposal=propose([offre], day)[0])
            except OrientationRefused:
                continue
            oriented += 1
    oriented += _past_deadline(on)
    report = takeback_due(on)
    return (f"  flux : {backfilled} orientation(s) inscrite(s) au registre, {oriented} "
            f"orientée(s) par la plateforme, {report.taken_back} reprise(s) à l'échéance")
