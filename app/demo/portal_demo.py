"""Demo data of the requester portal: the demo requester's documents and renewal, stored
cotation scores of the territory (so that « ma cotation » shows a position).

- the demo requester's demande comes up for renewal: its last renewal was a year ago less 20
  days, so the home page shows the reminder;
- one supporting document per status: avis d'imposition verified, justificatif de domicile
  rejected with its reason, pièces d'identité declared (small real PDF and PNG files, stored
  through app/uploads.py like any upload); one document, at one of the three statuses, for
  each demande in a dossier (designated, proposed, applied), for the staff screens;
- the territory's cotation computed and stored on the demo date (``flask cotation recompute``).

Deterministic: the same rows for the same demo territory (the storage keys are random, as
for any upload).
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.cotation.services import recompute
from app.demandes.models import Demande, Document, Verification
from app.extensions import db
from app.uploads import store

REQUESTER_EMAIL = "demandeur@demo.example.org"
REMINDER_DAYS_LEFT = 20
# criterion, status, file name, reason of a rejection
DOCUMENTS = (
    ("rfr_n2", "verified", "avis-imposition-2024.pdf", None),
    ("current_housing", "rejected", "attestation-hebergement.png",
     "L'attestation n'est pas signée par la personne qui vous héberge : envoyez-la signée, "
     "avec la copie de sa pièce d'identité."),
    ("household", "declared", "livret-de-famille.pdf", None),
)

DOSSIER_DOCUMENTS = (
    ("current_housing", "declared", "justificatif-domicile.pdf", None),
    ("rfr_n2", "verified", "avis-imposition.pdf", None),
    ("household", "rejected", "piece-identite.png",
     "La pièce d'identité est expirée : envoyez une pièce en cours de validité."),
)


def _pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (hand-written objects, valid cross-reference table)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def _png(width: int = 120, height: int = 80) -> bytes:
    """A grey PNG image (a stand-in for a photographed document)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _add_months(day: date, months: int) -> date:
    from app.demandes.renewal import add_months

    return add_months(day, months)


def load_portal_demo(on: date) -> str:
    """Documents and renewal of the demo requester, stored cotation of the territory."""
    requester = db.session.scalar(select(User).where(User.email == REQUESTER_EMAIL))
    demande = db.session.scalar(select(Demande).where(
        Demande.requester_id == requester.id, Demande.status == "active")) if requester else None
    if demande is None:
        return "  portail demandeur : pas de demande de démonstration"
    # Expires in REMINDER_DAYS_LEFT days: the reminder shows from one month before.
    renewed = _add_months(on + timedelta(days=REMINDER_DAYS_LEFT), -12)
    if renewed >= demande.filed_on:
        demande.renewed_on = renewed
    else:  # filed less than a year ago: the filing date sets the anniversary
        demande.filed_on = renewed
    uploaded = datetime.combine(on - timedelta(days=10), datetime.min.time(), tzinfo=UTC)
    for criterion, status, name, reason in DOCUMENTS:
        content = _pdf(name) if name.endswith(".pdf") else _png()
        stored = store(io.BytesIO(content), filename=name)
        verification = db.session.get(Verification, (demande.id, criterion))
        if verification is None:
            verification = Verification(demande_id=demande.id, criterion=criterion)
            db.session.add(verification)
        verification.status, verification.reason = status, reason
        if status != "declared":
            verification.verified_at = uploaded + timedelta(days=3)
        verification.documents.append(Document(
            demande_id=demande.id, criterion=criterion, storage_key=stored.key,
            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            original_name=stored.original_name, uploaded_at=uploaded,
            uploaded_by_id=requester.id))
    db.session.flush()
    others = _documents_in_dossiers(demande.id, uploaded)
    reports = recompute(db.session, on)
    scored = sum(r.scored for r in reports)
    return (f"  portail demandeur : demande {demande.nur} à renouveler avant le "
            f"{_add_months(demande.renewed_on or demande.filed_on, 12).isoformat()}, "
            f"{len(DOCUMENTS)} justificatifs (et {others} pour les demandes des dossiers) ; "
            f"cotation enregistrée pour {scored} demandes")


def _documents_in_dossiers(except_id: int, uploaded: datetime) -> int:
    """One document for each demande in a dossier (designated, proposed, applied), so that the
    staff screens show real documents at every status."""
    from app.attribution.models import Attribution, Candidature, Designation

    ids = sorted((set(db.session.scalars(select(Designation.demande_id)))
                  | set(db.session.scalars(select(Attribution.demande_id).where(
                      Attribution.status.in_(("proposee", "acceptee")))))
                  | set(db.session.scalars(select(Candidature.demande_id)))) - {except_id})
    for i, demande_id in enumerate(ids):
        criterion, status, name, reason = DOSSIER_DOCUMENTS[i % len(DOSSIER_DOCUMENTS)]
        content = _pdf(name) if name.endswith(".pdf") else _png()
        stored = store(io.BytesIO(content), filename=name)
        verification = db.session.get(Verification, (demande_id, criterion))
        if verification is None:
            verification = Verification(demande_id=demande_id, criterion=criterion)
            db.session.add(verification)
        verification.status, verification.reason = status, reason
        verification.documents.append(Document(
            demande_id=demande_id, criterion=criterion, storage_key=stored.key,
            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            original_name=stored.original_name, uploaded_at=uploaded))
    db.session.flush()
    return len(ids)
