"""The requester's answer to a proposal (CCH R.441-10): accept, or refuse with a reason.

The requester has the delay of ``matching.proposition`` (at least ten days) to answer; no
answer by then counts as a refusal (« le défaut de réponse vaut refus »), applied by the
scheduled command ``flask propositions expire``. A refusal is a ``Refusal`` of the demande,
shared with every bailleur of the territory (append-only: never edited), and the dwelling
passes to the next candidate ranked by the CAL. Before confirming a refusal the requester sees
its exact consequence on their cotation: the grid's refusal rule applied to their record with
this refusal added (only refusals of adapted offers count under some grids).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.adapters.records import demande_record, logement_record
from app.attribution import cal
from app.attribution.conditions import pending_condition
from app.attribution.models import Attribution
from app.attribution.services import (
    Conflict,
    Refused,
    allocate,
    check_version,
    event,
    expect_status,
    lock_offre,
    notify_bailleur,
)
from app.cotation.services import NoGrid, epci_communes, grid_for_epci
from app.demandes.models import Demande, Refusal
from app.extensions import db
from app.flux.models import Offre
from matching import records
from matching.cotation import cotation
from matching.records import RecordError

MAX_REASON = 2000
EXPIRY_REASON = ("Absence de réponse dans le délai : le défaut de réponse vaut refus "
                 "(CCH R.441-10).")


@dataclass
class Adaptation:
    """Whether the offer was adapted to the demande, with each check shown to the requester."""

    adapted: bool
    checks: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class RefusalPreview:
    adaptation: Adaptation
    grid: str | None = None
    rule: str | None = None
    score_now: float | None = None
    score_after: float | None = None
    counted_now: int | None = None
    counted_after: int | None = None
    unavailable: str | None = None


def adaptation(demande: records.Demande, logement: records.Logement) -> Adaptation:
    """An offer is adapted when the CAL allocated it (the household is eligible: this is only
    asked of allocated proposals) and it meets the wishes of the demande: a wished commune, a
    wished typology, the maximum rent, accessibility when needed."""
    wishes = demande.wishes
    checks = [
        ("Attribué par la commission (ressources et composition du foyer éligibles)", True),
        ("Commune souhaitée", not wishes.communes or logement.commune in wishes.communes),
        ("Typologie souhaitée", not wishes.typologies or logement.typology in wishes.typologies),
    ]
    if wishes.max_rent is not None:
        total = (logement.rent or 0) + (logement.charges or 0)
        checks.append(("Loyer et charges dans le maximum souhaité", total <= wishes.max_rent))
    if wishes.needs_accessible:
        checks.append(("Logement accessible", bool(logement.accessible)))
    return Adaptation(all(ok for _, ok in checks), checks)


def refusal_preview(attribution: Attribution, on: date) -> RefusalPreview:
    """The cotation now and after this refusal, as the grid of the territory computes it."""
    demande = attribution.demande
    record = demande_record(demande)
    adapt = adaptation(record, logement_record(attribution.offre.logement))
    preview = RefusalPreview(adapt)
    try:
        grid = grid_for_epci(db.session, demande.epci)
        communes = epci_communes(db.session, demande.epci) or None
        refused = dataclasses.replace(record, refusals=record.refusals + (records.Refusal(
            date=on, offer=attribution.offre.ref, adapted=adapt.adapted, reason="simulation"),))
        now = cotation(record, grid, on, communes)
        after = cotation(refused, grid, on, communes)
    except (NoGrid, RecordError, IndexError) as err:
        preview.unavailable = ("Le nouveau score ne peut pas être calculé pour votre demande "
                               f"({err}).")
        return preview
    preview.grid = grid.label
    preview.rule = grid.refusals.label
    preview.score_now, preview.score_after = now.score, after.score
    preview.counted_now, preview.counted_after = now.refusals_counted, after.refusals_counted
    return preview


def _lock(attribution: Attribution) -> tuple[Attribution, Offre]:
    offre = lock_offre(attribution.offre_id)
    attribution = db.session.scalar(
        select(Attribution).where(Attribution.id == attribution.id)
        .execution_options(populate_existing=True))
    return attribution, offre


def _open(attribution: Attribution, version: int | None, on: date) -> None:
    check_version(attribution.version, version)
    if attribution.status == "annulee":
        raise Conflict("Cette attribution est caduque : la pièce demandée par la commission "
                       "n'a pas été reçue dans le délai (CCH R.441-3).")
    if attribution.status != "proposee":
        raise Conflict("Vous avez déjà répondu à cette proposition.")
    if on > attribution.answer_due_on:
        raise Refused(f"Le délai de réponse a expiré le {attribution.answer_due_on:%d/%m/%Y} : "
                      "la proposition est considérée comme refusée (CCH R.441-10).")


def accept(attribution: Attribution, *, version: int | None, actor: User | None,
           on: date) -> Attribution:
    """The requester accepts: attribution ``acceptee``, offer ``attribue``; the bailleur is told.

    Under a suspensive condition not lifted yet (decision (c)), the acceptance is recorded but
    the allocation takes effect only when the condition is lifted (``conditions.lift``): the
    offer stays ``en_cal`` and no ``attribution`` event is counted until then."""
    attribution, offre = _lock(attribution)
    _open(attribution, version, on)
    expect_status(offre, "en_cal")
    pending = pending_condition(attribution)
    attribution.status = "acceptee"
    attribution.answered_on = on
    if pending is None:
        offre.flux_status = "attribue"
    db.session.flush()
    details = {"demande": attribution.demande.nur, "attribution": attribution.id}
    if pending is not None:
        event(offre, "acceptation", on, actor=actor,
              details={**details, "condition_pending": True})
        notify_bailleur(offre, f"Proposition acceptée sous condition : {offre.ref}", (
            f"Le demandeur {attribution.demande.nur} a accepté la proposition du logement "
            f"{offre.ref} le {on:%d/%m/%Y}. L'attribution est sous condition suspensive : le "
            f"bail ne pourra être signé qu'une fois reçue la pièce « {pending.condition} », au "
            f"plus tard le {pending.condition_deadline:%d/%m/%Y}.\n"))
        return attribution
    event(offre, "acceptation", on, actor=actor, details=details)
    event(offre, "attribution", on, actor=actor, details=details)
    notify_bailleur(offre, f"Proposition acceptée : {offre.ref}", (
        f"Le demandeur {attribution.demande.nur} a accepté la proposition du logement "
        f"{offre.ref} le {on:%d/%m/%Y}. Le dossier attend la signature du bail.\n"))
    return attribution


def refuse(attribution: Attribution, *, version: int | None, reason: str | None,
           actor: User | None, on: date, expired: bool = False) -> Refusal:
    """The requester refuses (or the delay ran out): a ``Refusal`` of the demande, the
    ``refus`` event, the bailleur told, and the next ranked candidate gets the proposal."""
    attribution, offre = _lock(attribution)
    if expired:
        if attribution.status != "proposee" or on <= attribution.answer_due_on:
            raise Conflict("Cette proposition n'est pas expirée.")
        refused_on = attribution.answer_due_on + timedelta(days=1)
        text = EXPIRY_REASON
    else:
        _open(attribution, version, on)
        text = (reason or "").strip()
        if not text:
            raise Refused("Indiquez la raison de votre refus.", "reason")
        if len(text) > MAX_REASON:
            raise Refused(f"{MAX_REASON} caractères au plus.", "reason")
        refused_on = on
    demande = attribution.demande
    adapt = adaptation(demande_record(demande), logement_record(offre.logement))
    refusal = Refusal(demande_id=demande.id, refused_on=refused_on, offre_id=offre.id,
                      offer_ref=offre.ref, bailleur_id=offre.logement.bailleur_id,
                      is_adapted=adapt.adapted, reason=text)
    db.session.add(refusal)
    db.session.flush()
    attribution.status = "refusee"
    attribution.answered_on = refused_on
    attribution.refusal_id = refusal.id
    db.session.flush()
    event(offre, "refus", refused_on, actor=actor, details={
        "demande": demande.nur, "attribution": attribution.id, "adapted": adapt.adapted,
        "reason": text, "expired": expired,
    })
    notify_bailleur(offre, f"Proposition refusée : {offre.ref}", (
        f"Le demandeur {demande.nur} a refusé la proposition du logement {offre.ref} "
        f"({'absence de réponse dans le délai' if expired else 'motif : ' + text}).\n"))
    following = cal.next_in_rank(offre)
    if following is not None:
        allocate(offre, db.session.get(Demande, following.demande_id), on=on, actor=actor,
                 decision=following)
    return refusal


def expire(on: date) -> list[Refusal]:
    """Every proposal whose answer delay ended before ``on`` counts as refused."""
    due = db.session.scalars(
        select(Attribution).where(Attribution.status == "proposee",
                                  Attribution.answer_due_on < on)
        .order_by(Attribution.answer_due_on, Attribution.id)
    ).all()
    return [refuse(a, version=a.version, reason=None, actor=None, on=on, expired=True)
            for a in due]
