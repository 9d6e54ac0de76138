"""Exchange-format records (matching.records) → table rows and model objects.

Bulk paths (imports, the demo loader) build plain rows for Core ``executemany`` inserts: a
département's file (10⁴–10⁵ demandes) loads in seconds instead of minutes with ORM objects.
The portal writes one demande through ``apply_demande_record``; both share
``record_columns``, so a field is mapped in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from app.demandes.models import (
    Demande,
    DemandeReason,
    Employment,
    HouseholdMember,
    PriorityCriterion,
    Refusal,
    Verification,
    WishedCommune,
    WishedTypology,
)
from app.flux.models import Convention
from app.patrimoine.models import Logement
from matching import records

Rows = dict[Any, list[dict[str, Any]]]  # table → rows


def new_rows() -> Rows:
    return defaultdict(list)


def record_columns(rec: records.Demande) -> dict[str, Any]:
    """The demandes columns that come from an exchange-format record (the one mapping, used
    by bulk inserts here and by the portal's ORM writes)."""
    ch = rec.current_housing
    return {
        "filed_on": rec.filed_on,
        "renewed_on": rec.renewed_on,
        "is_mutation": rec.is_mutation,
        "rfr_n2": rec.rfr_n2,
        "rfr_n1": rec.rfr_n1,
        "resources_last_12_months": rec.resources_last_12_months,
        "monthly_resources": rec.monthly_resources,
        "current_housing_kind": ch.kind,
        "current_commune_insee": ch.commune,
        "current_rooms": ch.rooms,
        "current_surface": ch.surface,
        "current_rent": ch.rent,
        "current_charges": ch.charges,
        "employer_siret": rec.employer.siret,
        "employer_contributes_action_logement": rec.employer.contributes_action_logement,
        "max_rent": rec.wishes.max_rent,
        "needs_accessible": rec.wishes.needs_accessible,
        "is_dalo": rec.priority.dalo,
        "is_acd_labelled": rec.priority.acd_labelled,
        "labelled_by": rec.priority.labelled_by,
        "labelled_on": rec.priority.labelled_on,
    }


def apply_demande_record(demande: Demande, rec: records.Demande,
                         first_names: Sequence[str | None]) -> None:
    """Write a record onto a demande: its columns and its parts (the one ORM write path;
    bulk inserts use demande_rows)."""
    for column, value in record_columns(rec).items():
        setattr(demande, column, value)
    for position, member in enumerate(rec.household):
        first_name = first_names[position] if position < len(first_names) else None
        demande.members.append(HouseholdMember(
            position=position, role=member.role, first_name=first_name,
            birth_date=member.birth_date, is_dependent=member.is_dependent,
            has_disability=member.has_disability,
        ))
    demandeur = next(i for i, m in enumerate(rec.household) if m.role == "demandeur")
    if demandeur < len(first_names) and first_names[demandeur]:
        demande.first_name = first_names[demandeur]  # identity shown to staff
    demande.reasons.extend(DemandeReason(reason=r) for r in dict.fromkeys(rec.reasons))
    by_member = {e.member: e.contract for e in reversed(rec.employment)}  # first one wins
    demande.employments.extend(
        Employment(member_position=m, contract=c) for m, c in sorted(by_member.items())
    )
    demande.wished_communes.extend(
        WishedCommune(rank=rank, commune_insee=c)
        for rank, c in enumerate(dict.fromkeys(rec.wishes.communes), start=1)
    )
    demande.wished_typologies.extend(
        WishedTypology(typology=t) for t in dict.fromkeys(rec.wishes.typologies)
    )
    demande.priority_criteria.extend(
        PriorityCriterion(criterion=c) for c in dict.fromkeys(rec.priority.l441_1)
    )


def demande_rows(
    rec: records.Demande,
    *,
    demande_id: int,
    epci_id: int,
    status: str = "active",
    requester_id: int | None = None,
    identity: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    out: Rows | None = None,
) -> Rows:
    """Rows of one demande and its parts."""
    out = out if out is not None else new_rows()
    now = now or datetime.now(UTC)
    identity = identity or {}
    out[Demande.__table__].append(
        {
            "id": demande_id,
            "nur": rec.id,
            "requester_id": requester_id,
            "epci_id": epci_id,
            "status": status,
            "civility": identity.get("civility"),
            "first_name": identity.get("first_name"),
            "last_name": identity.get("last_name"),
            "email": identity.get("email"),
            "phone": identity.get("phone"),
            "address": identity.get("address"),
            **record_columns(rec),
            "created_at": now,
            "updated_at": now,
            "closed_on": identity.get("closed_on"),
            "purged_at": None,
        }
    )
    names = identity.get("member_first_names") or ()
    for position, m in enumerate(rec.household):
        out[HouseholdMember.__table__].append(
            {
                "demande_id": demande_id,
                "position": position,
                "role": m.role,
                "first_name": (names[position] if position < len(names)
                               else identity.get("first_name") if m.role == "demandeur" else None),
                "birth_date": m.birth_date,
                "is_dependent": m.is_dependent,
                "has_disability": m.has_disability,
            }
        )
    for reason in dict.fromkeys(rec.reasons):
        out[DemandeReason.__table__].append({"demande_id": demande_id, "reason": reason})
    seen_members: set[int] = set()
    for e in rec.employment:
        if e.member in seen_members:
            continue
        seen_members.add(e.member)
        out[Employment.__table__].append(
            {"demande_id": demande_id, "member_position": e.member, "contract": e.contract}
        )
    for rank, commune in enumerate(dict.fromkeys(rec.wishes.communes), start=1):
        out[WishedCommune.__table__].append(
            {"demande_id": demande_id, "rank": rank, "commune_insee": commune}
        )
    for typology in dict.fromkeys(rec.wishes.typologies):
        out[WishedTypology.__table__].append({"demande_id": demande_id, "typology": typology})
    for criterion in dict.fromkeys(rec.priority.l441_1):
        out[PriorityCriterion.__table__].append({"demande_id": demande_id, "criterion": criterion})
    for r in rec.refusals:
        out[Refusal.__table__].append(
            {
                "demande_id": demande_id,
                "refused_on": r.date,
                "offre_id": None,
                "offer_ref": r.offer,
                "bailleur_id": None,
                "is_adapted": r.adapted,
                "reason": r.reason,
            }
        )
    for criterion, status in rec.verified.items():
        out[Verification.__table__].append(
            {"demande_id": demande_id, "criterion": criterion, "status": status,
             "verified_by_id": None, "verified_at": None}
        )
    return out


def logement_rows(
    rec: records.Logement,
    *,
    bailleur_id: int,
    programme_id: int | None = None,
    address: str | None = None,
    qpv_name: str | None = None,
    hors_flux_reason: str | None = None,
    now: datetime | None = None,
    out: Rows | None = None,
    logement_id: int | None = None,
) -> Rows:
    """Rows of one logement."""
    out = out if out is not None else new_rows()
    row = {
        "ref": rec.id,
        "bailleur_id": bailleur_id,
        "programme_id": programme_id,
        "commune_insee": rec.commune,
        "address": address,
        "zone": rec.zone,
        "qpv": rec.qpv,
        "qpv_name": qpv_name,
        "typology": rec.typology,
        "rooms": rec.rooms,
        "surface": rec.surface,
        "floor": rec.floor,
        "lift": rec.lift,
        "accessible": rec.accessible,
        "financing": rec.financing,
        "rent": rec.rent,
        "charges": rec.charges,
        "construction_year": rec.construction_year,
        "hors_flux_reason": hors_flux_reason,
        "created_at": now or datetime.now(UTC),
    }
    if logement_id is not None:
        row["id"] = logement_id
    out[Logement.__table__].append(row)
    return out


def convention_rows(
    rec: records.Convention, *, bailleur_id: int, reservataire_id: int, out: Rows | None = None
) -> Rows:
    """Rows of one convention de réservation."""
    out = out if out is not None else new_rows()
    out[Convention.__table__].append(
        {
            "ref": rec.id,
            "bailleur_id": bailleur_id,
            "reservataire_id": reservataire_id,
            "departement": rec.departement,
            "year": rec.year,
            "share_percent": rec.share_percent,
            "origin": rec.origin,
            "designation_delay_days": rec.designation_delay_days,
            "counts_on": rec.counts_on,
            "counts_after_takeback": rec.counts_after_takeback,
            "scope_communes": list(rec.scope.communes),
            "scope_typologies": list(rec.scope.typologies),
            "scope_qpv": rec.scope.qpv,
            "signed_on": None,
        }
    )
    return out


# Parents before children, so foreign keys hold at every insert.
INSERT_ORDER = (
    Logement.__table__,
    Convention.__table__,
    Demande.__table__,
    HouseholdMember.__table__,
    DemandeReason.__table__,
    Employment.__table__,
    WishedCommune.__table__,
    WishedTypology.__table__,
    PriorityCriterion.__table__,
    Refusal.__table__,
    Verification.__table__,
)


def insert_rows(session, rows: Rows, chunk: int = 5000) -> dict[str, int]:
    """Insert rows table by table in dependency order; return counts per table."""
    counts: dict[str, int] = {}
    order = list(INSERT_ORDER) + [t for t in rows if t not in INSERT_ORDER]
    for table in order:
        batch = rows.get(table)
        if not batch:
            continue
        for start in range(0, len(batch), chunk):
            session.execute(table.insert(), batch[start : start + chunk])
        counts[table.name] = len(batch)
        if "id" in batch[0]:
            sync_sequence(session, table)
    return counts


def sync_sequence(session, table) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequence past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
    ))
