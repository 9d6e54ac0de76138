"""Saved searches and new-offer alerts.

A saved search is the requester's filters and text. ``flask alerts send [--today DATE]``
(scheduled daily) mails each requester, once, the offers published since the search was saved
that are open to their household and match it; each (search, offer) pair announced is recorded
(``alert_deliveries``, unique), so an offer is never announced twice by the same search.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from app.accounts.models import User
from app.adapters.records import demande_record
from app.attribution.applications import active_demande
from app.extensions import db
from app.mail import send_mail
from app.search import catalogue as cat_mod
from app.search.models import AlertDelivery, SavedSearch

MAX_SAVED_SEARCHES = 10
SUBJECT = "De nouvelles offres de logement correspondent à votre recherche"


class SavedSearchRefused(Exception):
    pass


def saved_searches(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id)))


def save_search(user: User, name: str, criteria: cat_mod.Criteria) -> SavedSearch:
    """Save the current filters under a name (at most MAX_SAVED_SEARCHES per requester)."""
    if len(saved_searches(user)) >= MAX_SAVED_SEARCHES:
        raise SavedSearchRefused(
            f"Vous avez déjà {MAX_SAVED_SEARCHES} recherches enregistrées, le maximum. "
            "Supprimez-en une d'abord.")
    saved = SavedSearch(user_id=user.id, name=name, criteria=criteria.as_dict())
    db.session.add(saved)
    db.session.flush()
    return saved


def own_saved_search(user: User, saved_id: int) -> SavedSearch | None:
    return db.session.scalar(select(SavedSearch).where(
        SavedSearch.id == saved_id, SavedSearch.user_id == user.id))


def criteria_of(saved: SavedSearch) -> cat_mod.Criteria:
    fields = cat_mod.Criteria.__dataclass_fields__
    return cat_mod.Criteria(**{k: v for k, v in (saved.criteria or {}).items() if k in fields})


def describe(criteria: cat_mod.Criteria, commune_names: dict[str, str] | None = None) -> str:
    """The filters in words: « T3, Orléans, 600 € maximum, « balcon » »."""
    parts = []
    if criteria.typology:
        parts.append(criteria.typology)
    if criteria.commune:
        parts.append((commune_names or {}).get(criteria.commune, criteria.commune))
    if criteria.max_rent is not None:
        parts.append(f"{criteria.max_rent:.0f} € charges comprises au plus")
    if criteria.accessible:
        parts.append("accessible")
    if criteria.lift:
        parts.append("avec ascenseur")
    if criteria.max_floor is not None:
        parts.append(f"jusqu'au {criteria.max_floor}e étage" if criteria.max_floor else
                     "rez-de-chaussée")
    if criteria.q:
        parts.append(f"« {criteria.q} »")
    return ", ".join(parts) or "toutes les offres qui me sont ouvertes"


def new_offers(saved: SavedSearch, record, today: date) -> list[int]:
    """Offers open to the household, matching the search, published between the search's
    creation and the end of ``today``, not yet announced by it."""
    criteria = criteria_of(saved)
    listing = cat_mod.list_offers(record, criteria, today, page=1, page_size=10**9)
    if not listing.offer_ids:
        return []
    cat = cat_mod.catalogue()
    since = saved.created_at.timestamp()
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC).timestamp()
    positions = np.array([cat.position[i] for i in listing.offer_ids])
    published = cat.published[positions]
    recent = [i for i, p in zip(listing.offer_ids, published, strict=True) if since <= p < until]
    done = set(db.session.scalars(select(AlertDelivery.offre_id).where(
        AlertDelivery.saved_search_id == saved.id)))
    return [i for i in recent if i not in done]


def _offer_url(ref: str) -> str:
    if has_request_context():
        return url_for("portal.offre", ref=ref, _external=True)
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for("portal.offre", ref=ref, _external=True)


def send_alerts(today: date) -> int:
    """Send every requester their new offers; returns the number of mails sent."""
    by_user: dict[int, list[SavedSearch]] = defaultdict(list)
    for saved in db.session.scalars(select(SavedSearch).order_by(SavedSearch.id)):
        by_user[saved.user_id].append(saved)
    cat = cat_mod.catalogue()
    sent = 0
    for user_id, searches in by_user.items():
        user = db.session.get(User, user_id)
        demande = active_demande(user) if user and user.is_active else None
        if demande is None:
            continue
        record = demande_record(demande)
        sections = []
        for saved in searches:
            ids = new_offers(saved, record, today)
            if not ids:
                continue
            lines = []
            for offre_id in ids:
                i = cat.position[offre_id]
                ref = cat.refs[i]
                rec = cat.table.logements[i]
                lines.append(
                    f"- {rec.typology} à {cat.commune_names.get(rec.commune, rec.commune)}, "
                    f"{_euros(rec.rent + rec.charges)} par mois charges comprises : "
                    f"{_offer_url(ref)}")
                db.session.add(AlertDelivery(saved_search_id=saved.id, offre_id=offre_id,
                                             sent_on=today))
            saved.last_alert_on = today
            sections.append(f"Recherche « {saved.name} » ({describe(criteria_of(saved))}) :\n"
                            + "\n".join(lines))
        if not sections:
            continue
        send_mail(user.email, SUBJECT, (
            f"Bonjour {user.full_name},\n\n"
            "De nouvelles offres de logement social vous sont ouvertes et correspondent à vos "
            "recherches enregistrées :\n\n" + "\n\n".join(sections) + "\n\n"
            "Pour postuler, connectez-vous à votre espace et ouvrez l'offre. Vous pouvez "
            "supprimer une recherche enregistrée depuis la page des offres pour ne plus "
            "recevoir ces messages.\n"))
        sent += 1
    db.session.flush()
    return sent


def _euros(amount: float) -> str:
    from matching import fr

    return fr.eur(round(amount, 2), 2)
