"""Conventions de réservation: create, edit (a new version), check the legal caps, export.

Every check goes through the exchange-format parser (``matching.records.parse_convention``)
and the engine's caps (``matching.flux.check_caps`` / ``caps_for_year``): the forms, the
import and ``python -m matching flux check`` apply one rule source. Services flush, never
commit.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import Organisation, User
from app.adapters.records import convention_record
from app.adapters.writers import write_records
from app.extensions import db
from app.flux.models import CONVENTION_TERMS, Convention, ConventionVersion
from matching import flux, records
from matching.records import RecordError

# CSV columns of the export, in the order of docs/formats.md "convention" (dotted scope).


class ConventionRefused(ValueError):
    """A convention the rules refuse: messages per field (form field names)."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = {k: list(v) for k, v in errors.items()}


@dataclass(frozen=True)
class Terms:
    """The terms of a convention at one version (the current row or an earlier version)."""

    version: int
    share_percent: float
    origin: str
    designation_delay_days: int
    counts_on: str
    counts_after_takeback: bool
    scope_communes: tuple[str, ...]
    scope_typologies: tuple[str, ...]
    scope_qpv: bool | None
    signed_on: date | None
    superseded_at: Any = None
    change_note: str | None = None


def _terms(obj, version: int, **extra) -> Terms:
    return Terms(version, obj.share_percent, obj.origin, obj.designation_delay_days,
                 obj.counts_on, obj.counts_after_takeback, tuple(obj.scope_communes or ()),
                 tuple(obj.scope_typologies or ()), obj.scope_qpv, obj.signed_on, **extra)


def versions(convention: Convention) -> list[Terms]:
    """Every version of a convention, the one in force first."""
    earlier = db.session.scalars(
        select(ConventionVersion).where(ConventionVersion.convention_id == convention.id)
        .order_by(ConventionVersion.version.desc())
    )
    return [_terms(convention, convention.version)] + [
        _terms(v, v.version, superseded_at=v.superseded_at, change_note=v.change_note)
        for v in earlier
    ]


def terms_at(convention: Convention, version: int) -> Terms | None:
    """The terms of a convention at a given version (None if it never had that version)."""
    if version == convention.version:
        return _terms(convention, version)
    row = db.session.scalar(select(ConventionVersion).where(
        ConventionVersion.convention_id == convention.id, ConventionVersion.version == version))
    return _terms(row, version) if row is not None else None


# --------------------------------------------------------------------------- checks


def _record(values: Mapping[str, Any], bailleur: Organisation, reservataire: Organisation
            ) -> records.Convention:
    """The exchange record of form values, through the format's parser (FieldError-free)."""
    raw = {
        "id": values.get("ref") or "nouvelle",
        "bailleur": bailleur.slug, "reservataire": reservataire.slug,
        "reservataire_kind": reservataire.reservataire_kind or "autre",
        "departement": values["departement"], "year": values["year"],
        "share_percent": values["share_percent"], "origin": values["origin"],
        "designation_delay_days": values["designation_delay_days"],
        "counts_on": values["counts_on"],
        "counts_after_takeback": values["counts_after_takeback"],
        "scope": {"communes": list(values.get("scope_communes") or ()),
                  "typologies": list(values.get("scope_typologies") or ()),
                  "qpv": values.get("scope_qpv")},
    }
    try:
        return records.parse_convention(raw)
    except RecordError as exc:
        field = exc.path.split("[", 1)[0].replace("scope.", "scope_")
        raise ConventionRefused({field: [exc.reason]}) from None


def own_share(bailleur_id: int, departement: str, year: int,
              replacing: tuple[int | None, float] | None = None) -> float:
    """The bailleur's own share of a flux: 100 % minus the shares of its conventions
    (``replacing`` = (convention id or None for a new one, share) counts a share being typed)."""
    shares = dict(db.session.execute(
        select(Convention.id, Convention.share_percent).where(
            Convention.bailleur_id == bailleur_id, Convention.departement == departement,
            Convention.year == year)
    ).all())
    if replacing is not None:
        shares[replacing[0]] = replacing[1]
    return round(100.0 - sum(shares.values()), 2)


def cap_errors(candidate: records.Convention, bailleur_id: int,
               replacing_id: int | None = None) -> list[str]:
    """The legal caps the flux would break with ``candidate`` (French messages), using the
    engine's rule over the stored conventions of the same flux plus the candidate."""
    try:
        flux.caps_for_year(candidate.year)
    except flux.CapsUnavailable as exc:
        raise ConventionRefused({"year": [str(exc).split(" / ")[0]]}) from None
    others = db.session.scalars(
        select(Convention)
        .options(joinedload(Convention.bailleur), joinedload(Convention.reservataire))
        .where(Convention.bailleur_id == bailleur_id,
               Convention.departement == candidate.departement,
               Convention.year == candidate.year)
    )
    stored = [convention_record(c) for c in others if c.id != replacing_id]
    out = []
    for v in flux.check_caps(stored + [candidate]):
        message = v.message.split(" : ", 1)[-1]
        cap = f"{v.cap:g}".replace(".", ",")
        out.append(f"Refusé : {message} avec cette convention (plafond : {cap} %).")
    return out


def _check(values: Mapping[str, Any], bailleur: Organisation, reservataire: Organisation,
           replacing_id: int | None) -> records.Convention:
    candidate = _record(values, bailleur, reservataire)
    errors = cap_errors(candidate, bailleur.id, replacing_id)
    if errors:
        raise ConventionRefused({"share_percent": errors})
    return candidate


# --------------------------------------------------------------------------- writes


def create_convention(bailleur: Organisation, reservataire: Organisation,
                      values: Mapping[str, Any]) -> Convention:
    """A new convention (version 1), within the legal caps; ConventionRefused otherwise."""
    if reservataire.kind != "reservataire":
        raise ConventionRefused({"reservataire": ["Choisissez un réservataire de la liste."]})
    candidate = _check(values, bailleur, reservataire, None)
    duplicate = db.session.scalar(select(Convention.id).where(
        Convention.bailleur_id == bailleur.id, Convention.reservataire_id == reservataire.id,
        Convention.departement == candidate.departement, Convention.year == candidate.year))
    if duplicate is not None:
        raise ConventionRefused({"reservataire": [
            f"Une convention avec {reservataire.name} existe déjà pour le département "
            f"{candidate.departement} en {candidate.year} : modifiez-la plutôt."]})
    ref = values.get("ref") or _new_ref(bailleur, reservataire, candidate)
    if db.session.scalar(select(Convention.id).where(Convention.ref == ref)) is not None:
        raise ConventionRefused({"ref": [f"La référence {ref} est déjà utilisée."]})
    convention = Convention(
        ref=ref, bailleur_id=bailleur.id, reservataire_id=reservataire.id,
        departement=candidate.departement, year=candidate.year, version=1,
        **_columns(candidate, values.get("signed_on")),
    )
    db.session.add(convention)
    db.session.flush()
    return convention


def update_convention(convention: Convention, values: Mapping[str, Any], *,
                      actor: User | None = None, note: str | None = None) -> bool:
    """Change the terms of a convention: the terms in force are kept as an earlier version,
    then replaced, and the version number goes up. False when nothing changed."""
    bailleur, reservataire = convention.bailleur, convention.reservataire
    merged = {"ref": convention.ref, "departement": convention.departement,
              "year": convention.year, **values}
    candidate = _check(merged, bailleur, reservataire, convention.id)
    new = _columns(candidate, values.get("signed_on"))
    if all(_same(getattr(convention, k), new[k]) for k in CONVENTION_TERMS):
        return False
    db.session.add(ConventionVersion(
        convention_id=convention.id, version=convention.version,
        superseded_by_id=actor.id if actor is not None else None, change_note=note,
        **{k: getattr(convention, k) for k in CONVENTION_TERMS},
    ))
    for key, value in new.items():
        setattr(convention, key, value)
    convention.version += 1
    db.session.flush()
    return True


def _same(a, b) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return list(a or ()) == list(b or ())
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def _columns(c: records.Convention, signed_on: date | None) -> dict[str, Any]:
    return {
        "share_percent": c.share_percent, "origin": c.origin,
        "designation_delay_days": c.designation_delay_days, "counts_on": c.counts_on,
        "counts_after_takeback": c.counts_after_takeback,
        "scope_communes": list(c.scope.communes), "scope_typologies": list(c.scope.typologies),
        "scope_qpv": c.scope.qpv, "signed_on": signed_on,
    }


def _new_ref(bailleur: Organisation, reservataire: Organisation, c: records.Convention) -> str:
    return f"CONV-{c.departement}-{bailleur.slug}-{reservataire.slug}-{c.year}"[:64]


# --------------------------------------------------------------------------- export


def bailleur_conventions(bailleur_id: int) -> list[Convention]:
    return list(db.session.scalars(
        select(Convention)
        .options(joinedload(Convention.bailleur), joinedload(Convention.reservataire))
        .where(Convention.bailleur_id == bailleur_id)
        .order_by(Convention.year.desc(), Convention.departement, Convention.share_percent.desc(),
                  Convention.id)
    ))


def _export(conventions: list[Convention], fmt: str) -> str:
    """Stored conventions in the exchange format (docs/formats.md "convention"), through the
    one record writer of the platform, as the imports read them back."""
    out = io.StringIO()
    write_records((convention_record(c) for c in conventions), out, fmt)
    return out.getvalue()


def export_jsonl(conventions: list[Convention]) -> str:
    return _export(conventions, "jsonl")


def export_csv(conventions: list[Convention]) -> str:
    return _export(conventions, "csv")
