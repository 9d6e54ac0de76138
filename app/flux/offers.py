"""Vacancies of the bailleur's logements, published as offers with their photos and plans.

- ``declare_vacancy``: a departure (notice date, availability date) becomes an offer « à
  orienter » (its orientation is issue 7's screen and records ``mise_a_disposition``), or
  « hors flux » when the logement is excluded from the flux: then the ledger records
  ``hors_flux`` at once (it counts for no réservataire).
- ``publish`` / ``unpublish``: the offer's text is shown to requesters (location choisie).
  The search documents follow by themselves: app/search keeps them at every commit that
  touches an offer.
- ``add_media`` / ``remove_media``: photos (JPEG, PNG) and a plan (PDF, JPEG, PNG), judged
  by content and size by ``app/uploads.py``, each with a required text alternative.

Services flush and never commit (the request boundary does).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.adapters.records import demande_record, logement_record
from app.attribution.models import Candidature
from app.columns import utcnow
from app.cotation.services import NoGrid, epci_communes, grid_for_epci
from app.demandes.models import Demande
from app.extensions import db
from app.flux.ledger import record_event
from app.flux.models import OPEN_FLUX_STATUSES, Offre, OffreMedia
from app.patrimoine.models import Logement
from app.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    UploadError,
    delete_after_commit,
    delete_stored,
    store,
)
from matching import parameters as params
from matching.cotation import GridNotApplicable, cotation
from matching.eligibility import eligibility

# What each kind of media accepts (judged by content, app/uploads.py).
MEDIA_ACCEPTED = {"photo": IMAGE_TYPES, "plan": DOCUMENT_TYPES}
MEDIA_KIND_LABELS = {"photo": "Photo", "plan": "Plan"}
# The ledger's events as the offer's timeline shows them.
EVENT_LABELS = {
    "hors_flux": "Vacance hors flux", "mise_a_disposition": "Orientation (mise à disposition)",
    "reprise": "Reprise par le bailleur", "designation": "Désignation de candidats",
    "decision_cal": "Décision de la CAL", "proposition": "Proposition au candidat",
    "acceptation": "Acceptation", "refus": "Refus", "attribution": "Attribution",
    "bail_signe": "Bail signé", "retrait": "Retrait de l'offre", "visite": "Visite",
    "condition_levee": "Condition suspensive levée",
    "attribution_caduque": "Attribution caduque (condition non levée)",
}
MAX_MEDIA_PER_OFFER = 20
# A tenant's notice runs one to three months (loi du 6 juillet 1989, art. 15); a longer gap
# between notice and availability is allowed up to a year (works, a late departure).
MAX_NOTICE_TO_AVAILABILITY = timedelta(days=366)
# How far back a notice may be declared (a vacancy found late is still declared).
MAX_NOTICE_AGE = timedelta(days=366)
MAX_DESCRIPTION = 4000
MAX_QUARTIER = 120
MAX_CAPTION = 300
# Offers that can no longer change (allocated, leased, withdrawn).
CLOSED_STATUSES = ("attribue", "bail_signe", "retire")


class OfferError(ValueError):
    """A refused operation on a vacancy or an offer: the form field and a French message."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --------------------------------------------------------------------------- declaration


def check_vacancy_dates(notice_on: date, available_on: date, today: date) -> list[OfferError]:
    """Every problem with a departure's dates (empty when they hold together)."""
    problems = []
    if notice_on > today:
        problems.append(OfferError("notice_on", (
            "La date du congé ne peut pas être dans le futur : indiquez la date à laquelle "
            "le locataire a donné son congé.")))
    elif today - notice_on > MAX_NOTICE_AGE:
        problems.append(OfferError("notice_on", "Ce congé date de plus d'un an : vérifiez la date."))
    if available_on <= notice_on:
        problems.append(OfferError("available_on", (
            "La date de disponibilité doit être postérieure à la date du congé.")))
    elif available_on - notice_on > MAX_NOTICE_TO_AVAILABILITY:
        problems.append(OfferError("available_on", (
            "La date de disponibilité est à plus d'un an du congé : vérifiez-la.")))
    return problems


def _new_ref(logement: Logement, available_on: date) -> str:
    base = f"OFF-{logement.id}-{available_on:%Y%m%d}"
    taken = set(db.session.scalars(select(Offre.ref).where(Offre.ref.like(base + "%"))))
    ref, n = base, 1
    while ref in taken:
        n += 1
        ref = f"{base}-{n}"
    return ref


def open_offer_of(logement: Logement) -> Offre | None:
    """The logement's current vacancy (open, or hors flux and not yet closed)."""
    return db.session.scalar(
        select(Offre).where(Offre.logement_id == logement.id,
                            Offre.flux_status.in_((*OPEN_FLUX_STATUSES, "hors_flux")))
        .order_by(Offre.id.desc()).limit(1)
    )


def declare_vacancy(logement: Logement, *, notice_on: date, available_on: date, today: date,
                    actor: User | None = None) -> Offre:
    """Declare a departure: a new offer « à orienter », or « hors flux » (with its ledger
    event) when the logement is excluded from the flux. OfferError when refused."""
    if logement.retired_on is not None:
        raise OfferError(None, "Ce logement est sorti du patrimoine : aucune vacance ne peut "
                               "y être déclarée.")
    problems = check_vacancy_dates(notice_on, available_on, today)
    if problems:
        raise problems[0]
    current = open_offer_of(logement)
    if current is not None:
        raise OfferError(None, f"Ce logement a déjà une vacance en cours (offre {current.ref}).")
    hors_flux = logement.hors_flux_reason is not None
    offre = Offre(
        ref=_new_ref(logement, available_on), logement=logement,
        flux_status="hors_flux" if hors_flux else "a_orienter",
        declared_on=today, notice_on=notice_on, available_on=available_on,
    )
    savepoint = db.session.begin_nested()
    try:
        db.session.add(offre)
        db.session.flush()
    except IntegrityError:  # a concurrent declaration took the one open offer per logement
        savepoint.rollback()
        raise OfferError(None, "Une vacance vient d'être déclarée sur ce logement par "
                               "quelqu'un d'autre.") from None
    savepoint.commit()
    if hors_flux:
        record_event(offre, "hors_flux", today, reservataire_id=None, convention_id=None,
                     actor=actor, details={"reason": logement.hors_flux_reason})
    return offre


# --------------------------------------------------------------------------- publication


def _check_open(offre: Offre) -> None:
    if offre.flux_status not in OPEN_FLUX_STATUSES:
        raise OfferError(None, "Seule une offre en cours peut être publiée ou modifiée "
                               "(pas une vacance hors flux ni une offre close).")


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def update_text(offre: Offre, *, description: str | None, quartier: str | None) -> Offre:
    """Set the offer's text and neighbourhood (an empty value clears it)."""
    description, quartier = _clean(description), _clean(quartier)
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise OfferError("description", f"{MAX_DESCRIPTION} caractères au plus.")
    if quartier is not None and len(quartier) > MAX_QUARTIER:
        raise OfferError("quartier", f"{MAX_QUARTIER} caractères au plus.")
    offre.description, offre.quartier = description, quartier
    db.session.flush()
    return offre


def publish(offre: Offre, *, description: str | None, quartier: str | None,
            now: datetime | None = None) -> Offre:
    """Publish the offer to requesters with its text (required)."""
    _check_open(offre)
    if not _clean(description):
        raise OfferError("description", (
            "Décrivez le logement : c'est le texte que les demandeurs liront et chercheront."))
    update_text(offre, description=description, quartier=quartier)
    if not offre.is_published:
        offre.is_published = True
        offre.published_at = now or utcnow()
    db.session.flush()
    return offre


def unpublish(offre: Offre) -> Offre:
    """Stop showing the offer to requesters (its text and media are kept)."""
    offre.is_published = False
    db.session.flush()
    return offre


# --------------------------------------------------------------------------- media


def media_of(offre: Offre) -> list[OffreMedia]:
    """The offer's media, plans after photos, in their order."""
    return list(db.session.scalars(
        select(OffreMedia).where(OffreMedia.offre_id == offre.id)
        .order_by(OffreMedia.kind.desc(), OffreMedia.position, OffreMedia.id)
    ))


def add_media(offre: Offre, upload: FileStorage, *, kind: str, caption: str | None,
              actor: User | None = None) -> OffreMedia:
    """Store a photo or a plan of the offer; OfferError (nothing stored) when refused."""
    if kind not in MEDIA_ACCEPTED:
        raise OfferError("kind", "Choisissez le type de fichier : photo ou plan.")
    caption = _clean(caption)
    if caption is None:
        raise OfferError("caption", (
            "Décrivez ce que montre le fichier (texte lu aux personnes qui ne voient pas "
            "l'image), par exemple « Séjour lumineux donnant sur le parc »."))
    if len(caption) > MAX_CAPTION:
        raise OfferError("caption", f"{MAX_CAPTION} caractères au plus.")
    if offre.flux_status in CLOSED_STATUSES:
        raise OfferError(None, "Cette offre est close : elle ne reçoit plus de fichiers.")
    count = db.session.scalar(select(func.count(OffreMedia.id))
                              .where(OffreMedia.offre_id == offre.id))
    if count >= MAX_MEDIA_PER_OFFER:
        raise OfferError("file", f"{MAX_MEDIA_PER_OFFER} fichiers au plus par offre.")
    if upload is None or not upload.filename:
        raise OfferError("file", "Choisissez un fichier à envoyer.")
    try:
        stored = store(upload, accepted=MEDIA_ACCEPTED[kind])
    except UploadError as exc:
        raise OfferError("file", str(exc)) from None
    position = db.session.scalar(
        select(func.coalesce(func.max(OffreMedia.position) + 1, 0))
        .where(OffreMedia.offre_id == offre.id, OffreMedia.kind == kind))
    media = OffreMedia(
        offre_id=offre.id, key=stored.key, kind=kind, content_type=stored.content_type,
        size=stored.size, sha256=stored.sha256, original_name=stored.original_name,
        caption=caption, position=position, uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(media)
    try:
        db.session.flush()
    except BaseException:
        delete_stored(stored.key)
        raise
    return media


def remove_media(media: OffreMedia) -> None:
    """Delete a photo or plan and its stored file."""
    key = media.key
    db.session.delete(media)
    db.session.flush()
    delete_after_commit(key)


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class Viewer:
    role: str
    organisation_id: int | None


def may_see(offre: Offre, viewer: Viewer) -> bool:
    """Who sees an offer and its media: its bailleur always; any signed-in requester once it
    is published and still open; nobody else."""
    if viewer.role == "bailleur":
        return offre.logement.bailleur_id == viewer.organisation_id
    if viewer.role == "demandeur":
        return offre.is_published and offre.flux_status in OPEN_FLUX_STATUSES
    return False


def visible_media(ref: str, media_id: int, viewer: Viewer) -> OffreMedia | None:
    """A media of the offer ``ref`` if the viewer may see the offer, else None (a 404)."""
    media = db.session.scalar(
        select(OffreMedia).join(Offre, Offre.id == OffreMedia.offre_id)
        .options(joinedload(OffreMedia.offre).joinedload(Offre.logement))
        .where(OffreMedia.id == media_id, Offre.ref == ref)
    )
    if media is None or not may_see(media.offre, viewer):
        return None
    return media


# --------------------------------------------------------------------------- reads

VACANCIES_PER_PAGE = 50


def vacancies_page(user: User, status: str | None, page: int):
    """One page of the bailleur's vacancies (every offer of its logements), latest first,
    optionally of one flux status."""
    query = (
        select(Offre)
        .join(Logement, Logement.id == Offre.logement_id)
        .options(joinedload(Offre.logement).joinedload(Logement.commune),
                 joinedload(Offre.reservataire))
        .where(Logement.bailleur_id == user.organisation_id)
        .order_by(Offre.declared_on.desc(), Offre.id.desc())
    )
    if status:
        query = query.where(Offre.flux_status == status)
    return db.paginate(query, page=page, per_page=VACANCIES_PER_PAGE, max_per_page=100)


def vacancy_counts(user: User) -> dict[str, int]:
    """The bailleur's offers per flux status (for the filter)."""
    return dict(db.session.execute(
        select(Offre.flux_status, func.count(Offre.id))
        .join(Logement, Logement.id == Offre.logement_id)
        .where(Logement.bailleur_id == user.organisation_id)
        .group_by(Offre.flux_status)
    ).tuples().all())


def own_offer(user: User, ref: str) -> Offre | None:
    """One of the bailleur's offers by its reference, or None (another bailleur's too)."""
    if len(ref) > 64:
        return None
    return db.session.scalar(
        select(Offre).join(Logement, Logement.id == Offre.logement_id)
        .options(joinedload(Offre.logement).joinedload(Logement.commune),
                 joinedload(Offre.reservataire), joinedload(Offre.convention))
        .where(Offre.ref == ref, Logement.bailleur_id == user.organisation_id)
    )


@dataclass(frozen=True)
class Applicant:
    """A requester who applied to the offer, with their verdict and cotation for it."""

    candidature: Candidature
    demande: Demande
    eligible: bool | None  # None: no verdict (missing regulatory figures)
    reasons: tuple[str, ...]
    verdict_note: str | None
    score: float | None  # cotation for the offer's commune (its choice), or the first choice
    score_note: str | None


def applicants(offre: Offre, today: date) -> list[Applicant]:
    """The applications to the offer, oldest first, each with the engine's eligibility verdict
    for this dwelling and the demande's cotation for the offer's commune (its EPCI's grid).
    The caller audits the reads of these demandes."""
    rows = db.session.scalars(
        select(Candidature)
        .options(joinedload(Candidature.demande).joinedload(Demande.epci))
        .where(Candidature.offre_id == offre.id)
        .order_by(Candidature.applied_at, Candidature.id)
    ).all()
    dwelling = dataclasses.replace(logement_record(offre.logement), id=offre.ref,
                           available_on=offre.available_on)
    commune = offre.logement.commune_insee
    grids: dict[int, tuple] = {}
    result = []
    for cand in rows:
        demande = cand.demande
        record = demande_record(demande)
        try:
            verdict = eligibility(record, dwelling, today)
            eligible, reasons, note = verdict.ok, tuple(r.message for r in verdict.reasons), None
        except params.ParameterMissing as exc:
            eligible, reasons, note = None, (), f"verdict indisponible : {exc}"
        if demande.epci_id not in grids:
            try:
                grids[demande.epci_id] = (grid_for_epci(db.session, demande.epci),
                                          epci_communes(db.session, demande.epci) or None)
            except NoGrid:
                grids[demande.epci_id] = (None, None)
        grid, communes = grids[demande.epci_id]
        score, score_note = None, None
        if grid is None:
            score_note = "aucune grille de cotation pour ce territoire"
        else:
            try:
                scored = cotation(record, grid, today, communes)
            except GridNotApplicable as exc:
                score_note = exc.reason
            except params.ParameterMissing as exc:
                score_note = f"cotation indisponible : {exc}"
            else:
                by_commune = {c.commune: c.score for c in scored.by_choice}
                score = by_commune.get(commune, scored.score)
                if commune not in by_commune:
                    score_note = "commune non demandée : cotation du premier choix"
        result.append(Applicant(cand, demande, eligible, reasons, note, score, score_note))
    return result
