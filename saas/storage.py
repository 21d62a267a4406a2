"""Files (uploads, generated PDFs) behind one small interface.

Uploads follow the security facts in DOMAIN.md: an allow-list of types decided by the content's magic
bytes (never the name), a size limit, images re-encoded without EXIF (GPS), generated storage names in a
folder that is never served, SHA-256 kept, and downloads only through an authorised view that sends
``Content-Disposition: attachment`` and ``nosniff``.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "docx": "docx", "xlsx": "xlsx"}
_NAME_EXT = {"pdf": {"pdf"}, "png": {"png"}, "jpeg": {"jpg", "jpeg"}, "docx": {"docx"}, "xlsx": {"xlsx"}}
# Markers of active content that make a "PDF" a polyglot (HTML or script riding along).
_POLYGLOT_MARKERS = (b"<html", b"<script", b"<!doctype", b"<svg", b"<body", b"<iframe")
# What a re-encoded image keeps of what Pillow read (see _strip_image_metadata).
_KEPT_IMAGE_INFO = ("transparency", "icc_profile")


class UploadRejected(ValueError):
    """The upload is refused; ``str(error)`` is a Norwegian message for the person uploading."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def root() -> Path:
    path = Path(current_app.config["STORAGE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_display_name(name: str, fallback: str = "fil") -> str:
    """The uploader's file name, without any path and control characters (for display and downloads)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return (name or fallback)[:150]


def sniff(data: bytes) -> str | None:
    """The allowed kind of ``data`` by magic bytes, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def validate_upload(data: bytes, filename: str) -> str:
    """Return the kind of an acceptable upload or raise UploadRejected with the reason."""
    raw_name = filename or ""
    if "/" in raw_name or "\\" in raw_name or ".." in raw_name or "\x00" in raw_name:
        raise UploadRejected("Filnavnet inneholder ulovlige tegn (som ../ eller /).")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise UploadRejected(f"Filen er for stor ({len(data) / 1024 / 1024:.1f} MB). Største tillatte størrelse er {limit // (1024 * 1024)} MB.")
    if not data:
        raise UploadRejected("Filen er tom.")
    kind = sniff(data)
    if kind is None:
        raise UploadRejected("Filtypen er ikke tillatt. Last opp PDF, PNG, JPEG, Word (docx) eller Excel (xlsx).")
    extension = raw_name.rsplit(".", 1)[-1].lower() if "." in raw_name else ""
    if extension not in _NAME_EXT[kind]:
        raise UploadRejected(f"Filnavnet (.{extension or '?'}) stemmer ikke med innholdet ({kind.upper()}). Gi filen riktig endelse.")
    if kind == "pdf":
        head = data[:4096].lower() + data[-4096:].lower()
        if any(marker in head for marker in _POLYGLOT_MARKERS) or b"/javascript" in data.lower() or b"/js " in data.lower():
            raise UploadRejected("PDF-filen inneholder aktivt innhold (skript eller HTML) og kan ikke lastes opp.")
    return kind


def _strip_image_metadata(data: bytes, kind: str) -> bytes:
    """Re-encode the image so EXIF (GPS position, camera serials) and other metadata are gone."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the orientation the EXIF asked for
            # Pillow writes some of what it read back out (a JPEG's comment, a PNG's ICC profile): keep only
            # what the picture needs to look the same; comments and XMP can carry a position or a name.
            image.info = {key: value for key, value in image.info.items() if key in _KEPT_IMAGE_INFO}
            if kind == "jpeg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="PNG" if kind == "png" else "JPEG", quality=90, optimize=True)
            return out.getvalue()
    except Exception as error:  # Pillow raises many kinds for a broken image; all mean "not an image"
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
    key = f"{secrets.token_hex(2)}/{secrets.token_hex(16)}.{extension}"
    path = root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return StoredFile(key=key, original_name=original_name, content_type=content_type, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest())


def remove_on_rollback(session, stored: StoredFile) -> None:
    """Delete the stored file if the session's transaction rolls back: file and row go together."""
    session.info.setdefault("uploaded_paths", []).append(str(_path(stored.key)))


@event.listens_for(Session, "after_commit")
def _keep_uploads(session) -> None:
    if session.in_nested_transaction():  # a released savepoint is not the commit
        return
    session.info.pop("uploaded_paths", None)


@event.listens_for(Session, "after_soft_rollback")
def _discard_uploads(session, previous_transaction) -> None:
    if previous_transaction.nested:
        return
    for path in session.info.pop("uploaded_paths", []):
        Path(path).unlink(missing_ok=True)


def discard(key: str) -> None:
    path = _path(key)
    if path.exists():
        path.unlink()


def _path(key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{4}/[0-9a-f]{32}\.[a-z]{3,4}", key):
        raise ValueError("invalid storage key")
    return root() / key


def read(key: str) -> bytes:
    return _path(key).read_bytes()


def exists(key: str) -> bool:
    return _path(key).exists()


def download_response(key: str, download_name: str, content_type: str, inline: bool = False):
    """Send a stored file as an attachment with nosniff; only authorised views call this."""
    response = send_file(_path(key), mimetype=content_type, as_attachment=not inline,
                         download_name=safe_display_name(download_name), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
