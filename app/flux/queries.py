"""Reads of the flux, all derived from the ledger: each convention's progress, the screens'
lists, and the reconciliation of stored states against the events (``flask flux reconcile``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from app.attribution.models import Attribution, Bail, CalConditionOutcome, CalDecision
from app.extensions import db
from app.flux.models import Convention, FluxEvent, Offre
from app.patrimoine.models import Logement

# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class ConventionProgress:
    """What a convention has realised against its share, on a date of its year.

    ``realised`` counts the event the convention counts on (``counts_on``); a takeback that
    does not count (a ``reprise`` naming the convention) cancels its orientation. ``base`` is
    the number of vacancies oriented in the flux so far (every participant, the bailleur's
    own share included, hors flux excluded); ``objective`` = share × base; ``gap`` =
    realised − objective (negative: behind)."""

    convention: Convention
    on: date
    counts_on: str
    made_available: int
    allocated: int
    leased: int
    taken_back_not_counted: int
    base: int
    realised: int
    objective: float
    gap: float


def _flux_base(bailleur_id: int, departement: str, start: date, end: date) -> int:
    return db.session.scalar(
        select(func.count(FluxEvent.id))
        .join(Offre, FluxEvent.offre_id == Offre.id)
        .join(Logement, Offre.logement_id == Logement.id)
        .where(FluxEvent.kind == "mise_a_disposition", Logement.bailleur_id == bailleur_id,
               Logement.commune_insee.startswith(departement, autoescape=True),
               FluxEvent.occurred_on >= start, FluxEvent.occurred_on <= end)
    ) or 0


def convention_progress(convention: Convention, on: date) -> ConventionProgress:
    """Realised, objective to date and gap of one convention, from the ledger only."""
    start = date(convention.year, 1, 1)
    end = min(on, date(convention.year, 12, 31))
    kinds = dict(db.session.execute(
        select(FluxEvent.kind, func.count(FluxEvent.id))
        .where(FluxEvent.convention_id == convention.id,
               FluxEvent.occurred_on >= start, FluxEvent.occurred_on <= end)
        .group_by(FluxEvent.kind)
    ).all())
    cancelled = kinds.get("reprise", 0)  # compensating entries only name the convention
    made_available = kinds.get("mise_a_disposition", 0) - cancelled
    realised = {"mise_a_disposition": made_available,
                "attribution": kinds.get("attribution", 0),
                "bail_signe": kinds.get("bail_signe", 0)}[convention.counts_on]
    base = _flux_base(convention.bailleur_id, convention.departement, start, end)
    objective = round(float(convention.share_percent) * base / 100, 2)
    return ConventionProgress(convention, on, convention.counts_on, made_available,
                              kinds.get("attribution", 0), kinds.get("bail_signe", 0),
                              cancelled, base, realised, objective,
                              round(realised - objective, 2))


def progress_of(conventions: list[Convention], on: date) -> list[ConventionProgress]:
    return [convention_progress(c, on) for c in conventions]


# --------------------------------------------------------------------------- lists


def _offres(*conditions, order=None) -> list[Offre]:
    return list(db.session.scalars(
        select(Offre)
        .join(Logement, Offre.logement_id == Logement.id)
        .options(joinedload(Offre.logement).joinedload(Logement.commune),
                 joinedload(Offre.logement).joinedload(Logement.bailleur),
                 joinedload(Offre.reservataire), joinedload(Offre.convention))
        .where(*conditions)
        .order_by(*(order or (Offre.declared_on, Offre.id)))
    ).unique())


def offers_to_orient(bailleur_id: int, ids: list[int] | None = None) -> list[Offre]:
    """The bailleur's offers ``a_orienter``, oldest notice first (optionally some ids only)."""
    conditions = [Logement.bailleur_id == bailleur_id, Offre.flux_status == "a_orienter"]
    if ids is not None:
        conditions.append(Offre.id.in_(ids))
    return _offres(*conditions)


def own_offer(bailleur_id: int, offre_id: int) -> Offre | None:
    """One of the bailleur's offers (None for another organisation's: a 404)."""
    found = _offres(Logement.bailleur_id == bailleur_id, Offre.id == offre_id)
    return found[0] if found else None


def oriented_offers(bailleur_id: int) -> list[Offre]:
    """The bailleur's offers waiting for a réservataire's designation, nearest deadline first."""
    return _offres(Logement.bailleur_id == bailleur_id, Offre.flux_status == "oriente",
                   order=(Offre.designation_deadline, Offre.id))


def offers_oriented_to(reservataire_id: int) -> list[Offre]:
    """The dwellings oriented to a réservataire, waiting for its designation."""
    return _offres(Offre.reservataire_id == reservataire_id, Offre.flux_status == "oriente",
                   order=(Offre.designation_deadline, Offre.id))


def days_left(offre: Offre, today: date) -> int | None:
    """Days before the takeback (0: last day to designate; negative: overdue)."""
    if offre.designation_deadline is None:
        return None
    return (offre.designation_deadline - today).days


def own_shares(conventions: list[Convention]) -> list[dict]:
    """The bailleur's own share of each flux (département × year) its conventions leave."""
    groups: dict[tuple[str, int], float] = defaultdict(float)
    for c in conventions:
        groups[(c.departement, c.year)] += float(c.share_percent)
    return [{"departement": d, "year": y, "reserved": round(s, 2),
             "own_share": round(100.0 - s, 2)}
            for (d, y), s in sorted(groups.items(), key=lambda kv: (-kv[0][1], kv[0][0]))]


# --------------------------------------------------------------------------- reconciliation

# The status each status-bearing event leaves an offer in. Other kinds (proposition,
# acceptation, refus, decision_cal, visite) do not change it. After a designation the offer
# may be in CAL.
_AFTER = {
    "hors_flux": ("hors_flux",),
    "reprise": ("repris_bailleur",),
    "designation": ("designe", "en_cal"),
    "attribution": ("attribue",),
    "bail_signe": ("bail_signe",),
    "retrait": ("retire",),
}
STATUS_KINDS = ("mise_a_disposition", *_AFTER)
# Allocations that happened (an accepted proposal, a lease, a finished one).
DONE_ATTRIBUTIONS = ("acceptee", "bail_signe", "terminee")


@dataclass(frozen=True)
class Drift:
    code: str
    offre: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.offre} : {self.message}"


def _expected(event: FluxEvent | None) -> tuple[str, ...]:
    if event is None:
        return ("a_orienter",)
    if event.kind == "mise_a_disposition":
        return ("oriente",) if event.reservataire_id else ("contingent_bailleur",)
    return _AFTER[event.kind]


def reconcile() -> list[Drift]:
    """Every stored state that disagrees with the ledger (expected: none).

    * an offer's ``flux_status`` against its last status-bearing event;
    * an oriented offer's réservataire and convention against its last orientation;
    * each allocation that happened against an ``attribution`` event (a proposal accepted under
      a suspensive condition not lifted yet is not one), each lease against a ``bail_signe``
      event of its offer."""
    last: dict[int, FluxEvent] = {}
    for event in db.session.scalars(
        select(FluxEvent).where(FluxEvent.kind.in_(STATUS_KINDS))
        .order_by(FluxEvent.offre_id, FluxEvent.occurred_on, FluxEvent.id)
    ):
        last[event.offre_id] = event
    drifts: list[Drift] = []
    for offre_id, ref, status, reservataire_id, convention_id in db.session.execute(
        select(Offre.id, Offre.ref, Offre.flux_status, Offre.reservataire_id,
               Offre.convention_id).order_by(Offre.id)
    ):
        event = last.get(offre_id)
        expected = _expected(event)
        if status not in expected:
            seen = f"dernier événement « {event.kind} » du {event.occurred_on.isoformat()}" \
                if event else "aucun événement"
            drifts.append(Drift("statut", ref, f"statut « {status} » alors que le registre "
                                f"indique « {' ou '.join(expected)} » ({seen})"))
        elif status == "oriente" and event is not None and (
                (event.reservataire_id, event.convention_id) != (reservataire_id, convention_id)):
            drifts.append(Drift("orientation", ref, (
                f"orientée vers l'organisation {reservataire_id} (convention {convention_id}) "
                f"alors que le registre indique {event.reservataire_id} "
                f"(convention {event.convention_id})")))
    with_event = {kind: set(db.session.scalars(
        select(FluxEvent.offre_id).where(FluxEvent.kind == kind).distinct()))
        for kind in ("attribution", "bail_signe")}
    # A proposal accepted under a suspensive condition not lifted yet (CAL decision (c)) is
    # not an allocation yet: its ``attribution`` event comes with the lifting.
    pending = (select(CalDecision.id).where(
        CalDecision.id == Attribution.cal_decision_id,
        CalDecision.decision == "attribution_sous_condition",
        ~select(CalConditionOutcome.id).where(
            CalConditionOutcome.cal_decision_id == CalDecision.id,
            CalConditionOutcome.outcome == "levee").exists()).exists())
    for offre_ref, offre_id in db.session.execute(
        select(Offre.ref, Offre.id).join(Attribution, Attribution.offre_id == Offre.id)
        .where(Attribution.status.in_(DONE_ATTRIBUTIONS),
               ~and_(Attribution.status == "acceptee", pending)).distinct()
    ):
        if offre_id not in with_event["attribution"]:
            drifts.append(Drift("attribution", offre_ref,
                                "attribution enregistrée sans événement « attribution »"))
    for offre_ref, offre_id in db.session.execute(
        select(Offre.ref, Offre.id)
        .join(Attribution, Attribution.offre_id == Offre.id)
        .join(Bail, and_(Bail.attribution_id == Attribution.id)).distinct()
    ):
        if offre_id not in with_event["bail_signe"]:
            drifts.append(Drift("bail", offre_ref, "bail enregistré sans événement « bail_signe »"))
    return drifts
