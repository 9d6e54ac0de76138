"""Location choisie, requester side: the offers list (eligibility, filters, text search,
pagination, the "why" panel), an offer's page, applying and withdrawing, alerts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.attribution.models import Candidature
from app.extensions import db
from app.mail import clear_outbox, outbox
from app.search import catalogue as catalogue_module
from app.search.models import AlertDelivery, SavedSearch
from tests.factories import DemandeFactory, UserFactory
from tests.functional.offers_support import TODAY, build_territory, offer
from tests.functional.sessions import CSRF, login

REF = re.compile(r'data-offre-ref="([^"]+)"')


@pytest.fixture
def today(app):
    previous = app.config.get("PLATFORM_TODAY")
    app.config["PLATFORM_TODAY"] = TODAY.isoformat()
    yield TODAY
    app.config["PLATFORM_TODAY"] = previous


@pytest.fixture
def territory(db_session, today):
    return build_territory()


@pytest.fixture
def requester(client, territory):
    login(client, territory.requester)
    return client


def refs(response) -> list[str]:
    return REF.findall(response.get_data(as_text=True))


FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(client, url="/mon-espace/offres") -> str:
    page = client.get(url).get_data(as_text=True)
    return (FORM_CSRF.search(page) or CSRF.search(page)).group(1)


# --------------------------------------------------------------------------- the list


def test_the_list_shows_exactly_the_published_offers_the_household_is_eligible_for(
        requester, territory):
    response = requester.get("/mon-espace/offres")
    assert response.status_code == 200
    assert sorted(refs(response)) == sorted(o.ref for o in territory.eligible)


def test_the_why_panel_counts_the_reasons_of_the_other_offers(requester, territory):
    page = requester.get("/mon-espace/offres").get_data(as_text=True)
    assert "Pourquoi je ne vois pas d&#39;autres offres ?" in page or \
        "Pourquoi je ne vois pas d'autres offres ?" in page
    assert "1 offre PLAI : plafond de ressources dépassé" in page
    assert "1 offre : commune hors de vos souhaits" in page
    assert "1 offre : typologie inadaptée à la taille du ménage" in page


@pytest.mark.parametrize(("query", "expected"), [
    ({"commune": "45232"}, ["olivet"]),
    ({"commune": "olivet"}, ["olivet"]),  # a name, without capital or accent care
    ({"typologie": "T1"}, ["olivet"]),
    ({"loyer_max": "410"}, ["source", "olivet", "calme"]),
    ({"loyer_max": "405,50"}, ["calme", "olivet"]),
    ({"accessible": "1"}, ["calme"]),
    ({"ascenseur": "1"}, ["olivet"]),
    ({"etage_max": "0"}, ["calme"]),
])
def test_filters_narrow_the_eligible_offers(requester, territory, query, expected):
    by_name = {"source": territory.eligible[0].ref, "calme": territory.eligible[1].ref,
               "olivet": territory.eligible[2].ref}
    response = requester.get("/mon-espace/offres", query_string=query)
    assert response.status_code == 200
    assert sorted(refs(response)) == sorted(by_name[n] for n in expected)


@pytest.mark.parametrize("words", [
    "renove", "RÉNOVÉES", "balcons ensoleilles", "la source", "tramway orleans",
])
def test_free_text_search_ignores_accents_and_word_endings(requester, territory, words):
    response = requester.get("/mon-espace/offres", query_string={"q": words})
    assert refs(response) == [territory.eligible[0].ref]


def test_free_text_search_finds_the_commune_and_never_an_ineligible_offer(requester, territory):
    response = requester.get("/mon-espace/offres", query_string={"q": "Orléans"})
    assert sorted(refs(response)) == sorted(o.ref for o in territory.eligible[:2])
    assert requester.get("/mon-espace/offres", query_string={"q": "introuvablemot"}).status_code == 200


def test_sorting_by_rent_puts_the_cheapest_first(requester, territory):
    response = requester.get("/mon-espace/offres", query_string={"tri": "loyer"})
    assert refs(response) == [territory.eligible[2].ref, territory.eligible[1].ref,
                              territory.eligible[0].ref]


def test_pagination_walks_every_offer_once(requester, territory):
    extra = [offer(territory.orleans, rent=200 + i, description=f"Logement {i}")
             for i in range(45)]
    db.session.commit()
    seen = []
    for page in (1, 2, 3):
        response = requester.get("/mon-espace/offres", query_string={"tri": "loyer", "page": page})
        assert response.status_code == 200
        seen += refs(response)
    assert len(seen) == len(extra) + 3 == len(set(seen))
    assert "Page 1 sur 3" in requester.get("/mon-espace/offres").get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ({"commune": "Atlantide"}, "Aucune offre publiée dans la commune « Atlantide »"),
    ({"loyer_max": "-3"}, "Indiquez un loyer maximum en euros"),
    ({"loyer_max": "9" * 400}, "Indiquez un loyer maximum en euros"),
    ({"etage_max": "²"}, "Indiquez un étage entre 0"),
    ({"typologie": "T99"}, "Choisissez un type de logement"),
    ({"tri": "hasard"}, "Choisissez un ordre"),
    ({"q": "x" * 500}, "La recherche compte au plus 100 caractères."),
    ({"page": "abc"}, "Ce numéro de page n'existe pas"),
])
def test_bad_filters_answer_a_plain_message_and_keep_the_other_filters(requester, territory,
                                                                       query, message):
    response = requester.get("/mon-espace/offres", query_string={**query, "typologie": "T1"}
                             if "typologie" not in query else query)
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert message in page
    assert "9" * 50 not in page and "x" * 101 not in page


def test_a_huge_page_number_says_how_many_pages_there_are(requester, territory):
    beyond = requester.get("/mon-espace/offres", query_string={"page": "999999"})
    assert beyond.status_code == 200 and refs(beyond) == []
    assert "il y a 1 page de résultats" in beyond.get_data(as_text=True)
    absurd = requester.get("/mon-espace/offres", query_string={"page": "9" * 30})
    assert absurd.status_code == 422
    assert "Ce numéro de page n&#39;existe pas : voici la première page." in absurd.get_data(
        as_text=True)
    assert len(refs(absurd)) == 3


def test_the_list_follows_a_change_of_an_offer_without_restarting(requester, territory):
    assert territory.eligible[0].ref in refs(requester.get("/mon-espace/offres"))
    territory.eligible[0].is_published = False
    db.session.commit()
    assert territory.eligible[0].ref not in refs(requester.get("/mon-espace/offres"))
    catalogue_module._cache.clear()


def test_a_requester_without_an_active_demande_is_told_to_file_one(client, territory):
    login(client, UserFactory(email="sans-demande@example.org"))
    page = client.get("/mon-espace/offres").get_data(as_text=True)
    assert "Déposer ma demande de logement social" in page


# --------------------------------------------------------------------------- the offer page


def test_the_offer_page_shows_rent_budget_criteria_and_chances(requester, territory):
    page = requester.get(f"/mon-espace/offres/{territory.eligible[0].ref}").get_data(as_text=True)
    for text in ("350,00", "60,00", "Taux d&#39;effort", "Reste à vivre", "Plafond de ressources",
                 "Composition du ménage et logement", "Zone géographique",
                 "Critères du réservataire", "rang 1", "très forte", "Postuler à cette offre",
                 "cotation de l'intercommunalité"):
        assert text in page, text


def test_an_estimated_ceiling_is_flagged_to_confirm(requester, territory):
    page = requester.get(f"/mon-espace/offres/{territory.closed['plafond_depasse'].ref}")
    assert "plafond estimé, à confirmer" in page.get_data(as_text=True)


def test_an_ineligible_offer_says_why_and_offers_no_button(requester, territory):
    page = requester.get(f"/mon-espace/offres/{territory.closed['typologie_inadaptee'].ref}")
    text = page.get_data(as_text=True)
    assert "non rempli" in text and "Postuler à cette offre" not in text


def test_an_unpublished_or_unknown_offer_is_a_404(requester, territory):
    assert requester.get("/mon-espace/offres/OFF-INCONNUE").status_code == 404


# --------------------------------------------------------------------------- applications


def apply(client, ref):
    return client.post(f"/mon-espace/offres/{ref}/candidater",
                       data={"csrf_token": token(client, f"/mon-espace/offres/{ref}")})


def applications_of(demande) -> int:
    return db.session.scalar(select(func.count(Candidature.id))
                             .where(Candidature.demande_id == demande.id))


def test_applying_twice_makes_one_application(requester, territory):
    ref = territory.eligible[0].ref
    first, second = apply(requester, ref), apply(requester, ref)
    assert first.status_code == second.status_code == 302
    assert applications_of(territory.demande) == 1
    page = requester.get("/mon-espace/candidatures").get_data(as_text=True)
    assert "Candidature déposée" in page and ref in page


def test_an_ineligible_household_cannot_apply(requester, territory):
    response = apply(requester, territory.closed["plafond_depasse"].ref)
    assert response.status_code == 422
    assert "ne remplit pas les conditions" in response.get_data(as_text=True)
    assert applications_of(territory.demande) == 0


def test_the_cap_on_active_applications_is_enforced_and_withdrawing_frees_a_place(
        app, requester, territory):
    app.config["MAX_ACTIVE_APPLICATIONS"] = 2
    try:
        a, b, c = (o.ref for o in territory.eligible)
        assert apply(requester, a).status_code == 302
        assert apply(requester, b).status_code == 302
        refused = apply(requester, c)
        assert refused.status_code == 422
        assert "2 candidatures en cours, le maximum" in refused.get_data(as_text=True)
        cand = db.session.scalar(select(Candidature).where(
            Candidature.offre_id == territory.eligible[0].id))
        withdrawn = requester.post(f"/mon-espace/candidatures/{cand.id}/retirer",
                                   data={"csrf_token": token(requester, "/mon-espace/candidatures")})
        assert withdrawn.status_code == 302
        db.session.refresh(cand)
        assert cand.status == "retiree" and cand.withdrawn_at is not None
        assert apply(requester, c).status_code == 302
        page = requester.get("/mon-espace/candidatures").get_data(as_text=True)
        assert "Candidature retirée" in page
    finally:
        app.config.pop("MAX_ACTIVE_APPLICATIONS")


def test_another_requesters_application_is_a_404(client, requester, territory):
    apply(requester, territory.eligible[0].ref)
    cand = db.session.scalar(select(Candidature))
    other = UserFactory(email="autre@example.org")
    DemandeFactory(wishes=[territory.orleans], requester_id=other.id)
    client.post("/deconnexion", data={"csrf_token": token(client, "/mon-espace")})
    login(client, other)
    response = client.post(f"/mon-espace/candidatures/{cand.id}/retirer",
                           data={"csrf_token": token(client, "/mon-espace/candidatures")})
    assert response.status_code == 404
    assert territory.eligible[0].ref not in client.get("/mon-espace/candidatures").get_data(
        as_text=True)
    db.session.refresh(cand)
    assert cand.status == "deposee"


def test_the_rank_follows_the_applications(requester, territory):
    from app.attribution.applications import chances
    from app.cotation.runs import store_run

    target = territory.eligible[0]
    rival = DemandeFactory(wishes=[territory.orleans], epci=territory.demande.epci)
    db.session.add(Candidature(offre_id=target.id, demande_id=rival.id, status="deposee"))
    db.session.flush()
    store_run(db.session, rival.epci_id, "g", "1", TODAY, [territory.demande.id, rival.id],
              [40, 55], [False, False])
    db.session.commit()
    seen = chances(target, territory.demande)
    assert (seen.rank, seen.applicants, seen.band) == (2, 2, "forte")


# --------------------------------------------------------------------------- alerts


def test_a_saved_search_sends_each_new_eligible_offer_once(app, requester, territory):
    response = requester.post("/mon-espace/recherches", data={
        "csrf_token": token(requester), "commune": "45234", "nom": "Orléans"})
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedSearch))
    assert saved.criteria == {"commune": "45234", "sort": "recent"}
    saved.created_at = datetime(2026, 11, 25, tzinfo=UTC)  # after the existing offers
    fresh = offer(territory.orleans, rent=330, description="Neuf",
                  published_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    offer(territory.olivet, rent=330, published_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    offer(territory.orleans, financing="PLAI", published_at=datetime(2026, 12, 1, tzinfo=UTC))
    db.session.commit()
    clear_outbox()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["alerts", "send", "--today", "2026-12-02"])
    assert first.exit_code == 0, first.output
    assert [m.to for m in outbox()] == ["camille@example.org"]
    assert fresh.ref in outbox()[0].body and outbox()[0].body.count("/mon-espace/offres/") == 1
    again = runner.invoke(args=["alerts", "send", "--today", "2026-12-03"])
    assert again.exit_code == 0 and len(outbox()) == 1
    assert db.session.scalar(select(func.count(AlertDelivery.id))) == 1
    assert runner.invoke(args=["alerts", "send", "--today", "demain"]).exit_code != 0


def test_deleting_another_requesters_saved_search_is_a_404(client, requester, territory):
    other = UserFactory(email="autre2@example.org")
    saved = SavedSearch(user_id=other.id, name="x", criteria={})
    db.session.add(saved)
    db.session.commit()
    response = requester.post(f"/mon-espace/recherches/{saved.id}/supprimer",
                              data={"csrf_token": token(requester)})
    assert response.status_code == 404


def test_flask_search_reindex_reports_progress(app, territory):
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "6/6 offres indexées" in result.output and "Index reconstruit : 6" in result.output

