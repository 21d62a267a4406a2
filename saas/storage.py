"""Files (uploads, generated PDFs, logos) behind one small interface, on the local disk or in an
S3-compatible bucket (``STORAGE_URL``, see ``saas.storage_backends``).  Nothing else in the product opens
a stored file: every write, read, download and deletion goes through the functions here.

Uploads follow the security facts in DOMAIN.md: an allow-list of types decided by the content's magic
bytes (never the name), a size limit, a pixel limit read from an image's header before any decoding,
PDFs without active content (checks in ``saas.upload_checks``), images stripped of EXIF (GPS) without
decoding them (``saas.image_clean``), generated storage names in a store that is never served, SHA-256
kept, and downloads only through an authorised view that streams the file with
``Content-Disposition: attachment`` and ``nosniff``.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import abort, current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas import image_clean, storage_backends, upload_checks
from saas.storage_backends import LocalStorage, MissingObject, S3Storage
from saas.upload_checks import ALLOWED, EXTENSIONS, UploadRejected, sniff  # noqa: F401  (the upload interface)

KEY_PATTERN = re.compile(r"[0-9a-f]{4}/[0-9a-f]{32}\.[a-z]{3,4}")
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000

__all__ = ["ALLOWED", "EXTENSIONS", "MissingObject", "StoredFile", "UploadRejected", "backend", "check", "discard",
           "download_response", "exists", "keys", "open_object", "put", "put_stream", "read", "remove_on_rollback",
           "safe_display_name", "save_bytes", "save_upload", "sniff", "validate_key", "validate_upload"]


@dataclass(frozen=True)
class StoredFile:
    key: str
    original_name: str
    content_type: str
    size: int
    sha256: str


# -- the store ---------------------------------------------------------------------------------------

def backend(app=None) -> LocalStorage | S3Storage:
    """The application's store, made once from STORAGE_URL (or STORAGE_DIR) and kept with the app."""
    app = app or current_app._get_current_object()
    spec = (app.config.get("STORAGE_URL") or None, str(app.config.get("STORAGE_DIR")))
    cached = app.extensions.get("saas.storage")
    if cached is None or cached[0] != spec:
        cached = app.extensions["saas.storage"] = (spec, storage_backends.from_config(app.config))
    return cached[1]


def validate_key(key: str) -> str:
    """``key`` when it is a key this product makes (so no name can reach outside the store)."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError("invalid storage key")
    return key


def root() -> Path:
    """The folder of a local store (for tools and tests that look at the disk); S3 has none."""
    store = backend()
    if not isinstance(store, LocalStorage):
        raise RuntimeError("the store is not on the local disk")
    store.root.mkdir(parents=True, exist_ok=True)
    return store.root


def new_key(extension: str) -> str:
    return validate_key(f"{secrets.token_hex(2)}/{secrets.token_hex(16)}.{extension}")


def put(key: str, data: bytes) -> None:
    """Store ``data`` under ``key``, replacing what was there (atomically: readers see old or new)."""
    backend().put(validate_key(key), data)


def put_stream(key: str, stream: BinaryIO) -> None:
    backend().put_stream(validate_key(key), stream)


def read(key: str) -> bytes:
    """The stored bytes; raises MissingObject."""
    stream, _size = backend().open(validate_key(key))
    try:
        return stream.read()
    finally:
        stream.close()


def open_object(key: str) -> tuple[BinaryIO, int]:
    """A readable stream of the stored object and its size (the caller closes it); raises MissingObject."""
    return backend().open(validate_key(key))


def exists(key: str) -> bool:
    return backend().exists(validate_key(key))


def discard(key: str) -> None:
    backend().delete(validate_key(key))


def keys(prefix: str = "") -> Iterator[str]:
    """Every key in the store (including any that this product did not make)."""
    return backend().keys(prefix)


def check() -> None:
    """Raise when the store cannot be reached or written (for readiness checks)."""
    backend().check()


# -- uploads -----------------------------------------------------------------------------------------

def safe_display_name(name: str, fallback: str = "fil") -> str:
    """The uploader's file name, without any path and control characters (for display and downloads)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return (name or fallback)[:150]


def max_image_pixels() -> int:
    return int(current_app.config.get("MAX_IMAGE_PIXELS") or DEFAULT_MAX_IMAGE_PIXELS)


def validate_upload(data: bytes, filename: str) -> str:
    """Return the kind of an acceptable upload or raise UploadRejected with the reason."""
    return upload_checks.validate(data, filename, current_app.config["MAX_UPLOAD_BYTES"], max_image_pixels())


def _strip_image_metadata(data: bytes, kind: str) -> bytes:
    """The image without EXIF (GPS position, camera serials), XMP, comments and text chunks.

    No pixel is decoded (``saas.image_clean`` copies the image's own segments), so the work is one pass
    over at most MAX_UPLOAD_BYTES whatever the picture's dimensions, and needs no job.  A JPEG keeps its
    EXIF orientation as a one-tag EXIF block, so a photo taken sideways still shows upright."""
    from PIL import Image

    try:
        if kind == "png":
            return image_clean.clean_png(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:  # the header and the EXIF block only
                orientation = image.getexif().get(0x0112)
        return image_clean.clean_jpeg(data, orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None)
    except Exception as error:  # a broken structure, or Pillow failing on the header: not an image
        raise UploadRejected("Bildet kan ikke leses. Last opp en gyldig PNG- eller JPEG-fil.") from error


def save_upload(session, data: bytes, filename: str, kinds: tuple[str, ...] = tuple(ALLOWED)) -> StoredFile:
    """Validate, clean and store an upload; raise UploadRejected.  The caller writes its database row in
    ``session``; if that transaction rolls back, the file is deleted again."""
    kind = validate_upload(data, filename)
    if kind not in kinds:
        raise UploadRejected("Filtypen er ikke tillatt her. Tillatt: " + ", ".join(k.upper() for k in kinds) + ".")
    if kind in ("png", "jpeg"):
        data = _strip_image_metadata(data, kind)
    stored = save_bytes(data, EXTENSIONS[kind], safe_display_name(filename), ALLOWED[kind])
    remove_on_rollback(session, stored)
    return stored


def save_bytes(data: bytes, extension: str, original_name: str, content_type: str) -> StoredFile:
    """Store ``data`` under a new random key; the caller keeps the returned key on its row."""
    key = new_key(extension)
    backend().put(key, data)
    return StoredFile(key=key, original_name=original_name, content_type=content_type, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest())


def remove_on_rollback(session, stored: StoredFile) -> None:
    """Delete the stored file if the session's transaction rolls back: file and row go together."""
    session.info.setdefault("uploaded_objects", []).append((backend(), validate_key(stored.key)))


@event.listens_for(Session, "after_commit")
def _keep_uploads(session) -> None:
    if session.in_nested_transaction():  # a released savepoint is not the commit
        return
    session.info.pop("uploaded_objects", None)


@event.listens_for(Session, "after_soft_rollback")
def _discard_uploads(session, previous_transaction) -> None:
    if previous_transaction.nested:
        return
    for store, key in session.info.pop("uploaded_objects", []):
        try:
            store.delete(key)
        except Exception:  # the rollback itself must not fail; an orphan file is harmless and logged
            logging.getLogger(__name__).exception("could not delete %s after a rollback", key)


# -- downloads ---------------------------------------------------------------------------------------

def download_response(key: str, download_name: str, content_type: str, inline: bool = False):
    """Stream a stored file as an attachment with nosniff; only authorised views call this, after their
    permission check.  The bytes pass through the application, so S3 needs no public URL.  A file
    that is gone is a 404 (and an error in the log)."""
    store = backend()
    validate_key(key)
    name = safe_display_name(download_name)
    try:
        if isinstance(store, LocalStorage):
            if not store.exists(key):
                raise MissingObject(key)
            response = send_file(store.root / key, mimetype=content_type, as_attachment=not inline, download_name=name, max_age=0)
        else:
            stream, size = store.open(key)  # one GET: no separate existence check
            response = send_file(stream, mimetype=content_type, as_attachment=not inline, download_name=name, max_age=0)
            response.content_length = size
    except MissingObject:
        current_app.logger.error("stored file %s is missing", key)
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
