"""Supporting documents of a demande, one criterion at a time, and their verification.

The requester uploads a file for a criterion (avis d'imposition for ``rfr_n2``…); it must be
a PDF, JPEG or PNG judged by its content and fit the size limit (app/uploads.py), and is stored
outside the web root. A document belongs to the criterion's verification row: the criterion's
status (declared, verified, rejected) is what the requester sees next to their documents, and
staff set it, with a reason when they reject.

Who may open a document: the requester of the demande; staff of a bailleur, réservataire or
CAL that has the demande in one of its dossiers (a designation, an application, a list of
candidates, a CAL decision or an allocation proposal on one of its offers); the EPCI of the demande's territory. Staff reads are
audited. Flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.audit.services import record as audit
from app.columns import utcnow
from app.demandes.models import Demande, Document, Verification
from app.extensions import db
from app.uploads import DOCUMENT_TYPES, UploadError, delete_after_commit, store
from matching import enums

# Criterion (a ``verified`` key of docs/formats.md) → what to send, in plain words.
DOCUMENT_CRITERIA: dict[str, tuple[str, str]] = {
    "rfr_n2": ("Avis d'imposition",
               "Le dernier avis d'impôt sur le revenu reçu (revenus de l'année N-2) de chaque "
               "personne du ménage : il indique le revenu fiscal de référence (RFR)."),
    "monthly_resources": ("Justificatifs de ressources",
                          "Bulletins de salaire des trois derniers mois, attestation de la CAF, "
                          "de France Travail ou de la caisse de retraite."),
    "household": ("Pièces d'identité et livret de famille",
                  "Pièce d'identité ou titre de séjour de chaque adulte, livret de famille ou "
                  "acte de naissance des enfants."),
    "current_housing": ("Justificatif de domicile",
                        "Quittance de loyer, attestation d'hébergement signée par la personne qui "
                        "vous héberge, ou attestation de la structure d'hébergement."),
    "priority": ("Décision DALO ou justificatif de situation prioritaire",
                 "La décision de la commission de médiation DALO, ou tout document attestant "
                 "une situation prioritaire (jugement d'expulsion, dépôt de plainte…)."),
    "handicap": ("Carte mobilité inclusion ou décision de la MDPH",
                 "La carte mobilité inclusion (CMI) ou la notification de la maison "
                 "départementale des personnes handicapées (MDPH)."),
    "employer": ("Attestation de l'employeur",
                 "Un bulletin de salaire récent ou une attestation de l'employeur (SIRET)."),
}
STATUS_LABELS = {
    "declared": "Déclaré, pas encore vérifié",
    "verified": "Vérifié",
    "rejected": "Refusé",
}
MAX_DOCUMENTS_PER_CRITERION = 10
MAX_REASON = 500

MSG_UNKNOWN_CRITERION = "Choisissez le type de justificatif dans la liste."
MSG_TOO_MANY = (f"Vous avez déjà envoyé {MAX_DOCUMENTS_PER_CRITERION} documents pour ce "
                "justificatif : supprimez-en un avant d'en ajouter un autre.")
MSG_NO_FILE = "Choisissez un fichier à envoyer (PDF, JPEG ou PNG)."
MSG_REASON = "Indiquez la raison du refus : elle est montrée au demandeur."


@dataclass(frozen=True)
class CriterionDocuments:
    """One criterion on the documents page: what to send, its status, the files sent."""

    criterion: str
    label: str
    help: str
    status: str | None  # None: nothing declared yet
    reason: str | None
    verified_at: datetime | None
    documents: tuple[Document, ...]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status] if self.status else "Aucun justificatif envoyé"


def documents_by_criterion(demande: Demande) -> list[CriterionDocuments]:
    """Every criterion a document can be sent for, in the order of DOCUMENT_CRITERIA."""
    rows = {v.criterion: v for v in db.session.scalars(
        select(Verification).where(Verification.demande_id == demande.id))}
    out = []
    for criterion, (label, help_text) in DOCUMENT_CRITERIA.items():
        v = rows.get(criterion)
        out.append(CriterionDocuments(
            criterion, label, help_text, v.status if v else None, v.reason if v else None,
            v.verified_at if v else None, tuple(v.documents) if v else ()))
    return out


def _verification(demande: Demande, criterion: str) -> Verification:
    v = db.session.get(Verification, (demande.id, criterion))
    if v is None:
        v = Verification(demande_id=demande.id, criterion=criterion, status="declared")
        db.session.add(v)
        db.session.flush()
    return v


def upload_document(user: User, demande: Demande, criterion: str,
                    upload: FileStorage | None) -> Document:
    """Store the file for the criterion (UploadError with a French message when refused).

    A new document puts the criterion back to « declared »: what staff verified was the
    previous evidence."""
    if criterion not in DOCUMENT_CRITERIA:
        raise UploadError(MSG_UNKNOWN_CRITERION)
    if upload is None or not getattr(upload, "filename", None):
        raise UploadError(MSG_NO_FILE)
    verification = _verification(demande, criterion)
    if len(verification.documents) >= MAX_DOCUMENTS_PER_CRITERION:
        raise UploadError(MSG_TOO_MANY)
    stored = store(upload, accepted=DOCUMENT_TYPES)
    document = Document(demande_id=demande.id, criterion=criterion, storage_key=stored.key,
                        content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                        original_name=stored.original_name, uploaded_by_id=user.id)
    verification.documents.append(document)
    verification.status, verification.reason = "declared", None
    verification.verified_by_id, verification.verified_at = None, None
    db.session.flush()
    audit("document.upload", actor=user, entity_type="demande", entity_id=demande.nur,
          criterion=criterion, size=stored.size, content_type=stored.content_type)
    return document


def delete_document(user: User, document: Document) -> None:
    """The requester withdraws a file (the stored file goes once the deletion is committed)."""
    demande_id, criterion, key = document.demande_id, document.criterion, document.storage_key
    db.session.delete(document)
    db.session.flush()
    audit("document.delete", actor=user, entity_type="document", entity_id=str(document.id),
          criterion=criterion, demande_id=demande_id)
    delete_after_commit(key)


def own_document(user: User, document_id: int) -> Document | None:
    """A document of one of the requester's own demandes, or None."""
    return db.session.scalar(
        select(Document).join(Demande, Demande.id == Document.demande_id)
        .where(Document.id == document_id, Demande.requester_id == user.id))


# --------------------------------------------------------------------------- staff


def staff_may_see(user: User, demande: Demande) -> bool:
    """Whether this staff member's organisation has the demande in one of its dossiers (the
    one rule for opening a demande and its documents in a staff space)."""
    from app.attribution.models import (
        Attribution,
        CalDecision,
        CalSession,
        Candidature,
        Designation,
        Proposal,
        ProposalCandidate,
    )
    from app.flux.models import Offre
    from app.patrimoine.models import Logement

    org = user.organisation_id
    if org is None:
        return False
    if user.role == "epci":
        return demande.epci_id == org
    if user.role == "reservataire":
        oriented = select(Offre.id).where(Offre.reservataire_id == org)
        return bool(db.session.scalar(select(or_(
            exists().where(Designation.demande_id == demande.id,
                           Designation.reservataire_id == org),
            exists().where(Attribution.demande_id == demande.id,
                           Attribution.reservataire_id == org),
            # a candidate on the working list of a dwelling oriented to it
            exists().where(ProposalCandidate.demande_id == demande.id,
                           ProposalCandidate.proposal_id == Proposal.id,
                           Proposal.offre_id.in_(oriented)),
        ))))
    if user.role not in ("bailleur", "cal"):
        return False
    own_offres = select(Offre.id).join(Logement, Logement.id == Offre.logement_id).where(
        Logement.bailleur_id == org)
    return bool(db.session.scalar(select(or_(
        exists().where(Designation.demande_id == demande.id,
                       Designation.offre_id.in_(own_offres)),
        exists().where(Candidature.demande_id == demande.id,
                       Candidature.offre_id.in_(own_offres)),
        exists().where(ProposalCandidate.demande_id == demande.id,
                       ProposalCandidate.proposal_id == Proposal.id,
                       Proposal.offre_id.in_(own_offres)),
        exists().where(Attribution.demande_id == demande.id,
                       Attribution.offre_id.in_(own_offres)),
        exists().where(CalDecision.demande_id == demande.id,
                       CalDecision.session_id == CalSession.id, CalSession.bailleur_id == org),
    ))))


def may_verify(user: User) -> bool:
    """Bailleurs, réservataires and CAL set statuses; the EPCI only reads."""
    return user.role in ("bailleur", "reservataire", "cal")


def staff_demande(user: User, nur: str) -> Demande | None:
    """The demande by NUR if this staff member may see its documents, else None (404)."""
    demande = db.session.scalar(select(Demande).where(Demande.nur == nur))
    if demande is None or demande.purged_at is not None or not staff_may_see(user, demande):
        return None
    return demande


def staff_document(user: User, nur: str, document_id: int) -> Document | None:
    demande = staff_demande(user, nur)
    if demande is None:
        return None
    return db.session.scalar(select(Document).where(
        Document.id == document_id, Document.demande_id == demande.id))


def set_status(user: User, demande: Demande, criterion: str, status: str,
               reason: str | None) -> Verification:
    """Staff verify or reject a criterion (a reason is required to reject)."""
    if status not in enums.VERIFICATION:
        raise ValueError(status)
    reason = (reason or "").strip()[:MAX_REASON] or None
    if status == "rejected" and not reason:
        raise ValueError(MSG_REASON)
    verification = _verification(demande, criterion)
    verification.status = status
    verification.reason = reason if status == "rejected" else None
    verification.verified_by_id = user.id
    verification.verified_at = utcnow()
    db.session.flush()
    audit("verification.set", actor=user, entity_type="demande", entity_id=demande.nur,
          criterion=criterion, status=status)
    return verification
