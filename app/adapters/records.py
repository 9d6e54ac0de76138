"""ORM models → matching records (the domain never sees a model)."""

from __future__ import annotations

from app.demandes.models import Demande
from app.flux.models import Convention
from app.patrimoine.models import Logement
from matching import records


def demande_record(d: Demande) -> records.Demande:
    """The exchange-format record of a demande, as matching/ expects it."""
    return records.Demande(
        id=d.nur,
        filed_on=d.filed_on,
        renewed_on=d.renewed_on,
        is_mutation=d.is_mutation,
        household=tuple(
            records.Member(
                role=m.role, birth_date=m.birth_date, is_dependent=m.is_dependent,
                has_disability=m.has_disability,
            )
            for m in d.members
        ),
        rfr_n2=d.rfr_n2,
        rfr_n1=d.rfr_n1,
        resources_last_12_months=d.resources_last_12_months,
        monthly_resources=d.monthly_resources,
        current_housing=records.CurrentHousing(
            kind=d.current_housing_kind, commune=d.current_commune_insee, rooms=d.current_rooms,
            surface=d.current_surface, rent=d.current_rent, charges=d.current_charges,
        ),
        reasons=tuple(r.reason for r in d.reasons),
        employment=tuple(
            records.Employment(member=e.member_position, contract=e.contract)
            for e in sorted(d.employments, key=lambda e: e.member_position)
        ),
        employer=records.Employer(
            siret=d.employer_siret,
            contributes_action_logement=d.employer_contributes_action_logement,
        ),
        wishes=records.Wishes(
            communes=tuple(w.commune_insee for w in d.wished_communes),
            typologies=tuple(sorted(t.typology for t in d.wished_typologies)),
            max_rent=d.max_rent,
            needs_accessible=d.needs_accessible,
        ),
        priority=records.Priority(
            dalo=d.is_dalo,
            l441_1=tuple(sorted(p.criterion for p in d.priority_criteria)),
            acd_labelled=d.is_acd_labelled,
            labelled_by=d.labelled_by,
            labelled_on=d.labelled_on,
        ),
        refusals=tuple(
            records.Refusal(date=r.refused_on, offer=r.offer_ref, adapted=r.is_adapted, reason=r.reason)
            for r in d.refusals
        ),
        verified={v.criterion: v.status for v in d.verifications},
    )


def logement_record(lg: Logement) -> records.Logement:
    """The exchange-format record of a logement."""
    return records.Logement(
        id=lg.ref,
        bailleur=lg.bailleur.slug if lg.bailleur else None,
        programme=lg.programme.name if lg.programme else None,
        commune=lg.commune_insee,
        zone=lg.zone,
        zone_abc=lg.commune.zone_abc if lg.commune else None,
        qpv=lg.qpv,
        typology=lg.typology,
        rooms=lg.rooms,
        surface=lg.surface,
        floor=lg.floor,
        lift=lg.lift,
        accessible=lg.accessible,
        financing=lg.financing,
        rent=lg.rent,
        charges=lg.charges,
        construction_year=lg.construction_year,
    )


def convention_record(c: Convention) -> records.Convention:
    """The exchange record of a stored convention."""
    return records.Convention(
        id=c.ref, bailleur=c.bailleur.slug, reservataire=c.reservataire.slug,
        reservataire_kind=c.reservataire.reservataire_kind, departement=c.departement,
        year=c.year, share_percent=c.share_percent, origin=c.origin,
    )
