"""French labels and badge tones for the interface (one place, used by every template)."""

from __future__ import annotations

from app.accounts.models import ORGANISATION_KIND_LABELS, ROLE_LABELS
from app.attribution.models import CAL_DECISION_LABELS
from app.demandes.models import DEMANDE_STATUS_LABELS
from app.patrimoine.models import HORS_FLUX_REASON_LABELS, RETIRED_REASON_LABELS
from matching import enums

# Short role names, for table headers.
ROLE_SHORT_LABELS = {
    "demandeur": "Demandeurs", "bailleur": "Bailleur", "reservataire": "Réservataire",
    "cal": "CAL", "epci": "EPCI", "admin": "Admin",
}
CAL_SESSION_STATUS_LABELS = {"planifiee": "Planifiée", "tenue": "Tenue", "close": "Close"}
FINANCING_LABELS = {
    "PLAI": "PLAI (prêt locatif aidé d'intégration)",
    "PLUS": "PLUS (prêt locatif à usage social)",
    "PLS": "PLS (prêt locatif social)",
    "PLI": "PLI (prêt locatif intermédiaire)",
}

# Badge tone of each status: info (in progress), success (done), warning (needs action),
# neutral (closed), danger (refused / struck off).
_TONES = {
    "demande": {"brouillon": "warning", "active": "info", "attribuee": "success",
                "radiee": "danger", "expiree": "neutral"},
    "flux": {"hors_flux": "neutral", "a_orienter": "warning", "oriente": "info",
             "contingent_bailleur": "info",
             "repris_bailleur": "info", "designe": "info", "en_cal": "info",
             "attribue": "success", "bail_signe": "success", "retire": "neutral"},
    "cal_session": {"planifiee": "info", "tenue": "success", "close": "neutral"},
}
_LABELS = {
    "demande": DEMANDE_STATUS_LABELS,
    "flux": enums.FLUX_STATUS_LABELS,
    "cal_session": CAL_SESSION_STATUS_LABELS,
    "cal_decision": CAL_DECISION_LABELS,
    "housing": enums.HOUSING_KIND_LABELS,
    "reservataire_kind": enums.RESERVATAIRE_KIND_LABELS,
    "organisation_kind": ORGANISATION_KIND_LABELS,
    "role": ROLE_LABELS,
    "member_role": enums.HOUSEHOLD_ROLE_LABELS,
    "contract": enums.CONTRACT_LABELS,
    "l441_1": enums.L441_1_LABELS,
    "reason": enums.REASON_LABELS,
    "role_short": ROLE_SHORT_LABELS,
    "financing": FINANCING_LABELS,
    "hors_flux_reason": HORS_FLUX_REASON_LABELS,
    "retired_reason": RETIRED_REASON_LABELS,
    "counts_on": {"mise_a_disposition": "Mise à disposition", "attribution": "Attribution",
                  "bail_signe": "Bail signé"},
}


def label(value: str | None, kind: str) -> str:
    """The French label of an enumerated value (the raw value if none is defined)."""
    if value is None:
        return "—"
    return _LABELS[kind].get(value, value)


def tone(value: str | None, kind: str) -> str:
    """The badge tone of a status value."""
    return _TONES.get(kind, {}).get(value or "", "neutral")
