"""Uploaded files are judged by their content, bounded in size, stored outside the web root."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.uploads import (
    IMAGE_TYPES,
    UploadError,
    delete_stored,
    send_stored,
    sniff,
    store,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def uploads(app, tmp_path):
    previous = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    with app.test_request_context():
        yield tmp_path
    app.config["UPLOAD_FOLDER"] = previous


def upload(data: bytes, name: str, claimed: str = "application/pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=claimed)


@pytest.mark.parametrize(("data", "expected"), [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (b"MZ\x90\x00 executable", None), (b"<html><script>", None), (b"", None),
])
def test_the_type_comes_from_the_first_bytes(data, expected):
    assert sniff(data[:16]) == expected


def test_a_pdf_is_stored_under_a_random_key_outside_the_web_root(uploads):
    stored = store(upload(PDF, "../../avis d'imposition.pdf"))
    assert stored.content_type == "application/pdf" and stored.size == len(PDF)
    assert stored.original_name == "avis d'imposition.pdf"  # no path kept
    path = uploads / stored.key[:2] / stored.key
    assert path.read_bytes() == PDF


def test_a_disguised_file_is_refused_whatever_its_name_and_claimed_type(uploads):
    with pytest.raises(UploadError, match="contenu a été vérifié"):
        store(upload(b"MZ\x90\x00" + b"x" * 100, "bulletin.pdf", "application/pdf"))
    assert not any(uploads.rglob("*"))


def test_only_the_accepted_types_pass(uploads):
    with pytest.raises(UploadError, match="JPEG, PNG"):
        store(upload(PDF, "plan.pdf"), accepted=IMAGE_TYPES)
    assert store(upload(PNG, "plan.png", "image/png"), accepted=IMAGE_TYPES).content_type == \
        "image/png"


def test_an_oversized_file_is_refused_and_nothing_stays_on_disk(uploads):
    with pytest.raises(UploadError, match="trop volumineux"):
        store(upload(PDF + b"0" * 5000, "gros.pdf"), max_bytes=1000)
    assert not any(p.is_file() for p in uploads.rglob("*"))


def test_a_stored_file_is_served_as_an_attachment_with_nosniff_then_deleted(uploads):
    stored = store(upload(PDF, "avis.pdf"))
    response = send_stored(stored.key, stored.content_type, "avis.pdf")
    response.direct_passthrough = False
    assert response.get_data() == PDF
    response.close()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")
    delete_stored(stored.key)
    assert not (uploads / stored.key[:2] / stored.key).exists()


def test_a_forged_key_never_reaches_the_file_system(uploads):
    with pytest.raises(UploadError):
        send_stored("../../etc/passwd" + "0" * 16, "application/pdf", "x.pdf")


def test_files_stored_by_a_request_that_rolls_back_are_deleted(uploads):
    from app.uploads import discard_uncommitted, keep_committed

    kept = store(upload(PDF, "gardé.pdf"))
    keep_committed()  # the request committed: the file belongs to its row
    dropped = store(upload(PDF, "perdu.pdf"))
    discard_uncommitted()  # this one's request rolled back
    assert (uploads / kept.key[:2] / kept.key).exists()
    assert not (uploads / dropped.key[:2] / dropped.key).exists()
