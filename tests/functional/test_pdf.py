"""PDFs are real WeasyPrint output, read back as text; they fetch nothing from outside."""

from __future__ import annotations

import io
import logging

import pytest
from pypdf import PdfReader

from app.pdf import html_to_pdf, url_fetcher
from tests.factories import DemandeFactory, UserFactory
from tests.functional.sessions import login
from tests.support.system import require, weasyprint_missing

require(weasyprint_missing())  # skips the module, saying why, where Pango or HarfBuzz is absent


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_requester_downloads_the_summary_of_their_demande(client):
    requester = UserFactory(role="demandeur")
    demande = DemandeFactory(requester_id=requester.id, first_name="Camille", last_name="Martin")
    login(client, requester)
    response = client.get(f"/mon-espace/demandes/{demande.nur}/recapitulatif.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = _text(response.data)
    assert f"Récapitulatif de la demande n° {demande.nur}" in text
    assert "Camille Martin" in text
    assert "15 janvier 2025" in text  # date de dépôt, in French


def test_another_requesters_summary_is_not_found(client):
    owner = UserFactory(role="demandeur")
    demande = DemandeFactory(requester_id=owner.id)
    login(client, UserFactory(role="demandeur"))
    assert client.get(f"/mon-espace/demandes/{demande.nur}/recapitulatif.pdf").status_code == 404


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.org/a.css"])
def test_the_pdf_fetcher_refuses_local_files_and_remote_hosts(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        url_fetcher().fetch(url)


def test_a_template_cannot_pull_a_local_file_into_the_pdf(tmp_path, caplog):
    secret = tmp_path / "secret.css"
    secret.write_text("body::after { content: 'FUITE-DE-DONNEES'; }", encoding="utf-8")
    html = (f'<link rel="stylesheet" href="file://{secret}">'
            f'<object data="file:///etc/hostname"></object><p>Contenu légitime</p>')
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        text = _text(html_to_pdf(html))
    assert "Contenu légitime" in text
    assert "FUITE-DE-DONNEES" not in text
