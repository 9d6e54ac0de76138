"""The demande form and the exchange-format record (docs/formats.md ``demande``), both ways.

``RecordMapping`` (a mixin of ``DemandeForm``) builds the record from the form and finds the
field a refused record's path designates; ``initial_data`` fills the form from a saved demande.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from wtforms import Field

from app.spaces.requester.demande_labels import PARTNER_ROLES
from matching import records


class RecordMapping:
    """From the form's fields to the record, and from a record path back to a field."""

    def build_record(self, *, nur: str, filed_on: date, renewed_on: date | None = None,
                     acd: Mapping[str, Any] | None = None) -> tuple[dict, list[str | None]]:
        """The docs/formats.md ``demande`` record of the form, and the members' first names."""
        rows = self.member_rows()
        household = [
            {
                "role": row.role.data,
                "birth_date": row.birth_date.data.isoformat() if row.birth_date.data else None,
                "is_dependent": bool(row.is_dependent.data),
                "has_disability": bool(row.has_disability.data),
            }
            for row in rows
        ]
        first_names = [row.first_name.data or None for row in rows]
        employment = []
        roles = [row.role.data for row in rows]
        if self.contract_demandeur.data and "demandeur" in roles:
            employment.append({"member": roles.index("demandeur"),
                               "contract": self.contract_demandeur.data})
        partner = next((i for i, role in enumerate(roles) if role in PARTNER_ROLES), None)
        if self.contract_partner.data and partner is not None:
            employment.append({"member": partner, "contract": self.contract_partner.data})
        acd = acd or {}
        record = {
            "id": nur,
            "filed_on": filed_on.isoformat(),
            "renewed_on": renewed_on.isoformat() if renewed_on else None,
            # docs/regulation.md: a mutation is a demande from a household already in social housing.
            "is_mutation": self.housing_kind.data == "locataire_hlm",
            "household": household,
            "rfr_n2": self.rfr_n2.data,
            "rfr_n1": self.rfr_n1.data,
            "resources_last_12_months": self.resources_last_12_months.data,
            "monthly_resources": self.monthly_resources.data,
            "current_housing": {
                "kind": self.housing_kind.data,
                "commune": self.housing_commune.data or None,
                "rooms": self.housing_rooms.data,
                "surface": self.housing_surface.data,
                "rent": self.housing_rent.data,
                "charges": self.housing_charges.data,
            },
            "reasons": list(self.reasons.data or ()),
            "employment": employment,
            "employer": {
                "siret": self.employer_siret.data or None,
                "contributes_action_logement": bool(self.contributes_action_logement.data),
            },
            "wishes": {
                "communes": [entry.data for entry in self.communes.entries if entry.data],
                "typologies": list(self.typologies.data or ()),
                "max_rent": self.max_rent.data,
                "needs_accessible": bool(self.needs_accessible.data),
            },
            "priority": {
                "dalo": bool(self.dalo.data),
                "l441_1": list(self.l441_1.data or ()),
                "acd_labelled": bool(acd.get("acd_labelled")),
                "labelled_by": acd.get("labelled_by"),
                "labelled_on": acd["labelled_on"].isoformat() if acd.get("labelled_on") else None,
            },
        }
        return record, first_names

    def field_for_path(self, path: str) -> Field | None:
        """The form field a RecordError path designates (None: the form as a whole)."""
        simple = {
            "rfr_n2": self.rfr_n2, "rfr_n1": self.rfr_n1,
            "resources_last_12_months": self.resources_last_12_months,
            "monthly_resources": self.monthly_resources,
            "current_housing": self.housing_kind,
            "current_housing.kind": self.housing_kind,
            "current_housing.commune": self.housing_commune,
            "current_housing.rooms": self.housing_rooms,
            "current_housing.surface": self.housing_surface,
            "current_housing.rent": self.housing_rent,
            "current_housing.charges": self.housing_charges,
            "employer": self.employer_siret, "employer.siret": self.employer_siret,
            "employer.contributes_action_logement": self.contributes_action_logement,
            "wishes": self.communes, "wishes.communes": self.communes,
            "wishes.max_rent": self.max_rent, "wishes.needs_accessible": self.needs_accessible,
            "priority.dalo": self.dalo, "household": self.household,
        }
        if path in simple:
            return simple[path]
        match = re.match(r"^household\[([0-9]+)\]\.?(\w*)", path)
        if match:
            rows = self.member_rows()
            index, name = int(match.group(1)), match.group(2)
            if index < len(rows) and name in rows[index]:
                return rows[index][name]
            return self.household
        match = re.match(r"^wishes\.communes\[([0-9]+)\]", path)
        if match:
            filled = [entry for entry in self.communes.entries if entry.data]
            index = int(match.group(1))
            return filled[index] if index < len(filled) else self.communes
        match = re.match(r"^employment\[([0-9]+)\]", path)
        if match:
            return self.contract_demandeur if match.group(1) == "0" else self.contract_partner
        for prefix, target in (("wishes.typologies", self.typologies), ("reasons", self.reasons),
                               ("priority.l441_1", self.l441_1)):
            if path.startswith(prefix):
                return target
        return None


def initial_data(rec: records.Demande, *, identity: Mapping[str, str | None],
                 first_names: Sequence[str | None]) -> dict[str, Any]:
    """The form's values for an existing demande (editing), from its exchange record and the
    identity kept beside it (app.adapters.records: the one mapping of the demande's rows)."""
    contracts = {e.member: e.contract for e in rec.employment}
    roles = [m.role for m in rec.household]
    demandeur = roles.index("demandeur") if "demandeur" in roles else None
    partner = next((i for i, role in enumerate(roles) if role in PARTNER_ROLES), None)
    return {
        "civility": identity.get("civility") or "",
        "last_name": identity.get("last_name"),
        "phone": identity.get("phone"),
        "address": identity.get("address"),
        "household": [
            {"role": m.role, "first_name": first_names[i] if i < len(first_names) else None,
             "birth_date": m.birth_date, "is_dependent": m.is_dependent,
             "has_disability": m.has_disability}
            for i, m in enumerate(rec.household)
        ],
        "rfr_n2": rec.rfr_n2,
        "rfr_n1": rec.rfr_n1,
        "resources_last_12_months": rec.resources_last_12_months,
        "monthly_resources": rec.monthly_resources,
        "housing_kind": rec.current_housing.kind,
        "housing_commune": rec.current_housing.commune,
        "housing_rooms": rec.current_housing.rooms,
        "housing_surface": rec.current_housing.surface,
        "housing_rent": rec.current_housing.rent,
        "housing_charges": rec.current_housing.charges,
        "reasons": list(rec.reasons),
        "contract_demandeur": contracts.get(demandeur, "") if demandeur is not None else "",
        "contract_partner": contracts.get(partner, "") if partner is not None else "",
        "employer_siret": rec.employer.siret,
        "contributes_action_logement": rec.employer.contributes_action_logement,
        "communes": list(rec.wishes.communes),
        "typologies": list(rec.wishes.typologies),
        "max_rent": rec.wishes.max_rent,
        "needs_accessible": rec.wishes.needs_accessible,
        "dalo": rec.priority.dalo,
        "l441_1": list(rec.priority.l441_1),
    }
