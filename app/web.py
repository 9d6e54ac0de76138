"""Web plumbing shared by the role spaces: error pages, Jinja filters, navigation, bounded ids."""

from __future__ import annotations

from flask import Flask, abort, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from app.boundary import install_boundary
from app.extensions import db
from app.formatting import fr_date, fr_money, fr_number
from app.inputs import ID_MAX, parse_int
from app.labels import label, tone
from matching import fr

# The navigation of each role: (label, endpoint, endpoints of the pages under that entry).
NAVIGATION = {
    "demandeur": [
        ("Mon espace", "portal.espace",
         ("portal.demande", "portal.demande_create", "portal.demande_edit",
          "portal.demande_link", "portal.demande_renew", "portal.documents")),
        ("Ma cotation", "portal.cotation", ()),
        ("Offres", "portal.offres", ("portal.offre", "portal.offre_apply")),
        ("Mes candidatures", "portal.candidatures", ()),
        ("Mes propositions", "portal.propositions", ("portal.proposition",
                                                     "portal.proposition_accept",
                                                     "portal.proposition_refuse")),
    ],
    "bailleur": [
        ("Accueil", "bailleur.home", ()),
        ("Dossiers", "bailleur.dossiers",
         ("bailleur.dossier", "bailleur.dossier_visit", "bailleur.dossier_lease")),
        ("Logements", "bailleur.logements",
         ("bailleur.logement", "bailleur.logement_edit", "bailleur.logement_retire",
          "bailleur.logement_exclude", "bailleur.logements_import", "bailleur.vacancy_declare")),
        ("Vacances et offres", "bailleur.vacancies", ("bailleur.offre", "bailleur.offre_publish",
                                                      "bailleur.offre_media_add")),
        ("Conventions", "bailleur.conventions",
         ("bailleur.convention", "bailleur.convention_create", "bailleur.convention_edit",
          "bailleur.conventions_import")),
        ("Orientation", "bailleur.orientation",
         ("bailleur.orientation_offre", "bailleur.orientation_vacancy")),
        ("Échéances", "bailleur.echeances", ()),
        ("État des lieux", "bailleur.etat_des_lieux", ("bailleur.etat_des_lieux_import",)),
        ("Objectifs", "bailleur.objectifs", ()),
        ("Bilan annuel", "bailleur.bilan", ()),
    ],
    "reservataire": [
        ("Accueil", "reservataire.home", ()),
        ("Logements à désigner", "reservataire.logements",
         ("reservataire.logement", "reservataire.logement_change",
          "reservataire.logement_designate")),
        ("Candidats désignés", "reservataire.candidats", ("reservataire.demande",)),
        ("Flux", "reservataire.flux", ()),
        ("Bilans", "reservataire.bilans_page", ()),
    ],
    "cal": [("Accueil", "cal.home", ()),
            ("Séances", "cal.sessions", ("cal.session", "cal.session_agenda",
                                         "cal.session_decision", "cal.session_close"))],
    "epci": [
        ("Accueil", "epci.home", ()),
        ("Rechercher une demande", "epci.demande_search", ("epci.demande",)),
        ("Gestion en flux", "epci.flux_overview", ()),
    ],
    "admin": [("Accueil", "admin.home", ())],
}


def navigation() -> list[dict]:
    """The signed-in user's navigation entries, the current one marked."""
    if not current_user.is_authenticated:
        return []
    items = []
    for text, endpoint, below in NAVIGATION.get(current_user.role, []):
        items.append({
            "text": text,
            "endpoint": endpoint,
            "is_current_page": request.endpoint == endpoint,
            "is_current_section": request.endpoint == endpoint or request.endpoint in below,
        })
    return items


def or_404(value):
    """The value, or a 404: another organisation's record answers exactly like a missing one."""
    if value is None:
        abort(404)
    return value


MAX_PAGE = 1_000_000


def page_arg() -> int:
    """The ``?page=`` of a paginated list; a value out of range is a missing page (404)."""
    raw = (request.args.get("page") or "").strip()
    if not raw.isascii() or not raw.lstrip("-").isdigit():
        return 1  # absent or not a number: the first page
    page = parse_int(raw, minimum=1, maximum=MAX_PAGE)  # a number out of range: no such page
    if page is None:
        abort(404)
    return page


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` limited to what a database integer holds: a larger id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def install_web(app: Flask) -> None:
    install_boundary(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.filters["fr_date"] = fr_date
    app.jinja_env.filters["fr_money"] = fr_money
    app.jinja_env.filters["fr_number"] = fr_number
    app.jinja_env.filters["de"] = fr.de
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["tone"] = tone
    app.context_processor(lambda: {"navigation": navigation})
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.before_request
    def _refuse_nul_bytes():
        # No text column accepts NUL (PostgreSQL refuses it outright): such input is malformed.
        values = [request.path, *request.args.values()]
        if request.method in ("POST", "PUT", "PATCH"):
            values.extend(request.form.values())
        if any("\x00" in value for value in values):
            abort(400)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        db.session.rollback()
        if wants_json():
            body = {"type": "about:blank", "title": err.name, "status": err.code, "detail": err.description}
            resp = jsonify(body)
            resp.status_code = err.code or 500
            resp.mimetype = "application/problem+json"
            return resp
        return render_template("errors/error.html", error=err), err.code

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("TESTING") and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise err
        if wants_json():
            resp = jsonify({"type": "about:blank", "title": "Internal Server Error", "status": 500})
            resp.status_code = 500
            resp.mimetype = "application/problem+json"
            return resp
        return render_template("errors/error.html", error=None), 500
