"""Administration operations used to bootstrap a deployment: organisations, staff accounts,
communes of a territory. They validate everything and flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import (
    ORGANISATION_KINDS,
    ROLE_ORGANISATION_KIND,
    ROLES,
    Membership,
    Organisation,
    User,
)
from app.accounts.passwords import hash_password, password_problems
from app.accounts.services import normalise_email
from app.audit.services import record
from app.columns import utcnow
from app.extensions import db
from matching import enums


class AdminError(ValueError):
    """A refused administration operation, with a French message."""


def create_organisation(slug: str, name: str, kind: str, *, reservataire_kind: str | None = None,
                        siren: str | None = None, departement: str | None = None) -> Organisation:
    """Create an organisation after checking its kind and that the slug is free."""
    slug = (slug or "").strip().lower()
    if not slug or not all(ch.isalnum() or ch == "-" for ch in slug):
        raise AdminError("Identifiant (slug) invalide : lettres, chiffres et tirets uniquement.")
    if kind not in ORGANISATION_KINDS:
        raise AdminError(f"Type d'organisation inconnu : {kind!r} ({', '.join(ORGANISATION_KINDS)}).")
    if (kind == "reservataire") != (reservataire_kind is not None):
        raise AdminError("Un type de réservataire est requis pour un réservataire, et pour lui seul.")
    if reservataire_kind is not None and reservataire_kind not in enums.RESERVATAIRE_KINDS:
        raise AdminError(f"Type de réservataire inconnu : {reservataire_kind!r}.")
    if siren is not None and not (siren.isdigit() and len(siren) == 9):
        raise AdminError("Le SIREN compte 9 chiffres.")
    if db.session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        raise AdminError(f"Une organisation porte déjà l'identifiant {slug!r}.")
    org = Organisation(slug=slug, name=name.strip(), kind=kind, reservataire_kind=reservataire_kind,
                       siren=siren, departement=departement)
    db.session.add(org)
    db.session.flush()
    record("admin.organisation_created", entity_type="organisation", entity_id=slug, kind=kind)
    return org


def create_user(email: str, full_name: str, role: str, password: str, *,
                organisation_slug: str | None = None) -> User:
    """Create an account; a staff role needs an organisation of the matching kind."""
    email_key = normalise_email(email)
    if "@" not in email_key:
        raise AdminError("Adresse électronique invalide.")
    if role not in ROLES:
        raise AdminError(f"Rôle inconnu : {role!r} ({', '.join(ROLES)}).")
    if db.session.scalar(select(User.id).where(User.email == email_key)) is not None:
        raise AdminError("Un compte existe déjà avec cette adresse.")
    problems = password_problems(password, email=email_key)
    if problems:
        raise AdminError(" ".join(problems))
    org = None
    if role == "demandeur":
        if organisation_slug:
            raise AdminError("Un demandeur n'appartient à aucune organisation.")
    else:
        org = db.session.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
        if org is None:
            raise AdminError(f"Organisation inconnue : {organisation_slug!r}.")
        expected = ROLE_ORGANISATION_KIND[role]
        if org.kind != expected:
            raise AdminError(f"Le rôle {role} appartient à une organisation de type {expected}, "
                             f"pas {org.kind}.")
    user = User(email=email_key, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password), password_changed_at=utcnow())
    if org is not None:
        user.membership = Membership(organisation=org)
    db.session.add(user)
    db.session.flush()
    record("admin.user_created", entity_type="user", entity_id=str(user.id), role=role,
           organisation=organisation_slug)
    return user




