"""Filing and updating a requester's demande from the portal form (flush, never commit).

One write path for both operations: ``_write_parts`` sets the columns and the parts of a
demande from a validated exchange-format record (``matching.records.Demande``). The request
boundary commits; a refused operation leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Organisation, User
from app.adapters.records import demande_record
from app.adapters.rows import apply_demande_record
from app.audit.services import record as audit
from app.demandes.models import (
    ACTIVE_DEMANDE_STATUSES,
    Demande,
)
from app.extensions import db
from app.territoire.models import Commune
from matching import records

NUR_SEQUENCE_DIGITS = 6
NUR_ATTEMPTS = 5  # a concurrent filing may take the number computed: try the next one


class DuplicateActiveDemande(Exception):
    """The requester already has an active demande on this territory."""

    def __init__(self, nur: str):
        super().__init__(nur)
        self.nur = nur


# --------------------------------------------------------------------------- reads


def epci_organisations() -> list[Organisation]:
    """The territories a demande can be filed on (EPCI organisations), by name."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.kind == "epci").order_by(Organisation.name)
    ))


def has_territory(epci_id: int) -> bool:
    """Whether communes are attached to this EPCI (wishes must then be among them)."""
    return db.session.scalar(
        select(func.count()).select_from(Commune).where(Commune.epci_id == epci_id)
    ) > 0


def datalist_communes(epci_id: int | None) -> list[Commune]:
    """Suggestions for the INSEE inputs: the EPCI's communes, or every known commune."""
    query = select(Commune).order_by(Commune.name)
    if epci_id is not None and has_territory(epci_id):
        query = query.where(Commune.epci_id == epci_id)
    return list(db.session.scalars(query))


def active_demande_for(user: User, epci_id: int) -> Demande | None:
    """The requester's active demande on this territory, if any."""
    return db.session.scalar(
        select(Demande).where(
            Demande.requester_id == user.id,
            Demande.epci_id == epci_id,
            Demande.status.in_(ACTIVE_DEMANDE_STATUSES),
        )
    )


def active_demandes_of(user: User) -> list[Demande]:
    """All the requester's active demandes."""
    return list(db.session.scalars(
        select(Demande)
        .where(Demande.requester_id == user.id, Demande.status.in_(ACTIVE_DEMANDE_STATUSES))
        .order_by(Demande.filed_on)
    ))


def own_active_demande(user: User, nur: str) -> Demande | None:
    """The requester's own active demande by NUR; None for anyone else's or a closed one."""
    return db.session.scalar(
        select(Demande).where(
            Demande.nur == nur,
            Demande.requester_id == user.id,
            Demande.status.in_(ACTIVE_DEMANDE_STATUSES),
        )
    )


# --------------------------------------------------------------------------- NUR


def nur_prefix(epci: Organisation, year: int, fallback_departement: str | None = None) -> str:
    """``{departement}-{year}-`` with the département on 3 characters (045, 02A, 974)."""
    departement = epci.departement or db.session.scalar(
        select(Commune.departement).where(Commune.epci_id == epci.id).limit(1)
    ) or fallback_departement or "000"
    return f"{departement.zfill(3)}-{year}-"


def next_nur(prefix: str) -> str:
    """The next free number for this prefix: highest 6-digit sequence in use + 1."""
    pattern = prefix + "_" * NUR_SEQUENCE_DIGITS
    highest = db.session.scalar(select(func.max(Demande.nur)).where(Demande.nur.like(pattern)))
    suffix = highest[len(prefix):] if highest else "0"
    if not suffix.isdigit():  # a foreign number sorted last: look at the numeric ones only
        numbers = db.session.scalars(select(Demande.nur).where(Demande.nur.like(pattern)))
        suffix = str(max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()),
                         default=0))
    return f"{prefix}{int(suffix) + 1:0{NUR_SEQUENCE_DIGITS}d}"


# --------------------------------------------------------------------------- writes


def create_demande(user: User, epci: Organisation, record: records.Demande, *,
                   today: date, first_names: Sequence[str | None] = (),
                   identity: Mapping[str, str | None] | None = None) -> Demande:
    """File a new active demande for the requester on the EPCI's territory (assigns the NUR)."""
    existing = active_demande_for(user, epci.id)
    if existing is not None:
        raise DuplicateActiveDemande(existing.nur)
    fallback = None
    if record.wishes.communes:
        fallback = db.session.scalar(
            select(Commune.departement).where(Commune.insee == record.wishes.communes[0])
        )
    prefix = nur_prefix(epci, today.year, fallback)
    for attempt in range(NUR_ATTEMPTS):
        nur = next_nur(prefix)
        rec = dataclasses.replace(record, id=nur, filed_on=today, renewed_on=None)
        demande = Demande(nur=nur, requester_id=user.id, epci_id=epci.id, status="active",
                          email=user.email)
        apply_demande_record(demande, rec, first_names)
        _write_identity(demande, identity)
        try:
            with db.session.begin_nested():  # a refused insert leaves the rest of the request
                db.session.add(demande)
                db.session.flush()
        except IntegrityError:
            existing = active_demande_for(user, epci.id)
            if existing is not None:  # filed meanwhile (double submission)
                raise DuplicateActiveDemande(existing.nur) from None
            if attempt == NUR_ATTEMPTS - 1:
                raise
            continue  # the number was taken meanwhile: compute the next one
        audit("demande.create", actor=user, entity_type="demande", entity_id=nur,
              epci=epci.slug, channel="portail")
        return demande
    raise AssertionError("unreachable")


def update_demande(user: User, demande: Demande, record: records.Demande, *,
                   first_names: Sequence[str | None] = (),
                   identity: Mapping[str, str | None] | None = None) -> Demande:
    """Replace what the requester declares; NUR, dates, status, refusals and checks stay."""
    before = _sections(demande_record(demande), [m.first_name for m in demande.members])
    after = _sections(record, list(first_names))
    rec = dataclasses.replace(record, id=demande.nur, filed_on=demande.filed_on,
                              renewed_on=demande.renewed_on)
    # Delete the old parts first: a new member at the same position would otherwise be
    # inserted before the old one is deleted (unique demande × position).
    for parts in (demande.members, demande.reasons, demande.employments,
                  demande.wished_communes, demande.wished_typologies,
                  demande.priority_criteria):
        parts.clear()
    db.session.flush()
    identity_changed = identity is not None and any(
        getattr(demande, key) != value for key, value in identity.items()
    )
    apply_demande_record(demande, rec, first_names)
    _write_identity(demande, identity)
    db.session.flush()
    changed = sorted(name for name in after if after[name] != before.get(name))
    if identity_changed:
        changed.append("coordonnees")
    audit("demande.update", actor=user, entity_type="demande", entity_id=demande.nur,
          sections=changed, channel="portail")
    return demande


def _write_identity(demande: Demande, identity: Mapping[str, str | None] | None) -> None:
    """Contact details of the requester (civility, last name, phone, address)."""
    for key, value in (identity or {}).items():
        setattr(demande, key, value)


def _sections(rec: records.Demande, first_names: list) -> Mapping[str, object]:
    """The declared parts of a record, normalised, to name what an update changed (the
    audit trail records section names, never the personal values)."""
    return {
        "menage": (rec.household, tuple(first_names)),
        "ressources": (rec.rfr_n2, rec.rfr_n1, rec.resources_last_12_months,
                       rec.monthly_resources),
        "logement_actuel": rec.current_housing,
        "motifs": tuple(sorted(rec.reasons)),
        "emploi": (tuple(sorted((e.member, e.contract) for e in rec.employment)), rec.employer),
        "souhaits": (rec.wishes.communes, tuple(sorted(rec.wishes.typologies)),
                     rec.wishes.max_rent, rec.wishes.needs_accessible),
        "priorite": (rec.priority.dalo, tuple(sorted(rec.priority.l441_1))),
    }
