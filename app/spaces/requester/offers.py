"""Location choisie, requester side: the offers open to my household, an offer's page,
my applications (candidatures) and my saved searches.

Routes on the portal blueprint, requester only:
GET /mon-espace/offres, GET /mon-espace/offres/<ref>, POST /mon-espace/offres/<ref>/candidater,
GET /mon-espace/candidatures, POST /mon-espace/candidatures/<id>/retirer,
POST /mon-espace/recherches, POST /mon-espace/recherches/<id>/supprimer.
Services: app/search/ (list, search, alerts) and app/attribution/applications.py.
"""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

import app.search.indexing  # noqa: F401  (the commit hooks that keep the index in step)
from app.accounts.access import roles_required
from app.adapters.records import demande_record
from app.attribution import applications
from app.boundary import NEVER, commit_rule
from app.clock import platform_today
from app.flux.models import Offre
from app.inputs import parse_int, quote_prefix
from app.search import alerts
from app.search import text as search_text
from app.search.catalogue import SORTS, Criteria, catalogue, list_offers
from app.spaces.requester.views import bp
from app.web import MAX_PAGE, or_404
from matching import enums

MAX_QUERY = 100
MAX_RENT = 10_000
MAX_FLOOR = 60
_DECIMAL = re.compile(r"[0-9]{1,6}([.,][0-9]{1,2})?")

# Plain-French help for every term the pages use.
HELP = {
    "T1": "T1, T2, T3… : le nombre de pièces principales (séjour et chambres). Un T3 a un séjour "
          "et deux chambres.",
    "financement": "Le financement du logement (PLAI, PLUS, PLS, PLI) fixe le plafond de "
                   "ressources et le niveau de loyer. PLAI : loyers les plus bas, pour les "
                   "ressources les plus modestes ; PLUS : logement social ordinaire ; PLS et "
                   "PLI : loyers plus élevés, pour des ressources plus élevées.",
    "RFR": "RFR : revenu fiscal de référence, écrit sur votre avis d'impôt. On retient celui "
           "d'il y a deux ans (ou de l'an dernier s'il est plus bas).",
    "plafond": "Plafond de ressources : le revenu maximum pour avoir droit au logement, selon "
               "le financement du logement et la composition de votre ménage.",
    "taux_effort": "Taux d'effort : la part de vos ressources mensuelles qui irait au loyer et "
                   "aux charges (moins l'aide au logement).",
    "reste_a_vivre": "Reste à vivre : ce qui vous resterait par jour et par personne (unité de "
                     "consommation) une fois le loyer et les charges payés.",
    "cotation": "Cotation : la note de votre demande selon la grille publique de "
                "l'intercommunalité (EPCI). Elle est la même pour toutes les offres.",
    "reservataire": "Réservataire : l'organisme (État, Action Logement, commune…) à qui le "
                    "bailleur a confié ce logement. Il peut classer les candidats selon ses "
                    "propres règles : ce classement est différent de la cotation.",
    "CAL": "CAL : la commission d'attribution des logements du bailleur. Elle examine jusqu'à "
           "trois candidats par logement et décide.",
}

CRITERIA = (  # the five Hermès criteria and the reason codes under each
    ("Plafond de ressources", ("plafond_depasse", "plafond_non_fourni"), "plafond"),
    ("Composition du ménage et logement",
     ("typologie_inadaptee", "surface_suroccupation", "typologie_hors_souhaits",
      "logement_non_accessible"), "T1"),
    ("Taux d'effort et reste à vivre",
     ("taux_effort_excessif", "reste_a_vivre_insuffisant", "loyer_superieur_souhait"),
     "taux_effort"),
    ("Zone géographique", ("hors_souhaits_geographiques",), None),
    ("Critères du réservataire", ("filtre_reservataire",), "reservataire"),
)


def _max_active() -> int:
    return int(current_app.config.get("MAX_ACTIVE_APPLICATIONS", applications.DEFAULT_MAX_ACTIVE))


def parse_criteria(args, commune_names: dict[str, str]) -> tuple[Criteria, int, dict[str, str]]:
    """The filters of the query string, the page, and a message per refused field (the
    refused filters are left out, never echoed whole)."""
    errors: dict[str, str] = {}
    c = Criteria()
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        errors["q"] = f"La recherche compte au plus {MAX_QUERY} caractères."
    else:
        c.q = q
    commune = (args.get("commune") or "").strip()
    if commune:
        by_name = {search_text.fold(n): code for code, n in commune_names.items()}
        code = commune if commune in commune_names else by_name.get(search_text.fold(commune))
        if code is None:
            errors["commune"] = (f"Aucune offre publiée dans la commune « {quote_prefix(commune)} » : "
                                 "choisissez une commune de la liste.")
        else:
            c.commune = code
    typology = (args.get("typologie") or "").strip()
    if typology:
        if typology in enums.TYPOLOGIES:
            c.typology = typology
        else:
            errors["typologie"] = "Choisissez un type de logement de la liste (T1 à T6 ou plus)."
    rent = (args.get("loyer_max") or "").strip().replace(" ", "").replace("\u00a0", "")
    if rent:
        value = float(rent.replace(",", ".")) if _DECIMAL.fullmatch(rent) else None
        if value is None or not 1 <= value <= MAX_RENT:
            errors["loyer_max"] = ("Indiquez un loyer maximum en euros, charges comprises, "
                                   f"entre 1 et {MAX_RENT:,} €.".replace(",", " "))
        else:
            c.max_rent = value
    c.accessible = args.get("accessible") in ("1", "on", "oui")
    c.lift = args.get("ascenseur") in ("1", "on", "oui")
    floor = (args.get("etage_max") or "").strip()
    if floor:
        value = parse_int(floor, minimum=0, maximum=MAX_FLOOR)
        if value is None:
            errors["etage_max"] = (f"Indiquez un étage entre 0 (rez-de-chaussée) et {MAX_FLOOR}.")
        else:
            c.max_floor = value
    sort = args.get("tri") or ("pertinence" if c.q else "recent")
    if sort not in SORTS:
        errors["tri"] = "Choisissez un ordre de la liste."
        sort = "recent"
    c.sort = sort
    page_text = args.get("page")
    page = 1
    if page_text:
        number = parse_int(page_text, minimum=1, maximum=MAX_PAGE)
        if number is None:
            errors["page"] = "Ce numéro de page n'existe pas : voici la première page."
        else:
            page = number
    return c, page, errors


def _no_demande():
    return render_template("portal/offres_sans_demande.html"), 200


def _query_args(criteria: Criteria, **extra) -> dict:
    args = {"q": criteria.q or None, "commune": criteria.commune, "typologie": criteria.typology,
            "loyer_max": (f"{criteria.max_rent:g}" if criteria.max_rent is not None else None),
            "accessible": "1" if criteria.accessible else None,
            "ascenseur": "1" if criteria.lift else None,
            "etage_max": criteria.max_floor, "tri": criteria.sort}
    args.update(extra)
    return {k: v for k, v in args.items() if v not in (None, "")}


@bp.route("/mon-espace/offres")
@roles_required("demandeur")
@commit_rule(NEVER)
def offres():
    demande = applications.active_demande(current_user)
    if demande is None:
        return _no_demande()
    cat = catalogue()  # once per request: the rows shown come from it too
    criteria, page, errors = parse_criteria(request.args, cat.commune_names)
    listing = list_offers(demande_record(demande), criteria, platform_today(), page, cat=cat)
    offers = cat.rows_of(listing.offer_ids)
    applied = applications.active_offer_ids(demande.id, listing.offer_ids)  # the page's only
    communes = cat.commune_choices
    return render_template(
        "portal/offres.html", demande=demande, listing=listing, offers=offers,
        criteria=criteria, errors=errors, communes=communes, typologies=enums.TYPOLOGIES,
        sorts=SORTS, applied=applied, help=HELP, query_args=_query_args,
        saved=alerts.saved_searches(current_user), describe=alerts.describe,
        commune_names=cat.commune_names, raw_commune=quote_prefix(request.args.get("commune", "")),
    ), (422 if errors else 200)


def _offer_context(ref: str):
    demande = applications.active_demande(current_user)
    offre = or_404(applications.listed_offer(ref))
    return demande, offre


def _media(offre: Offre) -> list:
    """Photos and plan of the offer, when the publishing feature provides them."""
    try:
        from app.flux.models import OffreMedia
    except ImportError:  # hook: offers have no media yet
        return []
    from sqlalchemy import select

    from app.extensions import db

    return list(db.session.scalars(select(OffreMedia).where(OffreMedia.offre_id == offre.id)
                                   .order_by(OffreMedia.kind, OffreMedia.position)))


def media_url(medium) -> str | None:
    """Where a photo or plan is served (the publishing feature's ``portal.offre_media``)."""
    if "portal.offre_media" not in current_app.view_functions:
        return None
    return url_for("portal.offre_media", ref=medium.offre.ref, media_id=medium.id)


def _render_offer(offre: Offre, demande, status: int = 200, error: str | None = None):
    on = platform_today()
    verdict = applications.verdict_for(demande, offre, on) if demande else None
    criteria = []
    if verdict is not None:
        for label, codes, help_key in CRITERIA:
            reasons = [r for r in verdict.reasons if r.code in codes]
            criteria.append({"label": label, "ok": not reasons, "reasons": reasons,
                             "help": HELP.get(help_key) if help_key else None})
    candidature = applications.own_candidature(demande, offre) if demande else None
    chances = applications.chances(offre, demande) if demande and verdict and verdict.ok else None
    return render_template(
        "portal/offre.html", offre=offre, logement=offre.logement, demande=demande,
        verdict=verdict, criteria=criteria, candidature=candidature, chances=chances,
        media=_media(offre), media_url=media_url, help=HELP, error=error, max_active=_max_active(),
        active_count=applications.active_count(demande) if demande else 0,
    ), status


@bp.route("/mon-espace/offres/<ref>")
@roles_required("demandeur")
@commit_rule(NEVER)
def offre(ref: str):
    demande, found = _offer_context(ref)
    return _render_offer(found, demande)


@bp.route("/mon-espace/offres/<ref>/candidater", methods=["POST"])
@roles_required("demandeur")
def offre_apply(ref: str):
    demande, found = _offer_context(ref)
    if demande is None:
        return _render_offer(found, None, 422,
                             "Déposez d'abord votre demande de logement social pour postuler.")
    try:
        _, created = applications.apply(demande, found, platform_today(),
                                        max_active=_max_active())
    except applications.ApplicationRefused as refused:
        return _render_offer(found, demande, 422, str(refused))
    flash("Votre candidature est enregistrée." if created else
          "Vous aviez déjà postulé à cette offre : votre candidature est bien enregistrée.",
          "success")
    return redirect(url_for("portal.candidatures"))


@bp.route("/mon-espace/candidatures")
@roles_required("demandeur")
@commit_rule(NEVER)
def candidatures():
    demande = applications.active_demande(current_user)
    from sqlalchemy import select

    from app.demandes.models import Demande
    from app.extensions import db

    ids = list(db.session.scalars(select(Demande.id).where(Demande.requester_id == current_user.id)))
    return render_template("portal/candidatures.html", demande=demande,
                           timelines=applications.timelines(ids) if ids else [],
                           max_active=_max_active(), help=HELP)


@bp.route("/mon-espace/candidatures/<int:candidature_id>/retirer", methods=["POST"])
@roles_required("demandeur")
def candidature_withdraw(candidature_id: int):
    candidature = or_404(applications.own_candidature_by_id(current_user, candidature_id))
    if applications.withdraw(candidature):
        flash("Votre candidature est retirée. Vous pouvez postuler de nouveau à cette offre "
              "tant qu'elle est publiée.", "success")
    else:
        flash("Cette candidature n'était plus en cours : rien n'a changé.", "success")
    return redirect(url_for("portal.candidatures"))


@bp.route("/mon-espace/recherches", methods=["POST"])
@roles_required("demandeur")
def recherche_save():
    cat = catalogue()
    criteria, _, errors = parse_criteria(request.form, cat.commune_names)
    name = (request.form.get("nom") or "").strip()[:80] or alerts.describe(criteria, cat.commune_names)[:80]
    if errors:
        flash("La recherche n'a pas été enregistrée : corrigez d'abord les filtres.", "error")
        return redirect(url_for("portal.offres"))
    try:
        alerts.save_search(current_user, name, criteria)
    except alerts.SavedSearchRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("portal.offres", **_query_args(criteria)))
    flash("Recherche enregistrée : vous recevrez un message quand une nouvelle offre y "
          "correspondra.", "success")
    return redirect(url_for("portal.offres", **_query_args(criteria)))


@bp.route("/mon-espace/recherches/<int:saved_id>/supprimer", methods=["POST"])
@roles_required("demandeur")
def recherche_delete(saved_id: int):
    from app.extensions import db

    saved = or_404(alerts.own_saved_search(current_user, saved_id))
    db.session.delete(saved)
    db.session.flush()
    flash("Recherche supprimée : vous ne recevrez plus d'alerte pour elle.", "success")
    return redirect(url_for("portal.offres"))


