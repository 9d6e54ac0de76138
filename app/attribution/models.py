"""From offer to lease: candidatures, proposals, designations, CAL, attributions, leases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.columns import UTCDateTime, enum_check, in_values, sql_list, unique_where, utcnow
from app.demandes.models import Demande, Document
from app.extensions import db
from app.flux.models import Offre

CANDIDATURE_STATUSES = ("deposee", "retenue", "non_retenue", "retiree")
PROPOSAL_SOURCES = ("matching", "manuel")
CAL_DECISIONS = (
    "attribution",  # (a)
    "attribution_rang",  # (b) the next candidate gets it if the first refuses
    "attribution_sous_condition",  # (c) subject to a missing document
    "non_attribution",  # (d) reasons notified
    "irrecevable",  # (e) rejection as ineligible
)
CAL_DECISION_LABELS = {
    "attribution": "Attribution",
    "attribution_rang": "Attribution par ordre de priorité",
    "attribution_sous_condition": "Attribution sous condition suspensive",
    "non_attribution": "Non-attribution",
    "irrecevable": "Irrecevabilité",
}
ATTRIBUTION_STATUSES = ("proposee", "acceptee", "refusee", "annulee", "bail_signe", "terminee")
ACTIVE_ATTRIBUTION_STATUSES = ("proposee", "acceptee", "bail_signe")
CAL_SESSION_STATUSES = ("planifiee", "tenue", "close")
# How a réservataire changed the proposed list: each change is a new version of the list.
PROPOSAL_CHANGES = ("ordre", "retrait", "ajout")
# Decisions (d) and (e) are notified with their reasons (CCH R.441-3).
CAL_DECISIONS_WITH_REASONS = ("non_attribution", "irrecevable")
# What becomes of the suspensive condition of a decision (c) (CCH R.441-3): lifted when the
# missing document is received within the deadline, lapsed (« caduque ») otherwise.
CONDITION_OUTCOMES = ("levee", "caduque")
CONDITION_OUTCOME_LABELS = {"levee": "Condition levée", "caduque": "Attribution caduque"}
# At most three candidates per dwelling (CCH R.441-3); fewer only as a recorded exception.
MAX_CANDIDATES = 3
RANK_RANGE = f"rank BETWEEN 1 AND {MAX_CANDIDATES}"


class Candidature(db.Model):
    """A requester's application to a published offer (location choisie)."""

    __tablename__ = "candidatures"
    __table_args__ = (
        UniqueConstraint("offre_id", "demande_id"),
        enum_check("status", CANDIDATURE_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="deposee")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the requester withdraws; applying again reopens the same row (unique pair).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offre: Mapped[Offre] = relationship()
    demande: Mapped[Demande] = relationship()


class Proposal(db.Model):
    """A ranked list of candidates proposed for an offer (by the matching module or by hand)."""

    __tablename__ = "proposals"
    __table_args__ = (
        enum_check("source", PROPOSAL_SOURCES),
        enum_check("change_kind", PROPOSAL_CHANGES),
        CheckConstraint(
            "supersedes_id IS NULL OR (change_kind IS NOT NULL "
            "AND length(trim(coalesce(change_reason, ''))) > 0)",
            name="change_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)  # grid@version, policy, date
    # Fewer than three candidates (CCH R.441-3): the exception, recorded once for the list.
    fewer_than_three_reason: Mapped[str | None] = mapped_column(Text)
    # A list is never edited: a change (reorder, removal, addition) makes a new version that
    # supersedes it, with the written reason. At most one successor per version, so two
    # concurrent edits of the same version cannot both be kept (stale edit).
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id"), unique=True)
    change_kind: Mapped[str | None] = mapped_column(String(10))
    change_reason: Mapped[str | None] = mapped_column(Text)
    change_demande_id: Mapped[int | None] = mapped_column(ForeignKey("demandes.id"))

    candidates: Mapped[list[ProposalCandidate]] = relationship(
        order_by="ProposalCandidate.rank", cascade="all, delete-orphan"
    )


class ProposalCandidate(db.Model):
    __tablename__ = "proposal_candidates"
    __table_args__ = (
        UniqueConstraint("proposal_id", "rank"),
        UniqueConstraint("proposal_id", "demande_id"),
        CheckConstraint(RANK_RANGE, name="rank_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    # An automatic proposal can be overridden, but only with a written reason (kept).
    override_reason: Mapped[str | None] = mapped_column(Text)


class Designation(db.Model):
    """A réservataire's designation of a candidate for an offer oriented to it."""

    __tablename__ = "designations"
    __table_args__ = (
        UniqueConstraint("offre_id", "demande_id"),
        UniqueConstraint("offre_id", "rank"),
        CheckConstraint(RANK_RANGE, name="rank_range"),
        # One place per offer for the "fewer than three" exception: the rank-1 designation.
        CheckConstraint(
            "fewer_than_three_reason IS NULL OR rank = 1", name="exception_on_first_rank"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id"), index=True)
    reservataire_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    designated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    designated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    # Fewer than three candidates (CCH R.441-3): the recorded exception, on the rank-1 row.
    fewer_than_three_reason: Mapped[str | None] = mapped_column(Text)

    offre: Mapped[Offre] = relationship()
    demande: Mapped[Demande] = relationship()
    reservataire: Mapped[Organisation] = relationship()


class CalSession(db.Model):
    """A session of a bailleur's commission d'attribution (CAL/CALEOL)."""

    __tablename__ = "cal_sessions"
    __table_args__ = (enum_check("status", CAL_SESSION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bailleur_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="planifiee")

    bailleur: Mapped[Organisation] = relationship()
    decisions: Mapped[list[CalDecision]] = relationship(back_populates="session")
    dossiers: Mapped[list[CalDossier]] = relationship(
        back_populates="session", order_by="CalDossier.position")


class CalDossier(db.Model):
    """One designated offer on the agenda of a CAL session."""

    __tablename__ = "cal_dossiers"
    __table_args__ = (
        UniqueConstraint("session_id", "offre_id"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cal_sessions.id"), index=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    session: Mapped[CalSession] = relationship(back_populates="dossiers")
    offre: Mapped[Offre] = relationship()


class CalDecision(db.Model):
    """The CAL's decision for one candidate on one offer (decisions (a)–(e))."""

    __tablename__ = "cal_decisions"
    __table_args__ = (
        # One first decision per candidate and session; a correction supersedes it (a further
        # row naming it), never an edit: the migration refuses UPDATE and DELETE on the table.
        unique_where("uq_cal_decisions_first", "session_id", "offre_id", "demande_id",
                     where="supersedes_id IS NULL"),
        enum_check("decision", CAL_DECISIONS),
        CheckConstraint(
            "decision <> 'attribution_rang' OR rank IS NOT NULL", name="ranked_has_rank"
        ),
        CheckConstraint(
            f"decision NOT IN {sql_list(CAL_DECISIONS_WITH_REASONS)} "
            "OR length(trim(coalesce(reasons, ''))) > 0",
            name="refusal_has_reasons",
        ),
        CheckConstraint(
            "decision <> 'attribution_sous_condition' "
            "OR (length(trim(coalesce(condition, ''))) > 0 AND condition_deadline IS NOT NULL)",
            name="conditional_has_condition",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cal_sessions.id"), index=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id"), index=True)
    decision: Mapped[str] = mapped_column(String(30))
    rank: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)
    # Date by which the condition of an attribution (c) must be met.
    condition_deadline: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The decision this one corrects (each decision is corrected at most once: a chain).
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("cal_decisions.id"), unique=True)

    session: Mapped[CalSession] = relationship(back_populates="decisions")
    demande: Mapped[Demande] = relationship()
    offre: Mapped[Offre] = relationship()


class CalConditionOutcome(db.Model):
    """The end of the suspensive condition of a decision (c): lifted (the missing document was
    received, on ``occurred_on``) or lapsed (the deadline passed; ``occurred_on`` is the day
    after it). At most one per decision, so a condition cannot be both lifted and lapsed.

    Never edited: the migration's triggers refuse UPDATE and DELETE, except the one change a
    deleted document makes (``document_id`` emptied by its ``ON DELETE SET NULL``)."""

    __tablename__ = "cal_condition_outcomes"
    __table_args__ = (
        UniqueConstraint("cal_decision_id"),
        enum_check("outcome", CONDITION_OUTCOMES),
        CheckConstraint("outcome = 'levee' OR document_id IS NULL", name="lapse_has_no_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cal_decision_id: Mapped[int] = mapped_column(ForeignKey("cal_decisions.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who recorded it (None for the scheduled command that makes conditions lapse).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # The document of the demande received for the condition, when it was sent through the
    # platform (a requester may still withdraw it, and the retention purge deletes it).
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True)

    decision: Mapped[CalDecision] = relationship()
    document: Mapped[Document | None] = relationship()


class Attribution(db.Model):
    """An allocation of a logement to a demande, from proposal to lease."""

    __tablename__ = "attributions"
    __table_args__ = (
        enum_check("status", ATTRIBUTION_STATUSES),
        CheckConstraint("answer_due_on >= proposed_on", name="answer_after_proposal"),
        # At most one active allocation per logement: two concurrent ones cannot both commit.
        unique_where("uq_attributions_logement_active", "logement_id",
                     where=in_values("status", ACTIVE_ATTRIBUTION_STATUSES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offres.id"), index=True)
    logement_id: Mapped[int] = mapped_column(ForeignKey("logements.id"), index=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demandes.id"), index=True)
    reservataire_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    cal_decision_id: Mapped[int | None] = mapped_column(ForeignKey("cal_decisions.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="proposee")
    proposed_on: Mapped[date] = mapped_column(Date)
    answer_due_on: Mapped[date] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    refusal_id: Mapped[int | None] = mapped_column(ForeignKey("refusals.id"), index=True)
    # Optimistic locking: an answer or a lease recorded against an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    offre: Mapped[Offre] = relationship()
    demande: Mapped[Demande] = relationship()
    cal_decision: Mapped[CalDecision | None] = relationship()
    bail: Mapped[Bail | None] = relationship(back_populates="attribution", uselist=False)

    __mapper_args__ = {"version_id_col": version}


class Bail(db.Model):
    """The signed lease that ends an allocation."""

    __tablename__ = "baux"
    __table_args__ = (
        UniqueConstraint("attribution_id"),
        CheckConstraint("rent >= 0 AND charges >= 0", name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attribution_id: Mapped[int] = mapped_column(ForeignKey("attributions.id"))
    signed_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    rent: Mapped[float] = mapped_column(Numeric(9, 2, asdecimal=False))
    charges: Mapped[float] = mapped_column(Numeric(9, 2, asdecimal=False))

    attribution: Mapped[Attribution] = relationship(back_populates="bail")


