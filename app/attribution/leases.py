"""The bailleur's side of a dossier: visits (before or after the CAL) and the lease signature.

A visit is an event of the ledger (``visite``: the candidate, its date and outcome). The lease
(date, rent, charges → ``Bail``) closes the dossier: attribution ``bail_signe``, offer
``attribue`` → ``bail_signe``, the demande satisfied (``attribuee``). Under a CAL decision (c)
the lease waits until the suspensive condition is lifted (``conditions.lift``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.attribution.conditions import lease_blocked_message, pending_condition
from app.attribution.models import Attribution, Bail, Designation
from app.attribution.services import (
    Conflict,
    Refused,
    check_version,
    event,
    expect_status,
    lock_offre,
)
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import FluxEvent, Offre

VISIT_OUTCOMES = {
    "interesse": "Visite faite, candidat intéressé",
    "pas_interesse": "Visite faite, candidat non intéressé",
    "absent": "Candidat absent",
    "reportee": "Visite reportée",
}
MAX_NOTE = 1000
MAX_AMOUNT = 100_000


def record_visit(offre: Offre, demande: Demande, *, visited_on: date, outcome: str,
                 note: str | None, actor: User, on: date):
    """Record one visit of a candidate (designated on the offer) as a ``visite`` event."""
    if outcome not in VISIT_OUTCOMES:
        raise Refused("Choisissez l'issue de la visite.", "outcome")
    if visited_on > on and outcome != "reportee":
        raise Refused("Une visite faite ne peut pas être datée dans le futur.", "visited_on")
    if not db.session.scalar(select(Designation.id).where(
            Designation.offre_id == offre.id, Designation.demande_id == demande.id)):
        raise Refused("Cette demande n'est pas candidate sur ce logement.", "demande")
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise Refused(f"{MAX_NOTE} caractères au plus.", "note")
    return event(offre, "visite", visited_on, actor=actor, note=text or None, details={
        "demande": demande.nur, "outcome": outcome, "recorded_on": on.isoformat()})


def visits(offre: Offre) -> list[FluxEvent]:
    return list(db.session.scalars(
        select(FluxEvent).where(FluxEvent.offre_id == offre.id, FluxEvent.kind == "visite")
        .order_by(FluxEvent.occurred_on, FluxEvent.id)))


def sign_lease(attribution: Attribution, *, version: int | None, signed_on: date,
               starts_on: date, rent: float, charges: float, actor: User, on: date) -> Bail:
    """The lease of an accepted proposal is signed: the dossier is closed."""
    offre = lock_offre(attribution.offre_id)
    attribution = db.session.scalar(
        select(Attribution).where(Attribution.id == attribution.id)
        .execution_options(populate_existing=True))
    check_version(attribution.version, version)
    if attribution.status != "acceptee":
        raise Conflict("Le bail ne peut être signé que pour une proposition acceptée.")
    pending = pending_condition(attribution)
    if pending is not None:  # decision (c): the lease waits for the missing document
        raise Refused(lease_blocked_message(pending))
    expect_status(offre, "attribue")
    if signed_on > on:
        raise Refused("La date de signature ne peut pas être dans le futur.", "signed_on")
    if attribution.answered_on and signed_on < attribution.answered_on:
        raise Refused("Le bail ne peut être signé avant l'acceptation de la proposition.",
                      "signed_on")
    if starts_on < signed_on:
        raise Refused("Le bail ne peut prendre effet avant sa signature.", "starts_on")
    for name, value in (("rent", rent), ("charges", charges)):
        if not 0 <= value <= MAX_AMOUNT:
            raise Refused("Montant hors des limites.", name)
    bail = Bail(attribution_id=attribution.id, signed_on=signed_on, starts_on=starts_on,
                rent=rent, charges=charges)
    db.session.add(bail)
    attribution.status = "bail_signe"
    offre.flux_status = "bail_signe"
    demande = attribution.demande
    demande.status = "attribuee"
    demande.closed_on = signed_on
    db.session.flush()
    event(offre, "bail_signe", signed_on, actor=actor, details={
        "demande": demande.nur, "attribution": attribution.id, "rent": rent, "charges": charges,
        "starts_on": starts_on.isoformat()})
    return bail
