"""Read helpers on candidatures, designations and decisions, scoped to the organisation."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.attribution.models import Attribution, CalSession, Designation
from app.demandes.models import Demande
from app.demandes.queries import demande_details
from app.extensions import db
from app.flux.models import Offre
from app.patrimoine.models import Logement

CANDIDATS_PER_PAGE = 25


def candidats_page(user: User, page: int) -> Pagination:
    """One page of the candidates this réservataire designated, latest first."""
    query = (
        select(Designation)
        .options(joinedload(Designation.demande),
                 joinedload(Designation.offre).joinedload(Offre.logement)
                 .joinedload(Logement.commune))
        .where(Designation.reservataire_id == user.organisation_id)
        .order_by(Designation.designated_at.desc(), Designation.id.desc())
    )
    return db.paginate(query, page=page, per_page=CANDIDATS_PER_PAGE, max_per_page=100)


def designated_demande(user: User, nur: str) -> dict | None:
    """A demande in one of this réservataire's dossiers (designated, proposed, or on the
    working list of a dwelling oriented to it), or None (any other demande)."""
    from app.demandes.documents import staff_demande

    demande = staff_demande(user, nur)
    if demande is None:
        return None
    details = demande_details(demande)
    details["designations"] = db.session.scalars(
        select(Designation)
        .options(joinedload(Designation.offre).joinedload(Offre.logement)
                 .joinedload(Logement.commune))
        .where(Designation.demande_id == demande.id,
               Designation.reservataire_id == user.organisation_id)
        .order_by(Designation.designated_at.desc())
    ).all()
    return details


# --------------------------------------------------------------------------- dossiers
# Every query below is scoped to the user's organisation (or, for a requester, to their own
# demandes): another organisation's dossier is None, which the views answer with a 404.


def reservataire_queue(user: User, today) -> dict:
    """The dwellings oriented to this réservataire awaiting its designation (nearest deadline
    first, with the days left), and the ones it designated that are still open."""
    base = (select(Offre).options(joinedload(Offre.logement).joinedload(Logement.commune))
            .where(Offre.reservataire_id == user.organisation_id))
    waiting = db.session.scalars(
        base.where(Offre.flux_status == "oriente")
        .order_by(Offre.designation_deadline.is_(None), Offre.designation_deadline, Offre.id)
    ).all()
    designated = db.session.scalars(
        base.where(Offre.flux_status.in_(("designe", "en_cal", "attribue")))
        .order_by(Offre.id.desc()).limit(50)
    ).all()
    rows = [{"offre": o, "days_left": (o.designation_deadline - today).days
             if o.designation_deadline else None} for o in waiting]
    return {"waiting": rows, "designated": designated}


def reservataire_offre(user: User, ref: str) -> Offre | None:
    """An offer oriented to this réservataire (any stage), or None."""
    return db.session.scalar(select(Offre).where(
        Offre.ref == ref[:64], Offre.reservataire_id == user.organisation_id,
        Offre.reservataire_id.is_not(None)))


def bailleur_offre(user: User, ref: str) -> Offre | None:
    """An offer of one of this bailleur's logements, or None."""
    return db.session.scalar(
        select(Offre).join(Logement, Logement.id == Offre.logement_id)
        .where(Offre.ref == ref[:64], Logement.bailleur_id == user.organisation_id))


def bailleur_dossiers(user: User) -> list[Offre]:
    """This bailleur's offers between designation and lease (the open dossiers)."""
    return list(db.session.scalars(
        select(Offre).options(joinedload(Offre.logement).joinedload(Logement.commune))
        .join(Logement, Logement.id == Offre.logement_id)
        .where(Logement.bailleur_id == user.organisation_id,
               Offre.flux_status.in_(("designe", "en_cal", "attribue")))
        .order_by(Offre.flux_status, Offre.id)
    ))


def cal_sessions(user: User) -> list[CalSession]:
    return list(db.session.scalars(
        select(CalSession).where(CalSession.bailleur_id == user.organisation_id)
        .order_by(CalSession.held_on.desc(), CalSession.id.desc())))


def cal_session(user: User, session_id: int) -> CalSession | None:
    return db.session.scalar(select(CalSession).where(
        CalSession.id == session_id, CalSession.bailleur_id == user.organisation_id))


def attributions_of(offre: Offre) -> list[Attribution]:
    return list(db.session.scalars(
        select(Attribution).options(joinedload(Attribution.demande))
        .where(Attribution.offre_id == offre.id).order_by(Attribution.id)))


def own_propositions(user: User) -> list[Attribution]:
    """The proposals made to this requester's demandes, latest first."""
    return list(db.session.scalars(
        select(Attribution).options(joinedload(Attribution.offre).joinedload(Offre.logement)
                                    .joinedload(Logement.commune))
        .join(Demande, Demande.id == Attribution.demande_id)
        .where(Demande.requester_id == user.id)
        .order_by(Attribution.proposed_on.desc(), Attribution.id.desc())))


def own_proposition(user: User, attribution_id: int) -> Attribution | None:
    return db.session.scalar(
        select(Attribution).join(Demande, Demande.id == Attribution.demande_id)
        .where(Attribution.id == attribution_id, Demande.requester_id == user.id))
