"""The bailleur's parc and vacancies: import, edit (version conflicts), retire, exclude,
declare a departure, publish with a photo and a plan, media access, applicants, isolation."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select, text

from app.attribution.models import Candidature
from app.audit.models import AuditEvent
from app.demo.vacancies_demo import png_plan
from app.flux.models import FluxEvent, Offre, OffreMedia
from app.patrimoine.models import Logement
from app.patrimoine.services import EditConflict, update_logement
from tests.factories import (
    CommuneFactory,
    DemandeFactory,
    LogementFactory,
    OffreFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.functional.sessions import login

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
TODAY = "2026-03-02"
# A real one-page PDF (header, catalog, page, cross-reference table, trailer).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
       b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")


@pytest.fixture
def setup(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    bailleur = OrganisationFactory(name="Toits de la Bionne", slug="toits")
    commune = CommuneFactory(insee="45234", name="Orléans")
    user = UserFactory(role="bailleur", organisation=bailleur)
    logement = LogementFactory(bailleur=bailleur, commune=commune, ref="TB-001")
    login(client, user)
    return {"bailleur": bailleur, "commune": commune, "user": user, "logement": logement}


def token(client, url="/compte/mot-de-passe") -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def post(client, url, data, **kwargs):
    return client.post(url, data={**data, "csrf_token": token(client)}, **kwargs)


# --------------------------------------------------------------------------- import

GOOD_CSV = (
    "id,commune,zone,typology,financing,rent,surface,floor,lift\n"
    "IMP-1,45234,autres_regions,T2,PLUS,380.50,48,1,oui\n"
    "IMP-2,45234,autres_regions,T4,PLAI,455,81.5,0,non\n"
)


def upload_csv(client, content: str):
    return post(client, "/bailleur/logements/import",
                {"file": (io.BytesIO(content.encode()), "logements.csv")},
                content_type="multipart/form-data")


def test_importing_a_good_file_adds_every_logement(setup, client, db_session):
    response = upload_csv(client, GOOD_CSV)
    assert response.status_code == 302
    refs = set(db_session.scalars(select(Logement.ref).where(
        Logement.bailleur_id == setup["bailleur"].id)))
    assert refs == {"TB-001", "IMP-1", "IMP-2"}


def test_a_file_with_bad_rows_reports_each_line_and_imports_nothing(setup, client, db_session):
    content = GOOD_CSV + (
        "IMP-3,99999,autres_regions,T3,PLUS,400\n"  # line 4: unknown commune
        "IMP-4,45234,autres_regions,T9,PLUS,400\n"  # line 5: unknown typology
        "IMP-1,45234,autres_regions,T2,PLUS,380\n"  # line 6: duplicate of line 2
        "IMP-5,45234,autres_regions,T2,PLUS,380,0\n"  # line 7: surface 0
    )
    response = upload_csv(client, content)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Rien n&#39;a été importé" in page or "Rien n'a été importé" in page
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td class="mono">([^<]*)</td>', page)
    assert rows == [("4", "commune"), ("5", "typology"), ("6", "id"), ("7", "surface")]
    assert db_session.scalar(select(Logement.id).where(Logement.ref.like("IMP-%"))) is None


def test_a_row_of_another_bailleur_is_refused(setup, client, db_session):
    OrganisationFactory(slug="autre")
    response = upload_csv(client, "id,bailleur,commune,zone,typology,financing,rent\n"
                                  "X-1,autre,45234,autres_regions,T2,PLUS,380\n")
    assert response.status_code == 422
    assert "ne peut contenir que les logements de Toits de la Bionne" in \
        response.get_data(as_text=True)


def test_a_file_that_is_not_utf8_or_missing_is_refused_next_to_the_field(setup, client):
    response = post(client, "/bailleur/logements/import",
                    {"file": (io.BytesIO(b"id\n\xff\xfe\x00"), "x.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    assert "UTF-8" in response.get_data(as_text=True)
    response = post(client, "/bailleur/logements/import", {})
    assert response.status_code == 422
    assert "Choisissez un fichier à importer" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- edit and conflicts


def edit_form(logement, **changes):
    data = {"address": "3 rue Neuve", "typology": "T3", "rooms": "3", "surface": "64,5",
            "floor": "2", "financing": "PLUS", "rent": "412,30", "charges": "95",
            "construction_year": "1998", "version": str(logement.version)}
    data.update(changes)
    return data


def test_an_edit_is_saved_and_bumps_the_version(setup, client, db_session):
    logement = setup["logement"]
    url = f"/bailleur/logements/{logement.id}/modifier"
    assert client.get(url).status_code == 200

    response = post(client, url, edit_form(logement, rent="430"))

    assert response.status_code == 302
    db_session.refresh(logement)
    assert logement.rent == 430 and logement.address == "3 rue Neuve"
    assert logement.version == 2


def test_the_second_of_two_concurrent_edits_gets_a_conflict_and_keeps_its_input(
        setup, client, db_session):
    logement = setup["logement"]
    url = f"/bailleur/logements/{logement.id}/modifier"
    seen = edit_form(logement)  # both agents opened the form at version 1
    assert post(client, url, {**seen, "rent": "450"}).status_code == 302

    response = post(client, url, {**seen, "rent": "499", "address": "Mon adresse à moi"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "modifié par quelqu&#39;un d&#39;autre" in page or "modifié par quelqu'un d'autre" in page
    assert 'value="Mon adresse à moi"' in page and 'value="499"' in page  # nothing lost
    assert "Valeur enregistrée entre-temps" in page and "450" in page
    db_session.refresh(logement)
    assert logement.rent == 450 and logement.version == 2
    # Saving again from the re-displayed form (which now carries version 2) is deliberate.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert version == "2"
    assert post(client, url, {**seen, "rent": "499", "version": version}).status_code == 302
    db_session.refresh(logement)
    assert logement.rent == 499


def test_a_write_racing_between_read_and_save_is_a_conflict(setup, db_session):
    logement = setup["logement"]
    # Another transaction's committed edit, unseen by this session's copy (version 1).
    db_session.execute(text("UPDATE logements SET rent = 500, version = version + 1 "
                            "WHERE id = :id"), {"id": logement.id})
    with pytest.raises(EditConflict) as caught:
        update_logement(logement, {"rent": 410.0}, expected_version=1)
    assert caught.value.logement.rent == 500 and caught.value.logement.version == 2


def test_bad_edits_are_refused_next_to_their_field(setup, client):
    logement = setup["logement"]
    url = f"/bailleur/logements/{logement.id}/modifier"
    response = post(client, url, edit_form(logement, floor="-9", rent="", rooms="0"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Le formulaire contient" in page and "Ce champ est obligatoire." in page
    assert "étage en chiffres" in page
    # A value the exchange format refuses is reported next to its field too.
    response = post(client, url, edit_form(logement, rooms="0"))
    assert response.status_code == 422
    assert "Au moins une pièce, reçu 0." in response.get_data(as_text=True)


# --------------------------------------------------------------------------- retire and exclude


def test_exclude_then_declare_records_a_hors_flux_vacancy(setup, client, db_session):
    logement = setup["logement"]
    response = post(client, f"/bailleur/logements/{logement.id}/exclusion",
                    {"reason": "vente", "version": "1"})
    assert response.status_code == 302
    db_session.refresh(logement)
    assert logement.hors_flux_reason == "vente"

    response = post(client, f"/bailleur/logements/{logement.id}/vacance",
                    {"notice_on": "15/02/2026", "available_on": "15/04/2026"})

    assert response.status_code == 302
    offre = db_session.scalar(select(Offre).where(Offre.logement_id == logement.id))
    assert offre.flux_status == "hors_flux" and offre.notice_on == date(2026, 2, 15)
    events = db_session.scalars(select(FluxEvent).where(FluxEvent.offre_id == offre.id)).all()
    assert [(e.kind, e.reservataire_id, e.details) for e in events] == \
        [("hors_flux", None, {"reason": "vente"})]


def test_retire_is_refused_while_an_offer_is_open_then_accepted(setup, client, db_session):
    logement = setup["logement"]
    offre = OffreFactory(logement=logement, flux_status="a_orienter")
    url = f"/bailleur/logements/{logement.id}/sortie"
    response = post(client, url, {"reason": "vendu", "retired_on": "01/03/2026", "version": "1"})
    assert response.status_code == 422
    assert "offre en cours" in response.get_data(as_text=True)

    offre.flux_status = "retire"
    db_session.commit()
    response = post(client, url, {"reason": "vendu", "retired_on": "01/03/2026", "version": "1"})
    assert response.status_code == 302
    db_session.refresh(logement)
    assert logement.retired_on == date(2026, 3, 1) and logement.retired_reason == "vendu"
    # No vacancy on a dwelling out of the parc.
    response = post(client, f"/bailleur/logements/{logement.id}/vacance",
                    {"notice_on": "15/02/2026", "available_on": "15/04/2026"})
    assert response.status_code == 422


# --------------------------------------------------------------------------- declare a vacancy


@pytest.mark.parametrize(("notice", "available", "message"), [
    ("15/03/2026", "15/04/2026", "ne peut pas être dans le futur"),
    ("15/02/2026", "10/02/2026", "postérieure à la date du congé"),
    ("15/02/2026", "15/02/2026", "postérieure à la date du congé"),
    ("15/02/2026", "15/06/2027", "plus d'un an"),
    ("31/02/2026", "15/04/2026", "Date invalide"),
    ("", "15/04/2026", "Indiquez la date du congé."),
])
def test_vacancy_dates_are_checked(setup, client, db_session, notice, available, message):
    logement = setup["logement"]
    response = post(client, f"/bailleur/logements/{logement.id}/vacance",
                    {"notice_on": notice, "available_on": available})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert db_session.scalar(select(Offre.id).where(Offre.logement_id == logement.id)) is None


def test_a_declared_vacancy_is_to_orient_and_appears_in_the_list(setup, client, db_session):
    logement = setup["logement"]
    response = post(client, f"/bailleur/logements/{logement.id}/vacance",
                    {"notice_on": "15/02/2026", "available_on": "15/04/2026"})
    assert response.status_code == 302
    offre = db_session.scalar(select(Offre).where(Offre.logement_id == logement.id))
    assert offre.flux_status == "a_orienter" and offre.declared_on == date(2026, 3, 2)
    assert db_session.scalar(select(FluxEvent.id).where(FluxEvent.offre_id == offre.id)) is None
    listing = client.get("/bailleur/vacances?statut=a_orienter").get_data(as_text=True)
    assert offre.ref in listing
    assert offre.ref not in client.get("/bailleur/vacances?statut=oriente").get_data(as_text=True)
    page = client.get(f"/bailleur/offres/{offre.ref}").get_data(as_text=True)
    assert "Orienter cette vacance" in page
    # A second departure while this one is open is refused.
    response = post(client, f"/bailleur/logements/{logement.id}/vacance",
                    {"notice_on": "16/02/2026", "available_on": "16/04/2026"})
    assert response.status_code == 422 and "déjà une vacance en cours" in \
        response.get_data(as_text=True)


# --------------------------------------------------------------------------- publish and media


def add_file(client, offre, kind, content, name, caption="Plan du logement"):
    return post(client, f"/bailleur/offres/{offre.ref}/medias",
                {"kind": kind, "caption": caption, "file": (io.BytesIO(content), name)},
                content_type="multipart/form-data")


def test_publish_with_a_photo_and_a_plan(setup, client, db_session):
    offre = OffreFactory(logement=setup["logement"])
    url = f"/bailleur/offres/{offre.ref}/publier"
    assert post(client, url, {"description": "", "action": "publish"}).status_code == 422
    assert not offre.is_published

    response = post(client, url, {"description": "T3 lumineux, balcon plein sud",
                                  "quartier": "La Source", "action": "publish"})
    assert response.status_code == 302
    db_session.refresh(offre)
    assert offre.is_published and offre.published_at is not None
    assert offre.quartier == "La Source"

    assert add_file(client, offre, "photo", png_plan(seed=1), "sejour.png",
                    caption="Séjour avec balcon").status_code == 302
    assert add_file(client, offre, "plan", PDF, "plan.pdf").status_code == 302
    media = db_session.scalars(select(OffreMedia).where(OffreMedia.offre_id == offre.id)
                               .order_by(OffreMedia.id)).all()
    assert [(m.kind, m.content_type, m.caption) for m in media] == [
        ("photo", "image/png", "Séjour avec balcon"),
        ("plan", "application/pdf", "Plan du logement")]
    page = client.get(url).get_data(as_text=True)
    assert 'alt="Séjour avec balcon"' in page


@pytest.mark.parametrize(("kind", "content", "name", "caption", "message"), [
    ("photo", b"MZ\x90\x00 not an image", "photo.png", "Séjour", "pas un JPEG, PNG valide"),
    ("photo", PDF, "plan.pdf", "Séjour", "pas un JPEG, PNG valide"),  # a PDF is no photo
    ("plan", png_plan(), "plan.png", "   ", "Décrivez ce que montre le fichier"),
], ids=["disguised-executable", "pdf-as-photo", "blank-caption"])
def test_refused_uploads_store_nothing(setup, client, db_session, kind, content, name,
                                       caption, message):
    offre = OffreFactory(logement=setup["logement"])
    response = add_file(client, offre, kind, content, name, caption=caption)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(OffreMedia.id)) is None


def test_an_oversized_upload_is_refused(app, setup, client, db_session, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2000)
    offre = OffreFactory(logement=setup["logement"])
    big = png_plan(width=400, height=400, seed=3) + b"\x00" * 3000
    response = add_file(client, offre, "photo", big, "grande.png")
    assert response.status_code == 422
    assert "trop volumineux" in response.get_data(as_text=True)
    assert db_session.scalar(select(OffreMedia.id)) is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def status_of(client, url) -> int:
    response = client.get(url)
    response.close()  # a served file holds its handle until closed
    return response.status_code


def test_media_are_served_only_to_those_who_may_see_the_offer(app, setup, client, db_session):
    offre = OffreFactory(logement=setup["logement"])
    assert add_file(client, offre, "plan", png_plan(seed=2), "plan.png").status_code == 302
    media = db_session.scalar(select(OffreMedia))
    url = f"/offres/{offre.ref}/medias/{media.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == png_plan(seed=2)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "inline" in response.headers["Content-Disposition"]
    response.close()

    requester, other_bailleur = app.test_client(), app.test_client()
    login(requester, UserFactory(role="demandeur"))
    login(other_bailleur, UserFactory(role="bailleur", organisation=OrganisationFactory()))
    assert status_of(requester, url) == 404  # not published yet
    assert status_of(other_bailleur, url) == 404
    assert status_of(app.test_client(), url) in (302, 401)  # anonymous: sign in first

    offre.is_published = True
    db_session.commit()
    assert status_of(requester, url) == 200
    assert status_of(other_bailleur, url) == 404
    assert status_of(requester, f"/offres/OTHER-REF/medias/{media.id}") == 404


# --------------------------------------------------------------------------- applicants


def test_the_offer_page_lists_applicants_with_verdict_and_cotation_audited(
        setup, client, db_session):
    offre = OffreFactory(logement=setup["logement"], is_published=True)
    epci = OrganisationFactory(epci=True)
    demande = DemandeFactory(epci=epci, wishes=[setup["commune"]], first_name="Inès",
                             last_name="Dupré")
    db_session.add(Candidature(offre_id=offre.id, demande_id=demande.id))
    db_session.commit()

    page = client.get(f"/bailleur/offres/{offre.ref}").get_data(as_text=True)

    assert demande.nur in page
    assert "Candidatures (1)" in page
    assert re.search(r"Éligible|Non éligible|Non évaluée", page)
    reads = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "demande.read", AuditEvent.entity_id == demande.nur)).all()
    assert len(reads) == 1 and reads[0].details["offre"] == offre.ref


# --------------------------------------------------------------------------- isolation


def test_another_bailleurs_logement_and_offer_answer_404(setup, client, db_session):
    foreign = LogementFactory(ref="OTHER-9")
    offre = OffreFactory(logement=foreign)
    for url in (f"/bailleur/logements/{foreign.id}/modifier",
                f"/bailleur/logements/{foreign.id}/sortie",
                f"/bailleur/logements/{foreign.id}/exclusion",
                f"/bailleur/logements/{foreign.id}/vacance",
                f"/bailleur/offres/{offre.ref}", f"/bailleur/offres/{offre.ref}/publier"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/bailleur/logements/{foreign.id}/modifier",
                edit_form(foreign, rent="1")).status_code == 404
    assert post(client, f"/bailleur/offres/{offre.ref}/publier",
                {"description": "x", "action": "publish"}).status_code == 404
    db_session.refresh(foreign)
    db_session.refresh(offre)
    assert foreign.rent != 1 and not offre.is_published
    assert offre.ref not in client.get("/bailleur/vacances").get_data(as_text=True)


def test_other_roles_cannot_use_the_bailleur_screens(app, setup, db_session):
    requester = app.test_client()
    login(requester, UserFactory(role="demandeur"))
    assert requester.get("/bailleur/vacances").status_code == 403
    assert requester.get("/bailleur/logements/import").status_code == 403
