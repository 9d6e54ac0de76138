"""All models, imported here so that Alembic and the app see the whole metadata."""

from app.accounts.models import LoginAttempt, Membership, Organisation, User
from app.attribution.models import (
    Attribution,
    Bail,
    CalConditionOutcome,
    CalDecision,
    CalSession,
    Candidature,
    Designation,
    Proposal,
    ProposalCandidate,
)
from app.audit.models import AuditEvent
from app.cotation.models import CotationRun, CotationScore
from app.demandes.models import (
    Demande,
    DemandeDraft,
    DemandeReason,
    Document,
    Employment,
    HouseholdMember,
    PriorityCriterion,
    Refusal,
    Verification,
    WishedCommune,
    WishedTypology,
)
from app.flux.models import Convention, ConventionVersion, FluxEvent, Offre
from app.patrimoine.models import Logement, Programme
from app.search.models import AlertDelivery, OffreSearchDocument, SavedSearch
from app.territoire.models import Commune

__all__ = [
    "Attribution", "AuditEvent", "Bail", "CalDecision", "CalSession", "Candidature", "Commune",
    "Convention", "CotationRun", "CotationScore", "Demande", "DemandeReason", "Designation", "Employment",
    "FluxEvent", "HouseholdMember", "Logement", "LoginAttempt", "Membership", "Offre",
    "Organisation", "PriorityCriterion", "Programme", "Proposal", "ProposalCandidate", "Refusal",
    "User", "Verification", "WishedCommune", "WishedTypology",
    "AlertDelivery", "OffreSearchDocument", "SavedSearch", "ConventionVersion",
    "DemandeDraft", "Document", "CalConditionOutcome",
]
