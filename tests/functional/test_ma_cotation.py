"""Ma cotation: the score line by line, priority, per commune, refusal effect, position among
similar demandes, waiting time; the public grid; the PDF attestation read back."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.attribution.models import Attribution
from app.cotation.services import recompute_epci
from app.demandes.models import PriorityCriterion, WishedTypology
from app.models import Organisation
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login
from tests.support.system import weasyprint_missing

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _today(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", TODAY.isoformat())


@pytest.fixture
def orleans(db_session):
    """Three real communes of Orléans Métropole: the example grid of the territory applies."""
    epci = OrganisationFactory(epci=True, slug="orleans-test", name="Orléans Métropole")
    communes = [CommuneFactory(insee=c, name=n, epci=epci) for c, n in (
        ("45234", "Orléans"), ("45147", "Fleury-les-Aubrais"), ("45232", "Olivet"))]
    return epci, communes


def demande(epci, communes, *, typology="T2", l441=(), requester=None, filed=date(2025, 1, 15),
            dalo=False):
    d = DemandeFactory(epci=epci, wishes=communes, filed_on=filed, is_dalo=dalo,
                       requester_id=requester.id if requester else None)
    d.wished_typologies.append(WishedTypology(typology=typology))
    for c in l441:
        d.priority_criteria.append(PriorityCriterion(criterion=c))
    return d


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(
        as_text=True))))


def test_the_requester_reads_their_score_line_by_line_with_priority_and_each_commune(
        client, db_session, orleans):
    epci, communes = orleans
    user = UserFactory(role="demandeur")
    mine = demande(epci, communes[:2], l441=("sans_logement",), requester=user)
    db_session.commit()
    login(client, user)

    page = text(client.get("/mon-espace/cotation"))

    # 13 months since 15 January 2025 at 1 point a month, +200 for "dépourvu de logement",
    # +40 for living in a résidence sociale (the factory's current housing).
    assert "Ancienneté de la demande (1 point par mois, 120 au plus) : 13 mois" in page
    assert "L.441-1 : dépourvu de logement +200 pts" in page
    assert "Logement précaire (hébergement, structure, hôtel, sans-abri, squat…) +40 pts" in page
    assert "Total 253 points" in page
    assert "Votre demande est prioritaire au titre de :" in page
    assert "Orléans 253" in page and "Fleury-les-Aubrais 253" in page
    # The grid takes 30 points per refused adapted offer.
    assert "votre cotation passerait de 253 à 223 points" in page
    assert "soit 30 points de moins" in page
    assert "La cotation de l'EPCI" in page and "Le classement d'un réservataire" in page
    assert mine.nur in page


def test_the_position_among_similar_demandes_uses_the_stored_scores(client, db_session, orleans):
    epci, communes = orleans
    user = UserFactory(role="demandeur")
    demande(epci, communes[:1], requester=user)  # 53 points (13 months, résidence sociale)
    demande(epci, communes[:1], dalo=True)  # 553: ahead
    demande(epci, communes[:1], filed=date(2025, 6, 1))  # 49: behind
    demande(epci, communes[:1], typology="T4", dalo=True)  # another typology: not similar
    demande(epci, communes[1:2], dalo=True)  # another first choice: not similar
    recompute_epci(db_session, db_session.get(Organisation, epci.id), TODAY)
    db_session.commit()
    login(client, user)

    page = text(client.get("/mon-espace/cotation"))

    assert "Ma position 2e sur 3 (classement du 2 mars 2026" in page


def test_before_any_computation_the_position_is_said_to_be_pending(client, db_session, orleans):
    epci, communes = orleans
    user = UserFactory(role="demandeur")
    demande(epci, communes[:1], requester=user)
    db_session.commit()
    login(client, user)

    page = text(client.get("/mon-espace/cotation"))

    assert "Pas encore calculée" in page
    assert "Pas assez d'attributions comparables sur les 12 derniers mois" in page


def test_the_waiting_time_of_similar_allocations_of_the_last_twelve_months(client, db_session,
                                                                          orleans):
    epci, communes = orleans
    user = UserFactory(role="demandeur")
    demande(epci, communes[:1], requester=user)
    answered = TODAY - timedelta(days=30)
    for days in (300, 300, 330, 450, 600):
        housed = demande(epci, communes[:1], filed=answered - timedelta(days=days))
        housed.status = "attribuee"
        logement = LogementFactory(commune=communes[0], typology="T2")
        offre = OffreFactory(logement=logement, flux_status="attribue")
        db_session.add(Attribution(offre_id=offre.id, logement_id=logement.id,
                                   demande_id=housed.id, status="bail_signe",
                                   proposed_on=answered - timedelta(days=5),
                                   answer_due_on=answered + timedelta(days=5),
                                   answered_on=answered))
    db_session.commit()
    login(client, user)

    page = text(client.get("/mon-espace/cotation"))

    # Mean of 396 days and median of 330 days, in months of 365.25 / 12 days.
    assert "13 mois en moyenne, 10,8 mois en médiane" in page
    assert "sur 5 attributions des 12 derniers mois" in page


def test_the_grid_is_public_without_signing_in(client, db_session, orleans):
    epci, _ = orleans

    response = client.get(f"/cotation/{epci.slug}")

    assert response.status_code == 200
    page = text(response)
    assert "La grille de cotation d’Orléans Métropole" in page
    assert "Ménage reconnu prioritaire et urgent (DALO) +500 pts" in page
    assert "Mobilité professionnelle ou rapprochement du travail" in page
    assert "Compte seulement si le justificatif est vérifié" in page
    assert "exemple de démonstration" in page
    assert client.get("/cotation/inconnu").status_code == 404


def test_a_territory_without_grid_says_so(client, db_session):
    epci = OrganisationFactory(epci=True, slug="sans-grille", name="CC du Désert")

    response = client.get(f"/cotation/{epci.slug}")

    assert response.status_code == 404
    assert "Aucune grille de cotation n'est encore publiée pour CC du Désert" in text(response)


def test_without_an_active_demande_the_page_invites_to_file_one(client, db_session):
    login(client, UserFactory(role="demandeur"))

    page = text(client.get("/mon-espace/cotation"))

    assert "Vous n'avez pas de demande active" in page
    assert client.get("/mon-espace/cotation.pdf").status_code == 404


def test_the_pdf_attestation_reads_back_with_the_score(client, db_session, orleans):
    missing = weasyprint_missing()
    if missing:
        pytest.skip(missing)
    from pypdf import PdfReader

    epci, communes = orleans
    user = UserFactory(role="demandeur")
    mine = demande(epci, communes[:2], l441=("sans_logement",), requester=user)
    db_session.commit()
    login(client, user)

    response = client.get("/mon-espace/cotation.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    flat = re.sub(r"\s+", " ", pdf_text)
    assert f"Attestation de cotation — demande n° {mine.nur}" in flat
    assert "253 points" in flat
    assert "la cotation serait de 223 points" in flat


def test_the_cotation_needs_a_requester(client, db_session):
    assert client.get("/mon-espace/cotation").status_code in (302, 401)
    staff = UserFactory(role="bailleur", organisation=OrganisationFactory())
    login(client, staff)
    assert client.get("/mon-espace/cotation").status_code == 403
    assert db_session.scalar(select(Attribution.id)) is None
