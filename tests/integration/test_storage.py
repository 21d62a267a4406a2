"""The one storage interface, on the local disk and on a real S3-compatible server (moto, started on a free
loopback port): the same behaviour on both, and a product path (evidence upload and download) on S3."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
from sqlalchemy import select

from saas import storage
from saas.config import ConfigError, load_config
from saas.hms.models import Evidence
from saas.storage_backends import LocalStorage, MissingObject, S3Storage, from_url
from saas.tenancy import bind_tenant, bound_tenant
from tests.conftest import login
from tests.s3_server import s3_server, s3_url  # noqa: F401  (fixtures)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
KEY = "ab12/" + "0" * 32 + ".pdf"


@pytest.fixture(params=["local", "s3"])
def store_url(request, tmp_path):
    """A STORAGE_URL of an empty store of each kind."""
    if request.param == "local":
        return f"file://{tmp_path / 'files'}"
    return request.getfixturevalue("s3_url")


@pytest.fixture
def store(store_url, tmp_path):
    return from_url(store_url, tmp_path / "unused")


@pytest.fixture
def on_store(app, store_url, monkeypatch):
    """The test app using the store for the duration of the test."""
    monkeypatch.setitem(app.config, "STORAGE_URL", store_url)
    with app.app_context():
        yield storage.backend()


def key(n: int, extension: str = "pdf") -> str:
    return f"{n:04x}/{n:032x}.{extension}"


# -- the backends ------------------------------------------------------------------------------------

def test_put_read_exists_delete_round_trip(store):
    assert not store.exists(KEY)
    store.put(KEY, PDF)
    assert store.exists(KEY)
    stream, size = store.open(KEY)
    with stream:
        assert stream.read() == PDF and size == len(PDF)
    store.delete(KEY)
    assert not store.exists(KEY)


def test_putting_again_replaces_the_object(store):
    store.put(KEY, b"%PDF-1.4 first")
    store.put(KEY, b"%PDF-1.4 second")
    stream, _ = store.open(KEY)
    with stream:
        assert stream.read() == b"%PDF-1.4 second"
    assert list(store.keys()) == [KEY]


def test_keys_lists_every_object_sorted_and_by_prefix(store):
    for n in (3, 1, 2, 0x1000):
        store.put(key(n), b"x")
    assert list(store.keys()) == [key(1), key(2), key(3), key(0x1000)]
    assert list(store.keys("0001/")) == [key(1)]
    assert list(store.keys("ffff/")) == []


def test_a_missing_key_is_missing_everywhere(store):
    with pytest.raises(MissingObject):
        store.open(KEY)
    assert store.exists(KEY) is False
    store.delete(KEY)  # deleting what is not there is no error
    assert list(store.keys()) == []


def test_a_large_file_streams_in_and_out_without_being_read_whole(store):
    size = 24 * 1024 * 1024 + 17  # over boto3's multipart threshold: a multipart upload on S3
    block = os.urandom(1024 * 1024)

    class Source:
        """A stream that makes its bytes as they are read."""
        sent = 0

        def read(self, n=-1):
            n = size - self.sent if n is None or n < 0 else min(n, size - self.sent)
            chunk = (block * (n // len(block) + 1))[:n] if n else b""
            self.sent += n
            return chunk

    expected = hashlib.sha256()
    sent = 0
    while sent < size:
        n = min(1024 * 1024, size - sent)
        expected.update((block * 2)[:n])
        sent += n
    store.put_stream(KEY, Source())
    stream, length = store.open(KEY)
    digest, largest = hashlib.sha256(), 0
    with stream:
        while chunk := stream.read(256 * 1024):
            digest.update(chunk)
            largest = max(largest, len(chunk))
    assert length == size and digest.hexdigest() == expected.hexdigest() and largest <= 256 * 1024


def test_a_local_write_killed_midway_leaves_no_object(tmp_path):
    store = LocalStorage(tmp_path)

    class Breaks:
        def read(self, n=-1):
            raise OSError("disk full")

    with pytest.raises(OSError):
        store.put_stream(KEY, Breaks())
    assert list(store.keys()) == [] and list(tmp_path.rglob("*.tmp")) == []


# -- the interface the product uses ------------------------------------------------------------------

def test_keys_that_could_leave_the_store_are_refused(on_store):
    for bad in ("../../etc/passwd", "ab12/../../x.pdf", "/etc/passwd", "ab12/" + "0" * 32 + ".pdf/../x", ""):
        with pytest.raises(ValueError):
            storage.read(bad)
        with pytest.raises(ValueError):
            storage.put(bad, b"x")


def test_save_bytes_keeps_the_hash_and_read_returns_the_bytes(on_store):
    stored = storage.save_bytes(PDF, "pdf", "rapport.pdf", "application/pdf")
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.size == len(PDF)
    assert storage.read(stored.key) == PDF and storage.exists(stored.key)
    assert list(storage.keys()) == [stored.key]
    storage.discard(stored.key)
    assert not storage.exists(stored.key)


def test_a_rolled_back_upload_leaves_no_object_and_a_committed_one_stays(app, db, on_store):
    kept = storage.save_upload(db, PDF, "beholdt.pdf")
    db.commit()
    db.execute(select(1))  # the transaction that writes the file's row
    gone = storage.save_upload(db, PDF, "angret.pdf")
    assert storage.exists(gone.key)
    db.rollback()
    assert not storage.exists(gone.key) and storage.exists(kept.key)


def test_a_download_streams_the_object_with_safe_headers(app, on_store):
    data = PDF + os.urandom(3 * 1024 * 1024)
    stored = storage.save_bytes(data, "pdf", "rapport.pdf", "application/pdf")
    with app.test_request_context():
        response = storage.download_response(stored.key, "Årsrapport «2026».pdf", "application/pdf")
        response.direct_passthrough = False
        body = response.get_data()
    assert body == data and response.content_length == len(data)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "private" in response.headers["Cache-Control"]


def test_a_download_of_a_missing_object_is_a_404_not_a_500(app, on_store):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        storage.download_response(KEY, "x.pdf", "application/pdf")


def test_storage_url_chooses_the_backend(tmp_path, s3_server):
    assert isinstance(from_url(None, tmp_path), LocalStorage) and from_url(None, tmp_path).root == tmp_path
    assert from_url(f"file://{tmp_path}/a%20b", "x").root == tmp_path / "a b"
    s3 = from_url(f"s3://my-bucket/some/prefix/?endpoint_url={s3_server}&region=eu-north-1", tmp_path)
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("my-bucket", "some/prefix/")
    assert s3.client.meta.region_name == "eu-north-1" and s3.client.meta.endpoint_url == s3_server
    with pytest.raises(ValueError):
        from_url("ftp://files.example/x", tmp_path)
    with pytest.raises(ConfigError):
        load_config({"STORAGE_URL": "/srv/files"}, root=tmp_path)
    assert load_config({"STORAGE_URL": "s3://b/p"}, root=tmp_path)["STORAGE_URL"] == "s3://b/p"


def test_the_readiness_check_fails_for_a_bucket_that_does_not_exist(app, s3_server, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://no-such-bucket-here?endpoint_url={s3_server}")
    with app.app_context(), pytest.raises(Exception):
        storage.check()


# -- a product path on S3 ----------------------------------------------------------------------------

@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


def test_evidence_uploaded_by_a_client_lives_in_the_bucket_and_downloads_through_the_app(app, client, db, a, two_tenants,
                                                                                         s3_url, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "STORAGE_URL", s3_url)
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "must-stay-empty"))
    login(client, a["client"])
    photo = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (40, 30), (10, 90, 200)).save(photo, format="JPEG")
    for data, name in ((PDF, "rapport.pdf"), (photo.getvalue(), "bilde.jpg")):
        response = client.post(f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}",
                               data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    bind_tenant(db, bound_tenant(db))
    rows = db.scalars(select(Evidence).where(Evidence.original_name.in_(["rapport.pdf", "bilde.jpg"])).order_by(Evidence.id)).all()
    assert len(rows) == 2
    with app.app_context():
        store = storage.backend()
        assert isinstance(store, S3Storage) and sorted(store.keys()) == sorted(r.file_key for r in rows)
    for row in rows:
        download = client.get(f"/t/tenant-a/evidence/{row.id}/download")
        assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == row.sha256
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/t/tenant-a/evidence/{rows[0].id}/download").data == PDF
    assert not (tmp_path / "must-stay-empty").exists() or not any((tmp_path / "must-stay-empty").rglob("*"))
    # Another tenant's user never gets the file, though it lives in the same bucket.
    client.post("/logout")
    login(client, two_tenants["b"]["admin"])
    assert client.get(f"/t/tenant-a/evidence/{rows[0].id}/download").status_code == 404
    assert client.get(f"/t/tenant-b/evidence/{rows[0].id}/download").status_code == 404


def test_a_certificate_is_rendered_with_its_logo_from_the_bucket_and_stored_there(app, db, s3_url, monkeypatch):
    from saas.certification import documents
    from tests.integration.test_certificate_pdf import branded_tenant, certified_company, pdf_text, stored_pdf

    monkeypatch.setitem(app.config, "STORAGE_URL", s3_url)
    with app.app_context():
        tenant = branded_tenant(db, slug="s3-tilbyder")  # logo and signature go to the bucket
        _company, certificate = certified_company(db, tenant)
        document_id = documents.render_and_store(db, certificate.id)
        document, data = stored_pdf(db, certificate.id)
        store = storage.backend()
        assert document.id == document_id and isinstance(store, S3Storage)
        assert set(store.keys()) == {tenant.logo_file, tenant.signature_file, document.file_key}
        assert hashlib.sha256(data).hexdigest() == document.sha256 and "Fjellstø Rør og Varme AS" in pdf_text(data)
        import pypdf

        images = [image for page in pypdf.PdfReader(io.BytesIO(data)).pages for image in page.images]
        assert len(images) >= 2, [i.name for i in images]  # the logo and the signature, read back from S3
