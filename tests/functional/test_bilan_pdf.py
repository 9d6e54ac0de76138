"""The bilan annuel and état des lieux PDFs, read back as text: the figures of the known
year of tests/support/bilan.py, French formatting and page numbers."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.factories import UserFactory
from tests.functional.sessions import login
from tests.support.bilan import YEAR, make_year
from tests.support.system import require, weasyprint_missing

require(weasyprint_missing())  # skips the module, saying why, where Pango or HarfBuzz is absent


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def year(db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", f"{YEAR + 1}-01-20")
    return make_year()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def test_the_bailleurs_bilan_pdf_has_the_known_figures(client, year):
    login(client, UserFactory(role="bailleur", organisation=year.bailleur))
    response = client.get(f"/bailleur/bilan/{YEAR}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _flat(_text(response.data))
    assert f"Bilan annuel {YEAR}" in text
    # État: made available 2, taken back 0 (0), allocated 2, leased 2.
    assert "Préfet test 2 0 (0) 2 2" in text
    # Action Logement: 1 made available (O2 taken back and no longer counted), 1, 1.
    assert "Action Logement test 1 1 (1) 1 1" in text
    assert "Total 4 1 (1) 4 4" in text
    # Priority households: État 1 DALO of 2 allocations, 50 %; Action Logement 0 %.
    assert "Préfet test 2 1 0 50 % atteint" in text
    assert "Action Logement test 1 0 0 0 % non atteint" in text
    # Quartiles: threshold 10 000 €, 3 leases outside QPV of which 2 lowest quartile.
    assert "Métropole test 10 000" in text
    assert "€ 3 2 66,7 % atteint 1 1 100 % atteint" in text
    assert "Relogements NPNRU 1" in text
    assert f"Prévision {YEAR + 1}" in text and "À renseigner" in text
    assert "Page 1 / " in text


def test_a_reservataires_bilan_pdf_shows_only_its_line(app, year):
    client = app.test_client()
    login(client, UserFactory(role="reservataire", organisation=year.al))
    response = client.get(f"/reservataire/bilans/{year.bailleur.id}/{YEAR}.pdf")
    assert response.status_code == 200
    text = _flat(_text(response.data))
    assert "POUR ACTION LOGEMENT TEST" in text  # the eyebrow line, in capitals
    assert "Action Logement test 1 1 (1) 1 1" in text
    assert "Préfet test" not in text


def test_the_etat_des_lieux_report_pdf(client, year):
    from app.extensions import db
    from app.flux.models import ReservationStock

    for lg in year.logements[:2]:
        db.session.add(ReservationStock(bailleur_id=year.bailleur.id, logement_id=lg.id,
                                        reservataire_id=year.etat.id))
    db.session.flush()
    login(client, UserFactory(role="bailleur", organisation=year.bailleur))
    text = _flat(_text(client.get("/bailleur/etat-des-lieux/rapport.pdf").data))
    # 2 reserved of 7 dwellings: 28,57 %; the 2025 convention says 25 %.
    assert "Préfet test 2 28,57 %" in text
    assert "25 % -3,57" in text
