"""Administration operations used to bootstrap a deployment: organisations, staff accounts,
communes of a territory. They validate everything and flush; the caller commits."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from matching import enums
from matching.records import LineError, RecordError, commune_code

from ..audit import record
from ..auth.passwords import hash_password, password_problems
from ..auth.services import normalise_email
from ..extensions import db
from ..models import Commune, Membership, Organisation, User
from ..models.base import utcnow
from ..models.organisations import ORGANISATION_KINDS
from ..models.users import ROLE_ORGANISATION_KIND, ROLES


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


@dataclass
class CommuneImport:
    read: int = 0
    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    updated: int = 0


COMMUNE_COLUMNS = ("insee", "name", "departement", "zone", "epci")


def import_communes(stream: Iterable[str]) -> CommuneImport:
    """Communes from CSV (insee,name,departement,zone,epci): all rows or none."""
    reader = csv.DictReader(stream)
    report = CommuneImport()
    missing = [c for c in COMMUNE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(LineError(1, "(en-tête)", f"colonnes manquantes : {', '.join(missing)}"))
        return report
    epcis = {o.slug: o for o in db.session.scalars(select(Organisation).where(Organisation.kind == "epci"))}
    rows = []
    seen: dict[str, int] = {}
    for row in reader:
        report.read += 1
        line = reader.line_num
        try:
            insee = commune_code(row["insee"] or "", "insee")
        except RecordError as exc:
            report.errors.append(LineError(line, exc.path, exc.reason))
            continue
        if insee in seen:
            report.errors.append(LineError(line, "insee", f"commune en double (déjà ligne {seen[insee]})"))
            continue
        seen[insee] = line
        name = (row["name"] or "").strip()
        if not name:
            report.errors.append(LineError(line, "name", "nom manquant"))
        zone = (row["zone"] or "").strip()
        if zone not in enums.ZONES:
            report.errors.append(LineError(line, "zone", f"zone inconnue {zone!r} ({', '.join(enums.ZONES)})"))
        epci_slug = (row["epci"] or "").strip()
        if epci_slug and epci_slug not in epcis:
            report.errors.append(LineError(line, "epci", f"EPCI inconnu : {epci_slug!r}"))
        rows.append((insee, name, (row["departement"] or insee[:2]).strip(), zone,
                     epcis[epci_slug].id if epci_slug in epcis else None))
    if report.errors:
        return report
    existing = {c.insee: c for c in db.session.scalars(select(Commune).where(Commune.insee.in_(list(seen))))}
    for insee, name, departement, zone, epci_id in rows:
        commune = existing.get(insee)
        if commune is None:
            db.session.add(Commune(insee=insee, name=name, departement=departement, zone=zone,
                                   epci_id=epci_id))
            report.created += 1
        else:
            commune.name, commune.departement, commune.zone, commune.epci_id = (
                name, departement, zone, epci_id)
            report.updated += 1
    db.session.flush()
    record("admin.communes_imported", entity_type="commune", entity_id=None,
           created=report.created, updated=report.updated)
    return report
