"""The demo requester finds documents at each status, a renewal reminder and a cotation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.cotation.models import CotationRun, CotationScore
from app.demandes.models import Demande, Document, Verification
from app.demandes.renewal import renewal_state
from app.demo import generate
from app.demo.loader import load_demo


def test_the_demo_requester_has_documents_a_reminder_and_stored_scores(app, db_session,
                                                                      tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    lines: list[str] = []

    load_demo(demandes=200, logements=150, echo=lines.append)

    requester = db_session.scalar(select(User).where(User.email == "demandeur@demo.example.org"))
    demande = db_session.scalar(select(Demande).where(Demande.requester_id == requester.id))
    statuses = {v.criterion: (v.status, v.reason is not None, len(v.documents))
                for v in db_session.scalars(select(Verification).where(
                    Verification.demande_id == demande.id, Verification.documents.any()))}
    assert statuses == {"rfr_n2": ("verified", False, 1), "current_housing": ("rejected", True, 1),
                        "household": ("declared", False, 1)}
    keys = db_session.scalars(select(Document.storage_key).where(
        Document.demande_id == demande.id)).all()
    assert len(keys) == 3 and all((tmp_path / k[:2] / k).is_file() for k in keys)
    state = renewal_state(demande, generate.DEFAULT_ON)
    assert state.due and state.days_left == 20
    assert db_session.scalar(select(func.count()).select_from(CotationScore).join(
        CotationRun, CotationRun.id == CotationScore.run_id).where(
        CotationScore.demande_id == demande.id, CotationRun.epci_id == demande.epci_id,
        CotationRun.computed_on == generate.DEFAULT_ON)) == 1
    assert any(line.startswith("  portail demandeur : demande") for line in lines)
