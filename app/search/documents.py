"""Published, open offers read column-wise: the rows behind the offer table, the search
documents and the list's filters (one query, no ORM objects)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from app.accounts.models import Organisation
from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Offre
from app.patrimoine.models import Logement, Programme
from app.search import text
from app.territoire.models import Commune
from matching import records

_Bailleur = aliased(Organisation)
_Reservataire = aliased(Organisation)


def quarter_column():
    """The offer's neighbourhood as published (``Offre.quartier``), else the QPV's name."""
    published = getattr(Offre, "quartier", None)
    if published is None:
        return Logement.qpv_name
    from sqlalchemy import func

    return func.coalesce(published, Logement.qpv_name)


def is_listed():
    """Offers a requester may see: published and still open."""
    return and_(Offre.is_published.is_(True), Offre.flux_status.in_(OPEN_FLUX_STATUSES))


def offer_rows_query(offre_ids: Iterable[int] | None = None) -> Select:
    stmt = (
        select(
            Offre.id, Offre.ref, Offre.flux_status, Offre.available_on,
            Offre.designation_deadline, Offre.published_at, Offre.description,
            quarter_column().label("quarter"),
            Logement.commune_insee, Logement.zone, Logement.qpv, Logement.typology,
            Logement.rooms, Logement.surface, Logement.floor, Logement.lift,
            Logement.accessible, Logement.financing, Logement.rent, Logement.charges,
            Logement.construction_year,
            Commune.name.label("commune_name"), Commune.zone_abc,
            _Bailleur.slug.label("bailleur"), Programme.name.label("programme"),
            _Reservataire.slug.label("reservataire"),
        )
        .join(Logement, Logement.id == Offre.logement_id)
        .join(Commune, Commune.insee == Logement.commune_insee)
        .join(_Bailleur, _Bailleur.id == Logement.bailleur_id)
        .outerjoin(Programme, Programme.id == Logement.programme_id)
        .outerjoin(_Reservataire, _Reservataire.id == Offre.reservataire_id)
        .where(is_listed())
        .order_by(Offre.id)
    )
    if offre_ids is not None:
        stmt = stmt.where(Offre.id.in_(list(offre_ids)))
    return stmt


@cache
def _offer_row_type() -> type:
    return namedtuple("OfferRow", offer_rows_query().selected_columns.keys())


def offer_rows(offre_ids: Iterable[int] | None = None) -> list[Any]:
    """Rows of the listed offers (all, or those of ``offre_ids`` still listed), as named
    tuples: reading a field of one is several times faster than of a SQLAlchemy row, which
    counts when the 20 000 offers of a territory are read into the list's catalogue."""
    make = _offer_row_type()._make
    return [make(row) for row in db.session.execute(offer_rows_query(offre_ids))]


def row_record(row: Any) -> records.Logement:
    """The matching record of an offer row; equal to ``adapters.records.offre_record`` of the
    same offer (tests/integration/test_offer_search.py checks it)."""
    return records.Logement(
        id=row.ref, commune=row.commune_insee, zone=row.zone, typology=row.typology,
        financing=row.financing, rent=row.rent, bailleur=row.bailleur, programme=row.programme,
        qpv=row.qpv, rooms=row.rooms, surface=row.surface, floor=row.floor, lift=row.lift,
        accessible=row.accessible, charges=row.charges, construction_year=row.construction_year,
        available_on=row.available_on, reservataire=row.reservataire,
        flux_status=row.flux_status, designation_deadline=row.designation_deadline,
        zone_abc=row.zone_abc,
    )


def searchable_text(row: Any) -> str:
    """What free-text search reads: commune, quarter, programme and description."""
    return " ".join(p for p in (row.commune_name, row.quarter, row.programme, row.description) if p)


def search_document(row: Any) -> dict[str, Any]:
    """The document every backend indexes for one offer (Meilisearch stores it whole)."""
    return {
        "id": row.id,
        "ref": row.ref,
        "commune": row.commune_insee,
        "commune_name": row.commune_name,
        "quarter": row.quarter,
        "programme": row.programme,
        "description": row.description,
        "stems": text.stemmed(searchable_text(row)),
        "typology": row.typology,
        "financing": row.financing,
        "rent_with_charges": round(float(row.rent) + float(row.charges or 0), 2),
        "floor": row.floor,
        "lift": bool(row.lift),
        "accessible": bool(row.accessible),
        "is_published": True,
        "flux_status": row.flux_status,
        "published_at": int(row.published_at.timestamp()) if row.published_at else 0,
    }
