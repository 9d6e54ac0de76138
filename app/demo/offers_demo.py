"""Demo data for location choisie: a few hundred published offers with descriptions and
quarters, several of them open to the demo requester, and a couple of their applications.

Deterministic (seeded). Offers are inserted in bulk, then indexed explicitly for search
(``reindex_offers``: bulk inserts do not go through the commit hooks)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.adapters.records import demande_record, logement_record
from app.attribution.models import Candidature
from app.demandes.models import Demande
from app.extensions import db
from app.flux.models import OPEN_FLUX_STATUSES, Offre
from app.patrimoine.models import Logement
from app.search.indexing import reindex_offers
from matching.eligibility import OfferTable

REQUESTER = "demandeur@demo.example.org"
QUARTERS = {  # commune INSEE → neighbourhoods named in descriptions (invented but plausible)
    "45234": ("La Source", "Argonne", "Blossières", "Dunois", "Saint-Marceau", "Bourgogne"),
    "45232": ("Le Larry", "Les Aulnaies"),
    "45302": ("Les Chimoutons", "Centre-bourg"),
    "45147": ("Les Salmoneries", "Centre"),
    "45285": ("Le Bourg", "Les Cinq Routes"),
}
FEATURES = (
    "balcon ensoleillé", "cuisine équipée", "double vitrage récent", "proche du tramway",
    "près des écoles", "cave et parking", "résidence calme et arborée", "chauffage collectif",
    "salle d'eau rénovée", "vue dégagée", "commerces à pied", "jardin partagé",
)


def publish_demo_offers(on: date, seed: int = 2026, count: int = 300,
                        echo: Callable[[str], None] = print) -> int:
    """Publish ``count`` offers on free logements (a dozen open to the demo requester) and file
    two applications for them; returns the number of offers published."""
    rng = random.Random(seed)
    busy = set(db.session.scalars(select(Offre.logement_id).where(
        Offre.flux_status.in_(OPEN_FLUX_STATUSES))))
    free = [lg for lg in db.session.scalars(
        select(Logement).where(Logement.hors_flux_reason.is_(None)).order_by(Logement.id))
        if lg.id not in busy]
    if not free:
        return 0
    requester = db.session.scalar(select(User).where(User.email == REQUESTER))
    demande = requester and db.session.scalar(select(Demande).where(
        Demande.requester_id == requester.id, Demande.status == "active"))
    chosen: list[Logement] = []
    if demande is not None:
        table = OfferTable([logement_record(lg) for lg in free])
        verdicts = table.evaluate(demande_record(demande), on)
        chosen = [lg for lg, ok in zip(free, verdicts.ok, strict=True) if ok][:12]
    n_open = len(chosen)
    others = [lg for lg in free if lg not in chosen]
    rng.shuffle(others)
    chosen += others[:max(0, count - len(chosen))]
    now = datetime.now(UTC)
    start = (db.session.scalar(select(db.func.max(Offre.id))) or 0) + 1
    offers = []
    for i, lg in enumerate(chosen):
        quarter = lg.qpv_name or rng.choice(QUARTERS.get(lg.commune_insee, ("Centre",)))
        features = rng.sample(FEATURES, 3)
        description = (f"{lg.typology} de {lg.surface or 50:.0f} m² au {_floor(lg.floor)}, "
                       f"quartier {quarter} : {', '.join(features)}.")
        row = {
            "id": start + i, "ref": f"LC-{on:%Y%m}-{lg.id:05d}", "logement_id": lg.id,
            "flux_status": "a_orienter",
            "reservataire_id": None, "convention_id": None,
            "declared_on": on - timedelta(days=30), "available_on": on + timedelta(days=20 + i % 40),
            "designation_deadline": None, "excluded_from_base": None, "is_published": True,
            "published_at": now - timedelta(days=i % 25, hours=i % 7),
            "description": description, "created_at": now,
        }
        if hasattr(Offre, "quartier"):
            row["quartier"] = quarter
        offers.append(row)
    db.session.execute(Offre.__table__.insert(), offers)
    from app.adapters.rows import sync_sequence

    sync_sequence(db.session, Offre.__table__)
    reindex_offers([o["id"] for o in offers])
    if demande is not None:
        for o in offers[:2]:
            db.session.add(Candidature(offre_id=o["id"], demande_id=demande.id, status="deposee"))
    db.session.flush()
    echo(f"  {len(offers)} offres publiées en location choisie "
         f"(dont {n_open} ouvertes au demandeur de démonstration)")
    return len(offers)


def _floor(floor: int | None) -> str:
    if floor is None:
        return "étage non précisé"
    return "rez-de-chaussée" if floor == 0 else f"{floor}e étage"
