"""Attach a demande registered elsewhere (guichet, national portal) to a requester's account.

The requester gives the demande's number (NUR) and proves it is theirs with the demandeur's
last name and birth date, as written on the attestation of registration. The same message
answers an unknown number, another person's demande and a wrong identity, so the form tells
nobody whether a number exists. Attempts are audited and limited per account.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.audit.services import record as audit
from app.columns import utcnow
from app.demandes.models import ACTIVE_DEMANDE_STATUSES, Demande
from app.extensions import db

# The app's numbers: département on 3 characters (045, 02A, 974), year, 6-digit sequence
# (app.demandes.services.nur_prefix / next_nur).
NUR_PATTERN = re.compile(r"^(?:[0-9]{3}|02[AB])-[0-9]{4}-[0-9]{6}$")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)

MSG_FORMAT = ("Le numéro doit avoir la forme 045-2025-000123 : 3 caractères pour le département, "
              "l'année de dépôt, puis 6 chiffres.")
MSG_NO_MATCH = ("Nous n'avons pas trouvé de demande à ce numéro avec ce nom et cette date de "
                "naissance. Vérifiez-les sur l'attestation d'enregistrement de votre demande, ou "
                "adressez-vous au service qui l'a enregistrée.")
MSG_ALREADY_YOURS = "Cette demande est déjà rattachée à votre compte."
MSG_CLOSED = ("Cette demande n'est plus active (attribuée, radiée ou expirée) : elle ne peut pas "
              "être rattachée. Vous pouvez déposer une nouvelle demande.")
MSG_DUPLICATE = ("Vous avez déjà une demande active sur ce territoire (n° {nur}) : une seule "
                 "demande active est possible par territoire.")
MSG_TOO_MANY = ("Trop d'essais infructueux : réessayez dans une heure, ou adressez-vous au "
                "service qui a enregistré votre demande.")


class LinkRefused(Exception):
    """The demande cannot be attached; ``field`` names the form field the message goes with."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_nur(value: str) -> str:
    return re.sub(r"[\s\u00a0]", "", value or "").upper()


def _name_key(value: str | None) -> str:
    """Case, accents, spaces, hyphens and apostrophes do not matter: « Le Goff » = « LEGOFF »."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _recent_failures(user: User) -> int:
    since = utcnow() - FAILURE_WINDOW
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == user.id, AuditEvent.action == "demande.link_refused",
            AuditEvent.occurred_at >= since)
    ) or 0


def link_demande(user: User, nur: str, last_name: str, birth_date: date) -> Demande:
    """Attach the demande to the requester's account; LinkRefused with a French message."""
    nur = normalise_nur(nur)
    if not NUR_PATTERN.match(nur):
        raise LinkRefused(MSG_FORMAT, "nur")
    if _recent_failures(user) >= MAX_FAILURES:
        raise LinkRefused(MSG_TOO_MANY)
    demande = db.session.scalar(select(Demande).where(Demande.nur == nur))
    if demande is not None and demande.requester_id == user.id:
        raise LinkRefused(MSG_ALREADY_YOURS, "nur")
    demandeur = next((m for m in demande.members if m.role == "demandeur"), None) if demande else None
    if (demande is None or demande.requester_id is not None or demande.purged_at is not None
            or demandeur is None or demandeur.birth_date != birth_date
            or not _name_key(demande.last_name) or _name_key(demande.last_name) != _name_key(last_name)):
        # Counted by the audit trail; the caller's view commits it even though it refuses.
        audit("demande.link_refused", actor=user, entity_type="demande", entity_id=nur[:32])
        raise LinkRefused(MSG_NO_MATCH)
    if demande.status not in ACTIVE_DEMANDE_STATUSES:
        raise LinkRefused(MSG_CLOSED)
    other = db.session.scalar(select(Demande.nur).where(
        Demande.requester_id == user.id, Demande.epci_id == demande.epci_id,
        Demande.status.in_(ACTIVE_DEMANDE_STATUSES)))
    if other is not None:
        raise LinkRefused(MSG_DUPLICATE.format(nur=other))
    demande.requester_id = user.id
    if not demande.email:
        demande.email = user.email
    db.session.flush()
    audit("demande.link", actor=user, entity_type="demande", entity_id=nur, channel="portail")
    return demande
