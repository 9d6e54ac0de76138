"""Demo dossiers at every stage, made through the services (so the ledger tells their story).

For Toits de la Bionne and Action Logement Services: a CAL session planned with an agenda of
designated offers; a session held five days ago whose first dossier awaits the demo
requester's answer and whose second was accepted by another requester and awaits the lease.
Both first-ranked candidates were allocated the dwelling under a suspensive condition (CCH
R.441-3, decision (c)): the demo requester's document is still awaited (they applied to the
dwelling, so their timeline shows it); the other one's came in after the acceptance, which
lifted the condition.
Oriented offers awaiting designation and designated offers awaiting a CAL come from the main
loader. Deterministic: the oldest eligible logements and demandes, in id order.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Organisation, User
from app.attribution import cal, conditions, proposals
from app.attribution.models import Attribution, CalSession, Candidature, Designation
from app.demandes.models import Demande
from app.extensions import db
from app.flux.ledger import record_event
from app.flux.models import OPEN_FLUX_STATUSES, Convention, Offre
from app.patrimoine.models import Logement

BAILLEUR = "toits-de-la-bionne"
RESERVATAIRE = "action-logement"
REQUESTER = "demandeur@demo.example.org"
CAL_USER = "cal@demo.example.org"
BAILLEUR_USER = "bailleur@demo.example.org"
MISSING_DOCUMENT = "Avis d'imposition 2025 (revenus 2024)"


def _free_logements(bailleur_id: int, n: int, wished: Demande) -> list[Logement]:
    """Logements of the bailleur with no open offer and no attribution at all; the first one
    adapted to the ``wished`` demande when there is one (so its refusal would count)."""
    busy_offer = select(Offre.logement_id).where(Offre.flux_status.in_(OPEN_FLUX_STATUSES))
    allocated = select(Attribution.logement_id)
    free = select(Logement).where(Logement.bailleur_id == bailleur_id,
                                  Logement.id.not_in(busy_offer), Logement.id.not_in(allocated))
    communes = [w.commune_insee for w in wished.wished_communes]
    typologies = [t.typology for t in wished.wished_typologies]
    adapted = free.where(Logement.commune_insee.in_(communes))
    if typologies:
        adapted = adapted.where(Logement.typology.in_(typologies))
    if wished.max_rent is not None:
        adapted = adapted.where(Logement.rent + Logement.charges <= wished.max_rent)
    first = db.session.scalars(adapted.order_by(Logement.id).limit(1)).all()
    rest = db.session.scalars(free.where(Logement.id.not_in([lg.id for lg in first]))
                              .order_by(Logement.id).limit(n - len(first))).all()
    return [*first, *rest]


def load_dossiers_demo(on: date) -> str:
    orgs = {o.slug: o for o in db.session.scalars(
        select(Organisation).where(Organisation.slug.in_((BAILLEUR, RESERVATAIRE))))}
    users = {u.email: u for u in db.session.scalars(
        select(User).where(User.email.in_((REQUESTER, CAL_USER, BAILLEUR_USER))))}
    if len(orgs) < 2 or len(users) < 3:
        return "  dossiers : comptes de démonstration absents, rien à faire"
    bailleur, reservataire = orgs[BAILLEUR], orgs[RESERVATAIRE]
    cal_user, requester = users[CAL_USER], users[REQUESTER]
    own = db.session.scalar(select(Demande).where(Demande.requester_id == requester.id,
                                                  Demande.status == "active"))
    others = list(db.session.scalars(
        select(Demande).where(Demande.status == "active", Demande.id != own.id,
                              Demande.epci_id == own.epci_id)
        .order_by(Demande.id).limit(60)))
    convention = db.session.scalar(select(Convention).where(
        Convention.bailleur_id == bailleur.id, Convention.reservataire_id == reservataire.id,
        Convention.year == on.year))
    held_on = on - timedelta(days=5)
    designated_on = held_on - timedelta(days=7)
    offres = []
    for i, logement in enumerate(_free_logements(bailleur.id, 2, own)):
        offre = Offre(ref=f"OFF-DOSSIER-{i + 1}-{on:%Y%m}", logement_id=logement.id,
                      flux_status="oriente", reservataire_id=reservataire.id,
                      convention_id=convention.id if convention else None,
                      declared_on=designated_on - timedelta(days=20),
                      available_on=on + timedelta(days=20),
                      designation_deadline=designated_on + timedelta(days=10),
                      is_published=True)
        db.session.add(offre)
        db.session.flush()
        record_event(offre, "mise_a_disposition", offre.declared_on,
                     **({} if convention else {"reservataire_id": None, "convention_id": None}),
                     details={"reason": "Démonstration : dossier d'attribution"})
        candidates = ([own] if i == 0 else []) + others[i * 3: i * 3 + 3]
        for rank, demande in enumerate(candidates[:3], start=1):
            db.session.add(Designation(offre_id=offre.id, demande_id=demande.id,
                                       reservataire_id=reservataire.id, rank=rank,
                                       reason=None))
        offre.flux_status = "designe"
        db.session.flush()
        record_event(offre, "designation", designated_on,
                     **({} if convention else {"reservataire_id": None, "convention_id": None}),
                     details={"candidates": [d.nur for d in candidates[:3]]})
        offres.append((offre, candidates[:3]))
    if len(offres) < 2:
        return "  dossiers : pas de logement libre pour la démonstration"
    held = cal.create_session(bailleur.id, held_on, "Siège, salle du conseil")
    # The suspensive conditions of the first-ranked candidates: ten and five days left.
    deadlines = {0: on + timedelta(days=10), 1: on + timedelta(days=5)}
    for i, (offre, candidates) in enumerate(offres):
        cal.add_dossier(held, offre, actor=cal_user)
        for rank, demande in enumerate(candidates, start=1):
            decision = (cal.DecisionInput("attribution_rang", rank=rank) if rank < 3 else
                        cal.DecisionInput("non_attribution",
                                          reasons="Ressources supérieures au plafond PLUS"))
            if rank == 1 and i in deadlines:
                decision = cal.DecisionInput("attribution_sous_condition",
                                             condition=MISSING_DOCUMENT,
                                             condition_deadline=deadlines[i])
            cal.record_decision(held, offre, demande, decision, supersedes=None,
                                actor=cal_user, on=held_on)
    made = cal.close_session(held, actor=cal_user, on=held_on)
    accepted = next(a for a in made if a.demande_id != own.id)
    proposals.accept(accepted, version=accepted.version, actor=None,
                     on=held_on + timedelta(days=2))
    # Accepted while the document was awaited; it came in the next day: the lease can be signed.
    conditions.lift(accepted.cal_decision, received_on=held_on + timedelta(days=3),
                    note="Pièce déposée à l'accueil de l'agence", document_id=None,
                    actor=users[BAILLEUR_USER], on=held_on + timedelta(days=3))
    # The demo requester applied to their dwelling: their timeline shows the condition.
    db.session.add(Candidature(offre_id=offres[0][0].id, demande_id=own.id, status="retenue"))
    # The coming session: the designated offers of the bailleur on its agenda.
    planned = db.session.scalar(select(CalSession).where(
        CalSession.bailleur_id == bailleur.id, CalSession.status == "planifiee",
        CalSession.held_on >= on).order_by(CalSession.held_on))
    if planned is None:
        planned = cal.create_session(bailleur.id, on + timedelta(days=7), "Siège du bailleur")
    agenda = cal.schedulable_offres(bailleur.id)[:4]
    for offre in agenda:
        cal.add_dossier(planned, offre, actor=cal_user)
    db.session.flush()
    return (f"  dossiers : 1 proposition sous condition suspensive en attente du demandeur de "
            f"démonstration (pièce attendue), 1 acceptée en attente du bail (condition levée), "
            f"{len(agenda)} logement(s) à l'ordre du jour de la CAL du "
            f"{planned.held_on:%d/%m/%Y}")
