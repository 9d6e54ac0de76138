"""ORM models → matching records (the domain never sees a model)."""

from __future__ import annotations

import dataclasses

from app.demandes.models import Demande
from app.flux.models import Convention, Offre
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


def demande_identity(d: Demande) -> dict[str, str | None]:
    """The requester's contact details kept beside the record (not part of the exchange format)."""
    return {"civility": d.civility, "last_name": d.last_name, "phone": d.phone,
            "address": d.address}


def member_first_names(d: Demande) -> list[str | None]:
    """First names of the household members, in the record's order (the demandeur's falls
    back to the demande's own first name)."""
    return [m.first_name or (d.first_name if m.role == "demandeur" else None) for m in d.members]


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


def offre_record(o: Offre) -> records.Logement:
    """The exchange record of a published offer: its logement, under the offer's ref, with
    its réservataire, flux status and dates."""
    return dataclasses.replace(
        logement_record(o.logement), id=o.ref, available_on=o.available_on,
        reservataire=o.reservataire.slug if o.reservataire else None,
        flux_status=o.flux_status, designation_deadline=o.designation_deadline,
    )


def convention_record(c: Convention) -> records.Convention:
    """The exchange record of a stored convention."""
    return records.Convention(
        id=c.ref, bailleur=c.bailleur.slug, reservataire=c.reservataire.slug,
        reservataire_kind=c.reservataire.reservataire_kind, departement=c.departement,
        year=c.year, share_percent=c.share_percent, origin=c.origin,
        designation_delay_days=c.designation_delay_days, counts_on=c.counts_on,
        counts_after_takeback=c.counts_after_takeback,
        scope=records.ConventionScope(
            communes=tuple(c.scope_communes or ()), typologies=tuple(c.scope_typologies or ()),
            qpv=c.scope_qpv,
        ),
    )
