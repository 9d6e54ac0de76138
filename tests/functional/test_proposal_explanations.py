"""The engine's proposals on the dossier screens: each candidate's explanation in French on the
réservataire's dossier and on the CAL's, the reason when fewer than three, the candidates'
supporting documents with their status and a link the CAL member may open."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage

from app.attribution import cal, designation
from app.demandes.documents import set_status, upload_document
from app.extensions import db
from tests.factories import LogementFactory, OffreFactory, OrganisationFactory
from tests.functional.sessions import login
from tests.support.dossiers import TODAY, territory

PDF = b"%PDF-1.4\n" + b"0" * 100
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
FRENCH_EXPLANATION = (
    "Origine", "Demande du vivier : elle souhaite la commune du logement",
    "Éligibilité", "pour un plafond de", "Éligible au logement : toutes les conditions sont "
    "remplies", "2 personnes pour un T3 (de 2 à 4 personnes) : typologie adaptée",
    "Taux d'effort : 22,9\u00a0%", "Cotation pour la commune du logement :",
)


@pytest.fixture
def today(app):
    app.config["PLATFORM_TODAY"] = TODAY.isoformat()
    yield TODAY
    app.config["PLATFORM_TODAY"] = None


def test_reservataire_dossier_explains_each_candidate_in_french(client, today):
    t = territory(n_demandes=3)
    login(client, t.reservataire_user)
    raw = client.get(f"/reservataire/logements/{t.offre.ref}").get_data(as_text=True)
    page = html.unescape(raw)
    proposal = designation.current_proposal(t.offre)
    assert len(proposal.candidates) == 3
    for text in FRENCH_EXPLANATION:
        assert text in page, text
    for c in proposal.candidates:
        assert f'id="explication-{c.id}"' in page
    assert '"eligibility"' not in page and "&#34;" not in raw  # no raw JSON
    assert "Moins de trois candidats proposés" not in page


def test_reservataire_dossier_says_why_fewer_than_three(client, today):
    t = territory(n_demandes=1)
    login(client, t.reservataire_user)
    page = html.unescape(client.get(f"/reservataire/logements/{t.offre.ref}").get_data(
        as_text=True))
    assert "Moins de trois candidats proposés" in page
    assert ("Un seul candidat éligible au lieu de 3 (CCH R.441-3 : la CAL examine au moins "
            "trois demandes par logement, sauf insuffisance de candidats) ; aucune candidature "
            "reçue ; vivier : 1 demande éligible parmi les 1 qui souhaitent la commune 45234."
            ) in page
    assert designation.current_proposal(t.offre).fewer_than_three_reason.startswith(
        "Un seul candidat éligible")


def test_cal_dossier_shows_explanations_and_documents(app, client, today, tmp_path,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    t = territory(n_demandes=2)
    proposal = designation.working_list(t.offre, actor=t.reservataire_user, on=TODAY)
    designation.designate(t.offre, version=proposal.id, actor=t.reservataire_user, on=TODAY,
                          exception="candidats_insuffisants")
    first = proposal.candidates[0]
    demande = db.session.get(type(t.demandes[0]), first.demande_id)
    requester = next(u for u in t.requesters if u.id == demande.requester_id)
    document = upload_document(requester, demande, "rfr_n2",
                               FileStorage(io.BytesIO(PDF), filename="avis-2024.pdf"))
    set_status(t.cal_user, demande, "rfr_n2", "verified", None)
    session = cal.create_session(t.bailleur.id, TODAY, "Siège")
    cal.add_dossier(session, t.offre, actor=t.cal_user)
    db.session.commit()

    login(client, t.cal_user)
    page = html.unescape(client.get(f"/cal/sessions/{session.id}").get_data(as_text=True))
    for text in FRENCH_EXPLANATION:
        assert text in page, text
    assert "Proposition du moteur : 2 candidats éligibles seulement au lieu de 3" in page
    assert "Exception (moins de trois candidats) : Nombre insuffisant de candidats" in page
    link = f"/cal/demandes/{demande.nur}/justificatifs/{document.id}"
    assert f'href="{link}"' in page and "avis-2024.pdf" in page
    assert "Avis d'imposition — Vérifié" in page
    assert "aucun justificatif envoyé" in page  # the second candidate sent nothing
    got = client.get(link)
    try:
        assert got.status_code == 200 and got.data == PDF
    finally:
        got.close()


def test_reservataire_proposes_for_all_its_dwellings_at_once(client, today):
    t = territory(n_demandes=4)
    other = OffreFactory(ref="OFF-T-0002", logement=LogementFactory(
        bailleur=t.bailleur, commune=t.commune, typology="T3", rent=400.0, charges=80.0),
        flux_status="oriente", reservataire=t.reservataire, convention_id=t.convention.id,
        designation_deadline=date(2026, 12, 22))
    elsewhere = OffreFactory(ref="OFF-T-0003", logement=LogementFactory(
        bailleur=t.bailleur, commune=t.commune, typology="T3"), flux_status="oriente",
        reservataire=OrganisationFactory(reservataire=True), designation_deadline=TODAY)
    db.session.commit()
    login(client, t.reservataire_user)
    page = client.get("/reservataire/logements").get_data(as_text=True)
    assert "Proposer pour tous mes logements" in page
    token = TOKEN.search(page).group(1)
    done = client.post("/reservataire/logements/proposer", data={"csrf_token": token},
                       follow_redirects=True)
    assert done.status_code == 200
    assert ("Candidats proposés pour 2 logement(s) ; 2 avec moins de trois candidats"
            in html.unescape(done.get_data(as_text=True)))
    lists = [designation.current_proposal(o) for o in (t.offre, other)]
    chosen = [c.demande_id for p in lists for c in p.candidates]
    assert len(chosen) == 4 and len(set(chosen)) == 4
    assert designation.current_proposal(elsewhere) is None  # another réservataire's dwelling
