"""Orientation of each vacancy, its designation deadline and the takeback.

* ``declare_vacancy``: a logement becomes an offer ``a_orienter``;
* ``propose``: the engine's proposal (``matching.flux`` apportionment, earliest deadline
  first), fed with the flux's conventions and the year's orientations from the ledger
  (``app/adapters/flux.py``), with its reason in words and figures;
* ``confirm``: the bailleur confirms or overrides (a written reason is then required); the
  offer's status and the ledger event (``details``: proposed_to, chosen_to, reason,
  override_reason, gaps, convention id and version, deadline) are written together;
* ``takeback`` / ``takeback_due``: at the deadline, the bailleur takes the dwelling back.

Statuses (docs/regulation.md « Gestion en flux »): ``a_orienter`` → ``oriente`` (a
réservataire, with ``designation_deadline`` = orientation date + the convention's delay),
``contingent_bailleur`` (the bailleur's own share: no réservataire, no deadline) or
``hors_flux``; ``oriente`` → ``repris_bailleur`` at the deadline. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import Organisation, User
from app.adapters import flux as adapters
from app.extensions import db
from app.flux.conventions import terms_at
from app.flux.ledger import record_event
from app.flux.models import OPEN_FLUX_STATUSES, Convention, FluxEvent, Offre
from app.patrimoine.models import Logement
from matching import flux
from matching.flux.apportionment import HORS_FLUX_CATEGORIES, scope_admits

MAX_REASON = 2000


class OrientationRefused(ValueError):
    """An orientation, declaration or takeback the rules refuse (French message, with the
    form field it concerns)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class FluxState:
    """One flux (bailleur × département × year) replayed from the ledger."""

    bailleur: Organisation
    departement: str
    year: int
    apportionment: flux.Apportionment
    conventions: dict[str, Convention]  # réservataire slug → convention
    names: dict[str, str] = field(default_factory=dict)  # participant id → display name

    def name(self, participant: str | None) -> str:
        if participant is None:
            return "hors flux"
        return self.names.get(participant, participant)


@dataclass
class Proposal:
    """The engine's proposal for one offer, with what the screens show."""

    offre: Offre
    state: FluxState
    decision: flux.Decision
    on: date

    @property
    def to(self) -> str | None:
        return self.decision.to

    @property
    def is_hors_flux(self) -> bool:
        return self.decision.flux_status == "hors_flux"

    @property
    def to_bailleur(self) -> bool:
        return self.decision.to == self.state.bailleur.slug

    @property
    def to_name(self) -> str:
        return self.state.name(self.decision.to)

    @property
    def convention(self) -> Convention | None:
        return self.state.conventions.get(self.decision.to or "")

    def gaps(self) -> list[tuple[str, float]]:
        """Every participant's realised − share × count after this orientation (dwellings)."""
        return [(self.state.name(p), round(float(g), 2))
                for p, g in self.decision.gaps().items()]

    def choices(self) -> list[tuple[str, str]]:
        """(participant id, label) the bailleur may choose instead, scope permitting."""
        lg = adapters.vacancy(self.offre, self.on.year).logement
        out = []
        for p in self.state.apportionment.participants:
            if p.kind != "bailleur" and not scope_admits(p.scope, lg):
                continue
            share = flux.apportionment.fr_number(100 * p.share)
            out.append((p.id, f"{self.state.name(p.id)} ({share} %)"))
        return out


# --------------------------------------------------------------------------- flux state


def flux_state(bailleur: Organisation, departement: str, year: int) -> FluxState:
    """The flux with its participants and the year's orientations replayed."""
    conventions = adapters.flux_conventions(bailleur.id, departement, year)
    try:
        participants = adapters.participants(bailleur, conventions)
        apportionment = flux.Apportionment(participants, bailleur=bailleur.slug,
                                           departement=departement, year=year)
    except ValueError as exc:
        raise OrientationRefused(f"Orientation impossible : {exc}.") from None
    for event in adapters.flux_history(bailleur, departement, year):
        if event.to in apportionment.index:  # a réservataire without convention this year
            apportionment.record(event.to)
    names = {c.reservataire.slug: c.reservataire.name for c in conventions}
    names[bailleur.slug] = f"{bailleur.name} (contingent propre)"
    return FluxState(bailleur, departement, year, apportionment,
                     {c.reservataire.slug: c for c in conventions}, names)


def propose(offres: list[Offre], on: date) -> list[Proposal]:
    """The engine's proposals for offers to orient on ``on``, in the given order: each one
    counts the previous ones, as if they were confirmed in that order."""
    states: dict[tuple[int, str, int], FluxState] = {}
    out = []
    for offre in offres:
        bailleur = offre.logement.bailleur
        key = (bailleur.id, adapters.departement_of(offre), on.year)
        if key not in states:
            states[key] = flux_state(bailleur, key[1], key[2])
        state = states[key]
        decision = state.apportionment.orient(adapters.vacancy(offre, on.year).logement,
                                              adapters.hors_flux_category(offre))
        out.append(Proposal(offre, state, decision, on))
    return out


# --------------------------------------------------------------------------- writes


def declare_vacancy(logement: Logement, declared_on: date, available_on: date, *,
                    excluded_from_base: str | None = None) -> Offre:
    """A logement's vacancy (notice received on ``declared_on``, free on ``available_on``)."""
    if available_on < declared_on:
        raise OrientationRefused("La date de disponibilité ne peut pas précéder la date du "
                                 "congé.", "available_on")
    open_offer = db.session.scalar(select(Offre.ref).where(
        Offre.logement_id == logement.id, Offre.flux_status.in_(OPEN_FLUX_STATUSES)))
    if open_offer is not None:
        raise OrientationRefused(f"Ce logement a déjà une offre en cours ({open_offer}).",
                                 "logement")
    base = f"OFF-{logement.ref}-{declared_on:%Y%m%d}"[:60]
    ref, n = base, 1
    while db.session.scalar(select(Offre.id).where(Offre.ref == ref)) is not None:
        n += 1
        ref = f"{base}-{n}"
    offre = Offre(ref=ref, logement_id=logement.id, flux_status="a_orienter",
                  declared_on=declared_on, available_on=available_on,
                  excluded_from_base=excluded_from_base)
    db.session.add(offre)
    db.session.flush()
    return offre


def confirm(offre: Offre, on: date, *, actor: User | None = None, chosen: str | None = None,
            override_reason: str | None = None, proposal: Proposal | None = None
            ) -> FluxEvent:
    """Orient an offer: to the engine's proposal, or to ``chosen`` with a written reason.

    The event records the proposal and the choice, the reason in words, every participant's
    gap, the convention and the version applied; the offer takes its new status."""
    if offre.flux_status != "a_orienter":
        raise OrientationRefused("Cette offre est déjà orientée.")
    proposal = proposal or propose([offre], on)[0]
    state, decision = proposal.state, proposal.decision
    chosen = chosen or decision.to
    reason_text = (override_reason or "").strip()
    if proposal.is_hors_flux:
        if chosen != decision.to:
            raise OrientationRefused(
                "Ce logement est hors flux : il ne peut pas être orienté vers un réservataire.",
                "chosen")
    elif chosen != decision.to:
        if chosen not in dict(proposal.choices()):
            raise OrientationRefused(
                "Choisissez un participant du flux dont le périmètre admet ce logement.",
                "chosen")
        if not reason_text:
            raise OrientationRefused(
                "Indiquez par écrit pourquoi vous ne suivez pas la proposition.",
                "override_reason")
        if len(reason_text) > MAX_REASON:
            raise OrientationRefused(f"{MAX_REASON} caractères au plus.", "override_reason")
    convention = state.conventions.get(chosen or "")
    deadline = (on + timedelta(days=convention.designation_delay_days)
                if convention is not None else None)
    details = {
        "proposed_to": decision.to, "chosen_to": chosen, "reason": decision.reason,
        "override_reason": reason_text or None,
        "gaps": {p: round(float(g), 4) for p, g in decision.gaps().items()},
        "forced": decision.forced, "hors_flux": decision.hors_flux,
        "convention_id": convention.id if convention else None,
        "convention_version": convention.version if convention else None,
        "designation_deadline": deadline.isoformat() if deadline else None,
    }
    if proposal.is_hors_flux:
        offre.flux_status = "hors_flux"
        return record_event(offre, "hors_flux", on, reservataire_id=None, actor=actor,
                            note=decision.reason, details=details)
    if convention is None:  # the bailleur's own share
        offre.flux_status = "contingent_bailleur"
        offre.reservataire_id = offre.convention_id = None
        offre.designation_deadline = None
    else:
        offre.flux_status = "oriente"
        offre.reservataire_id = convention.reservataire_id
        offre.convention_id = convention.id
        offre.designation_deadline = deadline
    db.session.flush()
    return record_event(offre, "mise_a_disposition", on, actor=actor,
                        reservataire_id=offre.reservataire_id, convention_id=offre.convention_id,
                        note=reason_text or decision.reason, details=details)


def confirm_batch(offres: list[Offre], on: date, *, actor: User | None = None
                  ) -> list[FluxEvent]:
    """Confirm the engine's proposal for several offers, in order (each counts the previous)."""
    return [confirm(offre, on, actor=actor) for offre in offres]


def orientation_event(offre: Offre) -> FluxEvent | None:
    """The offer's latest orientation (its ``mise_a_disposition`` event)."""
    return db.session.scalar(
        select(FluxEvent).where(FluxEvent.offre_id == offre.id,
                                FluxEvent.kind == "mise_a_disposition")
        .order_by(FluxEvent.occurred_on.desc(), FluxEvent.id.desc()).limit(1)
    )


def takeback(offre: Offre, on: date, *, actor: User | None = None) -> FluxEvent:
    """Take a dwelling back once its designation deadline has passed.

    Whether it still counts against the réservataire's share follows the convention's
    ``counts_after_takeback``, at the version its orientation applied: when it counts, the
    ``reprise`` names nobody and the offer keeps its réservataire (a later allocation still
    counts for it); when it does not, the ``reprise`` names the convention (the compensating
    entry that cancels the orientation in every count) and the offer leaves the réservataire."""
    if offre.flux_status != "oriente" or offre.convention is None:
        raise OrientationRefused("Seul un logement orienté vers un réservataire peut être repris.")
    if offre.designation_deadline is None or offre.designation_deadline >= on:
        raise OrientationRefused(
            "Le délai de désignation n'est pas échu : le réservataire peut encore désigner.")
    convention = offre.convention
    oriented = orientation_event(offre)
    version = ((oriented.details or {}).get("convention_version") if oriented else None) \
        or convention.version
    terms = terms_at(convention, version) or terms_at(convention, convention.version)
    counts = terms.counts_after_takeback
    details = {"reservataire_id": offre.reservataire_id, "convention_id": convention.id,
               "convention_version": terms.version, "counts_after_takeback": counts,
               "designation_deadline": offre.designation_deadline.isoformat()}
    offre.flux_status = "repris_bailleur"
    if counts:
        event = record_event(offre, "reprise", on, reservataire_id=None, actor=actor,
                             details=details)
    else:
        event = record_event(offre, "reprise", on, actor=actor, details=details)
        offre.reservataire_id = offre.convention_id = None
    db.session.flush()
    return event


@dataclass(frozen=True)
class TakebackReport:
    taken_back: int
    still_counted: int
    not_counted: int


def due_for_takeback(on: date, bailleur_id: int | None = None) -> list[Offre]:
    """Offers oriented to a réservataire whose designation deadline passed before ``on``."""
    query = (select(Offre).options(joinedload(Offre.convention))
             .where(Offre.flux_status == "oriente", Offre.designation_deadline < on)
             .order_by(Offre.designation_deadline, Offre.id))
    if bailleur_id is not None:
        query = query.join(Logement, Offre.logement_id == Logement.id).where(
            Logement.bailleur_id == bailleur_id)
    return list(db.session.scalars(query))


def takeback_due(on: date, *, bailleur_id: int | None = None, actor: User | None = None
                 ) -> TakebackReport:
    """Take back every dwelling past its deadline (idempotent: a second run finds none)."""
    counted = not_counted = 0
    for offre in due_for_takeback(on, bailleur_id):
        event = takeback(offre, on, actor=actor)
        if event.reservataire_id is None:
            counted += 1
        else:
            not_counted += 1
    return TakebackReport(counted + not_counted, counted, not_counted)


HORS_FLUX_LABELS = {k: label for k, (_, label) in HORS_FLUX_CATEGORIES.items()}
