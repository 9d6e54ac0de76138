"""Uploaded files: supporting documents of a demande, photos and plans of an offer.

A file is accepted only as PDF, JPEG or PNG, judged by its content (its first bytes), never by
its name or by the type the browser claims; it must fit ``UPLOAD_MAX_BYTES``. It is stored
outside the web root under a random key, and served only by views that have checked who may
see it (``send_stored``), as an attachment or inline with ``nosniff``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import abort, current_app, g, has_request_context, send_file
from werkzeug.datastructures import FileStorage

from matching import fr

# Content types by their signature (the first bytes of the file).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
IMAGE_TYPES = ("image/jpeg", "image/png")
DOCUMENT_TYPES = ("application/pdf", *IMAGE_TYPES)
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
_CHUNK = 64 * 1024
_KEY_LENGTH = 32  # hex characters of a storage key


class UploadError(ValueError):
    """A refused file, with a French message for the person who sent it."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is none we accept."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _path(key: str) -> Path:
    if len(key) != _KEY_LENGTH or any(c not in "0123456789abcdef" for c in key):
        raise UploadError("Référence de fichier invalide.")
    return _folder() / key[:2] / key


def _clean_name(name: str | None) -> str:
    """The name shown back to people: the last path part, printable, at most 120 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:120] or "document"


def store(upload: FileStorage | BinaryIO, *, accepted: tuple[str, ...] = DOCUMENT_TYPES,
          max_bytes: int | None = None, filename: str | None = None) -> StoredFile:
    """Check and store an uploaded file; UploadError (nothing written) when it is refused."""
    limit = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    stream = upload.stream if isinstance(upload, FileStorage) else upload
    name = _clean_name(filename or getattr(upload, "filename", None))
    head = stream.read(16)
    content_type = sniff(head)
    if content_type is None or content_type not in accepted:
        kinds = ", ".join(TYPE_LABELS[t] for t in accepted)
        raise UploadError(
            f"Ce fichier n'est pas un {kinds} valide (son contenu a été vérifié, pas seulement "
            "son nom). Enregistrez-le dans l'un de ces formats et envoyez-le à nouveau."
        )
    key = secrets.token_hex(_KEY_LENGTH // 2)
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(head)
    size = len(head)
    try:
        with open(path, "xb") as out:
            out.write(head)
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadError(
                        f"Ce fichier est trop volumineux : {fr.decimal(limit / 1024 / 1024, 1)} Mo "
                        "au plus. Réduisez sa taille (par exemple en le numérisant en noir et "
                        "blanc) et envoyez-le à nouveau."
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if has_request_context():
        # Forget the file if the request's unit of work rolls back (app.boundary).
        g.setdefault("stored_upload_keys", []).append(key)
    return StoredFile(key, content_type, size, digest.hexdigest(), name)


def discard_uncommitted() -> None:
    """Delete the files stored during a request whose changes were rolled back: no row will
    ever point at them."""
    for key in g.pop("stored_upload_keys", []):
        delete_stored(key)
    g.pop("deleted_upload_keys", None)  # their rows stay: so do the files


def delete_after_commit(key: str) -> None:
    """Remove a stored file once the request that deleted its row has committed (a failed
    commit keeps both the row and its file); outside a request, remove it now."""
    if has_request_context():
        g.setdefault("deleted_upload_keys", []).append(key)
    else:
        delete_stored(key)


def keep_committed() -> None:
    """The request committed: its stored files now belong to their rows, and the files of
    rows it deleted go."""
    g.pop("stored_upload_keys", None)
    for key in g.pop("deleted_upload_keys", []):
        delete_stored(key)


def delete_stored(key: str) -> None:
    """Remove a stored file (retention purge, a replaced document)."""
    _path(key).unlink(missing_ok=True)


def send_stored(key: str, content_type: str, download_name: str, *, inline: bool = False):
    """The response serving a stored file; the caller has checked the user may see it."""
    path = _path(key)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=not inline,
                         download_name=download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
