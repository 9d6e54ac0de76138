"""All models, imported here so that Alembic and the app see the whole metadata."""

from .allocation import (
    Attribution,
    Bail,
    CalDecision,
    CalSession,
    Candidature,
    CotationScore,
    Designation,
    Proposal,
    ProposalCandidate,
)
from .audit import AuditEvent
from .demandes import (
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
from .flux import Convention, FluxEvent, Offre
from .organisations import Commune, Organisation
from .patrimoine import Logement, Programme
from .users import LoginAttempt, Membership, User

__all__ = [
    "Attribution", "AuditEvent", "Bail", "CalDecision", "CalSession", "Candidature", "Commune",
    "Convention", "CotationScore", "Demande", "DemandeReason", "Designation", "Employment",
    "FluxEvent", "HouseholdMember", "Logement", "LoginAttempt", "Membership", "Offre",
    "Organisation", "PriorityCriterion", "Programme", "Proposal", "ProposalCandidate", "Refusal",
    "User", "Verification", "WishedCommune", "WishedTypology",
]
