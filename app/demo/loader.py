"""Load the demo territory into the database (``flask demo load``).

Deterministic (one seed, one territory) and idempotent: when the demo EPCI already exists
nothing is written. Rows go through the same adapters as the imports, with bulk inserts, so
``--demandes 100000`` stays in the order of a minute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.passwords import hash_password
from app.adapters.rows import (
    convention_rows,
    demande_rows,
    insert_rows,
    logement_rows,
    new_rows,
    sync_sequence,
)
from app.demo import generate
from app.demo.dossiers_demo import load_dossiers_demo
from app.demo.flux_demo import load_flux_demo
from app.demo.flux_year_demo import load_flux_year_demo
from app.demo.offers_demo import publish_demo_offers
from app.demo.portal_demo import load_portal_demo
from app.demo.vacancies_demo import load_vacancies_demo
from app.extensions import db
from app.models import (
    Attribution,
    Bail,
    CalSession,
    Commune,
    Convention,
    Demande,
    Designation,
    FluxEvent,
    Logement,
    Membership,
    Offre,
    Organisation,
    Programme,
    User,
)
from matching import records
from matching.proposition import answer_due_on

DEMO_PASSWORD = "Cotaflux-demo-2026"
OPERATOR = {"slug": "cotaflux", "name": "Cotaflux (opérateur de la plateforme)", "kind": "operateur"}
# One demo account per role: (email, full name, role, organisation slug).
DEMO_ACCOUNTS = (
    ("demandeur@demo.example.org", "Fatima Vidal", "demandeur", None),
    ("bailleur@demo.example.org", "Julien Moreau", "bailleur", "toits-de-la-bionne"),
    ("reservataire@demo.example.org", "Claire Dubois", "reservataire", "action-logement"),
    ("prefecture@demo.example.org", "Marc Lefèvre", "reservataire", "etat-loiret"),
    ("cal@demo.example.org", "Sophie Garnier", "cal", "toits-de-la-bionne"),
    ("epci@demo.example.org", "Thomas Bernard", "epci", "orleans-metropole"),
    ("admin@demo.example.org", "Nadia Roussel", "admin", "cotaflux"),
)


def _d(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def demo_loaded() -> bool:
    return db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.slug == "orleans-metropole")
    ) > 0


def print_accounts(echo: Callable[[str], None]) -> None:
    """Print the demo accounts as stored (name, role, organisation)."""
    echo(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD})")
    emails = [email for email, *_ in DEMO_ACCOUNTS]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    for email in emails:
        user = users.get(email)
        if user is not None:
            org = f" · {user.organisation.name}" if user.organisation else ""
            echo(f"  {user.role:<13} {email:<32} {user.full_name}{org}")


def load_demo(*, demandes: int = 5000, logements: int = 3000, seed: int = 2026,
              if_empty: bool = False, echo: Callable[[str], None] = print,
              on: date | None = None) -> bool:
    """Load the territory; return False when it was already there."""
    if demo_loaded() or (if_empty and db.session.scalar(select(func.count(Organisation.id)))):
        echo("Le territoire de démonstration est déjà chargé : rien à faire.")
        print_accounts(echo)
        return False
    on = on or generate.DEFAULT_ON
    echo(f"Génération du territoire (graine {seed}, {demandes} demandes, {logements} logements)…")
    territory = generate.generate_territory(seed=seed, demandes=demandes, logements=logements, on=on)
    now = datetime.now(UTC)

    orgs = _organisations(territory)
    _communes(territory, orgs)
    echo(f"  {len(orgs)} organisations, {len(territory.communes)} communes")

    logement_ids = _patrimoine(territory, orgs, now)
    echo(f"  {len(logement_ids)} logements")

    rows = new_rows()
    for raw in territory.conventions:
        conv = records.parse_convention(raw)
        convention_rows(conv, bailleur_id=orgs[conv.bailleur].id,
                        reservataire_id=orgs[conv.reservataire].id, out=rows)
    insert_rows(db.session, rows)
    echo(f"  {len(territory.conventions)} conventions de réservation")

    demande_ids = _demandes(territory, orgs, now, echo)
    _history(territory, orgs, logement_ids, demande_ids, echo)
    _current(territory, orgs, logement_ids, demande_ids, on)
    echo("  vacances : {declarees} déclarées, {hors_flux} hors flux, {publiees} publiées"
         .format(**load_vacancies_demo(on, seed=seed)))
    _accounts(orgs, territory, demande_ids)
    db.session.flush()
    publish_demo_offers(on, seed=seed, echo=echo)
    echo(load_flux_demo(on))
    load_flux_year_demo(on, seed=seed, echo=echo)
    echo(load_dossiers_demo(on))
    echo(load_portal_demo(on))
    echo("Territoire de démonstration chargé.")
    print_accounts(echo)
    return True


def _organisations(territory: generate.Territory) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    epci = None
    for raw in [*territory.organisations, OPERATOR]:
        org = Organisation(
            slug=raw["slug"], name=raw["name"], kind=raw["kind"],
            reservataire_kind=raw.get("reservataire_kind"), siren=raw.get("siren"),
            departement=raw.get("departement", generate.DEPARTEMENT),
        )
        db.session.add(org)
        orgs[org.slug] = org
        if org.kind == "epci":
            epci = org
    db.session.flush()
    for org in orgs.values():  # collectivités' territory is the EPCI
        if org.reservataire_kind in ("commune", "epci"):
            org.territory_epci_id = epci.id
    return orgs


def _communes(territory: generate.Territory, orgs: dict[str, Organisation]) -> None:
    epci = orgs[territory.epci["slug"]]
    qpv_communes = {q["commune"] for q in territory.qpv}
    db.session.execute(Commune.__table__.insert(), [
        {"insee": c["insee"], "name": c["name"], "departement": c["departement"],
         "zone": c["zone"], "zone_abc": c.get("zone_abc") or None, "population": c["population"],
         "epci_id": epci.id if c["is_epci_member"] else None,
         "has_qpv": c["insee"] in qpv_communes}
        for c in territory.communes
    ])


def _patrimoine(territory, orgs, now) -> dict[str, int]:
    programme_ids: dict[str, int] = {}
    for raw in territory.programmes:
        prg = Programme(bailleur_id=orgs[raw["bailleur"]].id, name=raw["name"],
                        commune_insee=raw["commune"], address=raw.get("address"),
                        construction_year=raw.get("construction_year"))
        db.session.add(prg)
        db.session.flush()
        programme_ids[raw["id"]] = prg.id
    start = (db.session.scalar(select(func.max(Logement.id))) or 0) + 1
    rows = new_rows()
    ids: dict[str, int] = {}
    for offset, raw in enumerate(territory.logements):
        rec = records.parse_logement(raw)
        ids[rec.id] = start + offset
        logement_rows(rec, bailleur_id=orgs[rec.bailleur].id,
                      programme_id=programme_ids.get(raw.get("programme_id")),
                      address=raw.get("address"), qpv_name=raw.get("qpv_name"),
                      now=now, out=rows, logement_id=start + offset)
    insert_rows(db.session, rows)
    return ids


def _demandes(territory, orgs, now, echo) -> dict[str, int]:
    epci = orgs[territory.epci["slug"]]
    start = (db.session.scalar(select(func.max(Demande.id))) or 0) + 1
    ids: dict[str, int] = {}
    rows = new_rows()
    for offset, raw in enumerate(territory.demandes):
        rec = records.parse_demande(raw)
        ids[rec.id] = start + offset
        identity = dict(raw.get("_identity") or {})
        identity["closed_on"] = _d(raw.get("closed_on"))
        demande_rows(rec, demande_id=start + offset, epci_id=epci.id,
                     status=raw.get("status", "active"), identity=identity, now=now, out=rows)
        if (offset + 1) % 20000 == 0:
            echo(f"  … {offset + 1} demandes préparées")
    counts = insert_rows(db.session, rows)
    echo(f"  {counts.get('demandes', 0)} demandes ({counts.get('household_members', 0)} personnes)")
    return ids


def _history(territory, orgs, logement_ids, demande_ids, echo) -> None:
    """Twelve months of past allocations: offers, proposals, leases and the flux ledger."""
    by_logement: dict[str, list[dict]] = defaultdict(list)
    for alloc in territory.allocations:
        by_logement[alloc["logement"]].append(alloc)
    logements = {lg["id"]: lg for lg in territory.logements}
    offres, attributions, baux, events = [], [], [], []
    start_offre = (db.session.scalar(select(func.max(Offre.id))) or 0) + 1
    start_attr = (db.session.scalar(select(func.max(Attribution.id))) or 0) + 1
    # Flux events that count for a réservataire name their convention (bailleur × réservataire
    # × year of the allocation, the one the generator drew the réservataire from).
    convention_ids = {(b, r, y): i for i, b, r, y in db.session.execute(select(
        Convention.id, Convention.bailleur_id, Convention.reservataire_id, Convention.year))}
    for allocs in by_logement.values():
        allocs.sort(key=lambda a: a["allocated_on"])
        for i, alloc in enumerate(allocs):
            offre_id = start_offre + len(offres)
            allocated_on = _d(alloc["allocated_on"])
            leased_on = _d(alloc.get("lease_signed_on"))
            reservataire = orgs.get(alloc["reservataire"])
            reservataire_id = reservataire.id if reservataire and reservataire.kind == "reservataire" else None
            convention_id = convention_ids.get(
                (orgs[alloc["bailleur"]].id, reservataire_id, allocated_on.year))
            offres.append({
                "id": offre_id, "ref": alloc["offer"], "logement_id": logement_ids[alloc["logement"]],
                "flux_status": "bail_signe" if leased_on else "attribue",
                "reservataire_id": reservataire_id, "convention_id": convention_id,
                "declared_on": allocated_on - timedelta(days=45),
                "available_on": allocated_on - timedelta(days=10),
                "designation_deadline": allocated_on - timedelta(days=15) if reservataire_id else None,
                "excluded_from_base": None, "is_published": True, "published_at": None,
                "description": None, "created_at": datetime.now(UTC),
            })
            events.append({"offre_id": offre_id, "kind": "mise_a_disposition",
                           "reservataire_id": reservataire_id, "convention_id": convention_id,
                           "occurred_on": allocated_on - timedelta(days=45), "note": None})
            last = i == len(allocs) - 1
            for proposal in alloc.get("proposals", []):
                accepted = proposal.get("outcome") == "accepte"
                proposed_on = _d(proposal["proposed_on"])
                status = "refusee"
                if accepted:
                    status = ("bail_signe" if leased_on else "acceptee") if last else "terminee"
                attr_id = start_attr + len(attributions)
                attributions.append({
                    "id": attr_id, "offre_id": offre_id,
                    "logement_id": logement_ids[alloc["logement"]],
                    "demande_id": demande_ids[proposal["demande"]],
                    "reservataire_id": reservataire_id, "cal_decision_id": None, "status": status,
                    "proposed_on": proposed_on,
                    "answer_due_on": answer_due_on(proposed_on),
                    "answered_on": _d(proposal.get("answered_on")), "refusal_id": None,
                })
                if accepted and leased_on:
                    lg = logements[alloc["logement"]]
                    baux.append({"attribution_id": attr_id, "signed_on": leased_on,
                                 "starts_on": leased_on, "rent": lg["rent"], "charges": lg["charges"]})
            events.append({"offre_id": offre_id, "kind": "attribution",
                           "reservataire_id": reservataire_id, "convention_id": convention_id,
                           "occurred_on": allocated_on,
                           "note": None})
            if leased_on:
                events.append({"offre_id": offre_id, "kind": "bail_signe",
                               "reservataire_id": reservataire_id, "convention_id": convention_id,
                               "occurred_on": leased_on,
                               "note": None})
    for table, batch in ((Offre.__table__, offres), (Attribution.__table__, attributions),
                         (Bail.__table__, baux), (FluxEvent.__table__, events)):
        if batch:
            db.session.execute(table.insert(), batch)
            if "id" in batch[0]:
                sync_sequence(db.session, table)
    echo(f"  {len(offres)} attributions sur 12 mois, {len(baux)} baux signés")


def _current(territory, orgs, logement_ids, demande_ids, on: date) -> None:
    """Current vacancies: some to orient, some oriented with designated candidates, one CAL."""
    vacant = [lg for lg in territory.logements if lg.get("flux_status") == "a_orienter"]
    active = [d for d in territory.demandes if d.get("status", "active") == "active"]
    reservataires = [o for o in orgs.values() if o.kind == "reservataire"]
    by_bailleur: dict[str, CalSession] = {}
    for i, lg in enumerate(vacant):
        oriented = i % 3 != 0 and reservataires
        reservataire = reservataires[i % len(reservataires)] if oriented else None
        offre = Offre(
            ref=f"OFF-{lg['id']}-{on:%Y%m}", logement_id=logement_ids[lg["id"]],
            flux_status="designe" if oriented and i % 2 == 0 else ("oriente" if oriented else "a_orienter"),
            reservataire_id=reservataire.id if reservataire else None,
            declared_on=on - timedelta(days=20), available_on=_d(lg["available_on"]),
            designation_deadline=on + timedelta(days=10) if oriented else None,
            is_published=bool(oriented), published_at=datetime.now(UTC) if oriented else None,
        )
        db.session.add(offre)
        db.session.flush()
        if offre.flux_status == "designe":
            session = by_bailleur.get(lg["bailleur"])
            if session is None:
                session = CalSession(bailleur_id=orgs[lg["bailleur"]].id,
                                     held_on=on + timedelta(days=7), location="Siège du bailleur")
                db.session.add(session)
                db.session.flush()
                by_bailleur[lg["bailleur"]] = session
            for rank in range(1, 4):
                candidate = active[(i * 3 + rank) % len(active)]
                db.session.add(Designation(
                    offre_id=offre.id, demande_id=demande_ids[candidate["id"]],
                    reservataire_id=reservataire.id, rank=rank,
                    reason="Candidat désigné pour la démonstration",
                ))
    db.session.flush()


def _accounts(orgs, territory, demande_ids) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    requester = None
    for email, name, role, org_slug in DEMO_ACCOUNTS:
        user = User(email=email, full_name=name, role=role, password_hash=password_hash)
        if org_slug:
            user.membership = Membership(organisation=orgs[org_slug])
        db.session.add(user)
        if role == "demandeur":
            requester = user
    db.session.flush()
    # The demo requester owns the first active demande of the territory.
    first_active = next(d for d in territory.demandes if d.get("status", "active") == "active")
    demande = db.session.get(Demande, demande_ids[first_active["id"]])
    demande.requester_id = requester.id
    identity = first_active.get("_identity") or {}
    requester.full_name = f"{identity.get('first_name', '')} {identity.get('last_name', '')}".strip() or requester.full_name
