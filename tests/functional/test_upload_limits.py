"""Uploads that cannot exhaust a worker: an image's pixel count is judged from its header before any
decoding, and a PDF with active content is refused however its names are spelled or hidden."""
from __future__ import annotations

import io
import struct
import time
import tracemalloc
import warnings
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from saas import upload_checks
from saas.auth import create_api_token
from saas.hms.models import Evidence
from saas.tenancy import bind_tenant, bound_tenant
from saas.upload_checks import UploadRejected
from tests.conftest import login

MB = 1024 * 1024


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 11_000, height: int = 11_000) -> bytes:
    """A valid 1-bit PNG of width × height white pixels, made row block by row block (cheap to build,
    ~120 MB once decoded by Pillow, 360 MB as RGB)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    block, idat = row * 500, []
    for _ in range(height // 500):
        idat.append(compressor.compress(block))
    idat.append(compressor.compress(row * (height % 500)))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(idat)) + _chunk(b"IEND", b"")


def bomb_jpeg(width: int = 11_000, height: int = 11_000) -> bytes:
    """A small real JPEG whose frame header claims width × height."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    at = data.index(b"\xff\xc0")  # the baseline frame header: length, precision, height, width
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _rss_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Peak:
    """Wall time and peak memory growth of this process inside the block: the resident set (Linux's VmHWM,
    reset at the start so earlier peaks don't hide this one) and, with ``python=True``, Python's own
    allocations (tracemalloc, which slows Python down, so not while timing)."""

    def __init__(self, python: bool = False):
        self.python = python
        self.python_bytes = 0

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets VmHWM to the current RSS
            self.rss_before = _rss_kb("VmRSS")
        except OSError:
            self.rss_before = None
        if self.python:
            tracemalloc.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        if self.python:
            self.python_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        peak = _rss_kb("VmHWM")
        self.rss_growth_bytes = (peak - self.rss_before) * 1024 if peak is not None and self.rss_before is not None else 0


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


def evidence_count(db) -> int:
    bind_tenant(db, bound_tenant(db))
    return db.scalar(select(func.count(Evidence.id)))


def post_file(client, url: str, data: bytes, name: str):
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


# -- images ------------------------------------------------------------------------------------------

def test_the_11000_by_11000_png_from_a_client_contact_is_refused_quickly_with_memory_bounded(app, client, db, a):
    data = bomb_png()
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow itself must see the attack's real size here
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as check:  # the header says what the attack says; nothing is decoded here
            assert len(data) < 1 * MB and check.size == (11_000, 11_000)
    login(client, a["client"])
    rows_before = evidence_count(db)
    url = f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}"
    assert post_file(client, url, b"", "tom.png").status_code == 422  # the error page's template is compiled
    with Peak() as peak:
        response = post_file(client, url, data, "skjermbilde.png")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in body
    assert "Bildet er for stort (11\u00a0000 × 11\u00a0000 piksler)" in body and "40 megapiksler" in body
    assert peak.seconds < 2.0, peak.seconds
    # Decoding would take ~120 MB (1 byte per pixel); the request body and the header are all that is read.
    assert peak.rss_growth_bytes < 48 * MB, peak.rss_growth_bytes
    with Peak(python=True) as python_peak:
        assert post_file(client, url, data, "skjermbilde.png").status_code == 422
    assert python_peak.python_bytes < 24 * MB, python_peak.python_bytes
    assert evidence_count(db) == rows_before


def test_a_jpeg_whose_header_claims_11000_by_11000_is_refused_through_the_api_naming_the_field(client, db, a):
    _row, token = create_api_token(db, a["client"], "kunde")
    db.commit()
    with Peak() as peak:
        response = client.post("/api/v1/t/tenant-a/evidence", headers={"Authorization": f"Bearer {token}"},
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(bomb_jpeg()), "foto.jpg"), "target_type": "action_item",
                                     "target_id": str(a["action"].id)})
    assert response.status_code == 422
    assert "Bildet er for stort" in response.get_json()["fields"]["file"][0]
    assert peak.seconds < 2.0 and peak.rss_growth_bytes < 48 * MB


def test_the_pixel_limit_is_a_setting(app, client, db, a, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 100 * 100)
    login(client, a["client"])
    url = f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}"
    small, large = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (100, 100)).save(small, format="PNG")
    Image.new("RGB", (101, 100)).save(large, format="PNG")
    assert post_file(client, url, small.getvalue(), "liten.png").status_code == 302
    refused = post_file(client, url, large.getvalue(), "stor.png")
    assert refused.status_code == 422 and "101 × 100 piksler" in refused.get_data(as_text=True)


def test_a_logo_bomb_is_refused_too(app, client, db, a):
    login(client, a["admin"])
    response = client.post("/t/tenant-a/settings/branding", data={"kind": "logo", "file": (io.BytesIO(bomb_png()), "logo.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Bildet er for stort" in response.get_data(as_text=True)


# -- PDFs --------------------------------------------------------------------------------------------

def pdf(*objects: bytes) -> bytes:
    body = b"%PDF-1.7\n"
    for number, obj in enumerate(objects, start=1):
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    return body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def object_stream(*dictionaries: bytes) -> bytes:
    """A compressed object stream (PDF 1.5) holding ``dictionaries`` as objects 10, 11, ..."""
    offsets, content = [], b""
    for dictionary in dictionaries:
        offsets.append(len(content))
        content += dictionary + b"\n"
    index = b" ".join(b"%d %d" % (10 + n, off) for n, off in enumerate(offsets)) + b"\n"
    packed = zlib.compress(index + content)
    return (b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(dictionaries), len(index), len(packed))
            + packed + b"\nendstream")


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"
PDF_TRICKS = {
    "JavaScript spelled with a hex escape (/J#61vaScript)": pdf(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
    "every letter escaped (/#4A#53)": pdf(b"<< /Type /Catalog /OpenAction << /S /#4A#61#76#61#53#63#72#69#70#74 /#4A#53 <6170702e616c657274283129> >> >>"),
    "/JS( with no space": pdf(b"<< /Type /Catalog /OpenAction <</JS(app.alert(1))>> >>"),
    "/JS as a hex string": pdf(b"<< /Type /Catalog /Names << /JavaScript << /Names [(x) << /S/JavaScript/JS<616c657274283129> >>] >> >> >>"),
    "/OpenAction with JavaScript": pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (this.exportDataObject()) >> >>"),
    "/Launch": pdf(CATALOG, PAGES, b"<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"),
    "/L#61unch": pdf(b"<< /Type /Catalog /OpenAction << /S /L#61unch /F (calc.exe) >> >>"),
    "/EmbeddedFile": pdf(CATALOG, b"<< /Type /EmbeddedFile /Length 4 >>\nstream\nMZ\x90\x00\nendstream"),
    "/EmbeddedFiles in the name tree": pdf(b"<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a.exe) 3 0 R] >> >> >>"),
    "/AA on a page": pdf(CATALOG, PAGES, b"<< /Type /Page /AA << /O << /S /GoTo /D [0 /Fit] >> >> >>"),
    "/RichMedia": pdf(CATALOG, b"<< /Type /Annot /Subtype /RichMedia /RichMediaContent << >> >>"),
    "/XFA": pdf(b"<< /Type /Catalog /AcroForm << /XFA 2 0 R >> >>", b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream"),
    "HTML inside (<html)": pdf(CATALOG, b"<< /Length 40 >>\nstream\n<html><body>Hei</body></html>\nendstream"),
    "a <script in the middle of a long file": pdf(CATALOG, b"<< /Length 9000 >>\nstream\n" + b"q Q\n" * 2000 + b"<script>alert(1)</script>\nendstream", PAGES),
    "JavaScript hidden in a compressed object stream": pdf(CATALOG, object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")),
    "a compressed object stream behind another encoding": pdf(CATALOG, b"<< /Type /ObjStm /N 1 /First 5 /Filter /ASCIIHexDecode /Length 12 >>\nstream\n2f4a53\nendstream"),
}


@pytest.mark.parametrize("trick", list(PDF_TRICKS))
def test_every_active_content_trick_is_refused_by_the_check(trick):
    with pytest.raises(UploadRejected, match="aktivt innhold"):
        upload_checks.check_pdf(PDF_TRICKS[trick])


@pytest.mark.parametrize("trick", ["JavaScript spelled with a hex escape (/J#61vaScript)", "/Launch", "/JS( with no space",
                                   "HTML inside (<html)", "JavaScript hidden in a compressed object stream"])
def test_an_active_pdf_from_a_client_contact_is_refused_over_http(app, client, db, a, trick):
    login(client, a["client"])
    rows_before = evidence_count(db)
    response = post_file(client, f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}",
                         PDF_TRICKS[trick], "rapport.pdf")
    assert response.status_code == 422 and "aktivt innhold" in response.get_data(as_text=True)
    assert evidence_count(db) == rows_before


def test_ordinary_pdfs_pass():
    from saas.pdf import html_to_pdf

    produced = html_to_pdf("<html><body><h1>Rapport fra fysisk kartlegging</h1><p>Alt i orden.</p></body></html>")
    assert upload_checks.active_pdf_content(produced) is None  # the product's own PDFs
    go_to = pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", PAGES)
    assert upload_checks.active_pdf_content(go_to) is None  # opening on a page is no script
    # A compressed image whose bytes happen to contain "/JS " and "/AA " is not a script.
    noise = bytes(range(256)) * 40 + b" /JS /AA <svg " + bytes(range(255, -1, -1)) * 40
    packed = zlib.compress(noise)
    image = pdf(CATALOG, b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
                + packed + b"\nendstream")
    assert upload_checks.active_pdf_content(image) is None
    # The same bytes stored raw in a compressed stream's body are not syntax either.
    raw = pdf(CATALOG, b"<< /Length 9 /Filter /FlateDecode >>\nstream\n" + zlib.compress(b"q Q") + b" /JS /AA <svg " + b"\nendstream")
    assert upload_checks.active_pdf_content(raw) is None


def test_html_tucked_after_the_compressed_data_of_a_stream_is_found():
    hidden = pdf(CATALOG, b"<< /Length 9 /Filter /FlateDecode >>\nstream\n" + zlib.compress(b"q Q") + b"<HTML><Script>alert(1)</Script>\nendstream")
    with pytest.raises(UploadRejected, match="aktivt innhold"):
        upload_checks.check_pdf(hidden)


def test_a_20_mb_pdf_is_checked_in_well_under_a_second_or_two():
    import os

    blob = os.urandom(20 * MB)
    big = pdf(CATALOG, b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(blob) + blob + b"\nendstream")
    started = time.perf_counter()
    assert upload_checks.active_pdf_content(big) is None
    assert time.perf_counter() - started < 2.0


def test_a_zip_bomb_stream_is_refused_without_inflating_it_whole(monkeypatch):
    monkeypatch.setattr(upload_checks, "MAX_INFLATED_BYTES", 4 * MB)
    packed = zlib.compress(b"\x00" * (16 * MB), 9)
    bomb = pdf(CATALOG, b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")
    with Peak(python=True) as peak, pytest.raises(UploadRejected, match="for kompleks"):
        upload_checks.check_pdf(bomb)
    assert peak.python_bytes < 12 * MB


def test_an_encrypted_pdf_whose_objects_cannot_be_read_is_refused_with_its_own_message():
    hidden = b"<< /Type /ObjStm /N 1 /First 5 /Length 16 >>\nstream\n" + bytes(range(200, 216)) + b"\nendstream"
    encrypted = pdf(CATALOG, hidden, b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>").replace(
        b"trailer << /Root 1 0 R >>", b"trailer << /Root 1 0 R /Encrypt 3 0 R >>")
    with pytest.raises(UploadRejected, match="kryptert"):
        upload_checks.check_pdf(encrypted)
