"""Where stored objects live: the local disk or an S3-compatible bucket, behind the same six methods.

``STORAGE_URL`` picks one (see ``from_config``): unset or ``file:///srv/saas/files`` is a folder on the
local disk; ``s3://bucket/prefix?endpoint_url=https://s3.example&region=eu-north-1`` is a bucket, with
credentials from the standard AWS settings (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, a profile or
an instance role).  Keys are relative names such as ``ab12/0123…cdef.pdf``; ``saas.storage`` validates them
before they reach a backend.  Nothing here knows about Flask or the database.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import parse_qs, unquote, urlparse

CHUNK = 1024 * 1024


class MissingObject(KeyError):
    """No object is stored under the key."""


class LocalStorage:
    """Objects as files under ``root``, written atomically (a temporary file renamed into place)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, _BytesReader(data))

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A writer killed mid-write leaves its temporary file; the next write of the key clears it.
        for stale in path.parent.glob(f"{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        tmp = path.parent / f"{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            with open(tmp, "wb") as handle:
                shutil.copyfileobj(stream, handle, CHUNK)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> tuple[BinaryIO, int]:
        """A readable stream of the object and its size in bytes; raises MissingObject."""
        try:
            handle = open(self._path(key), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MissingObject(key) from None
        return handle, os.fstat(handle.fileno()).st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with ``prefix``, sorted (temporary files of writes in flight are not objects)."""
        if not self.root.is_dir():
            return iter(())
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))
        return iter(sorted(k for k in found if k.startswith(prefix)))

    def check(self) -> None:
        """Raise OSError unless objects can be written here."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise OSError(f"{self.root} is not writable")


class S3Storage:
    """Objects in an S3-compatible bucket under an optional prefix."""

    def __init__(self, bucket: str, prefix: str = "", client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r})"

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @classmethod
    def from_url(cls, url: str) -> "S3Storage":
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        if not parsed.netloc:
            raise ValueError("STORAGE_URL s3://… må inneholde et bøttenavn (bucket name).")
        query = {name: values[-1] for name, values in parse_qs(parsed.query).items()}
        endpoint = query.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        region = query.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        # Other S3 implementations (MinIO, Ceph, moto) rarely resolve virtual-host bucket names.
        style = query.get("addressing_style") or ("path" if endpoint else "auto")
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 4, "mode": "standard"},
                        s3={"addressing_style": style})
        client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region, config=config)
        return cls(parsed.netloc, unquote(parsed.path), client)

    def _name(self, key: str) -> str:
        return self.prefix + key

    @staticmethod
    def _is_missing(error) -> bool:
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        # upload_fileobj splits large objects into a multipart upload and never holds the whole file.
        self.client.upload_fileobj(stream, self.bucket, self._name(key))

    def open(self, key: str) -> tuple[BinaryIO, int]:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._is_missing(error):
                raise MissingObject(key) from None
            raise
        return answer["Body"], int(answer["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._is_missing(error):
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", ()):
                yield item["Key"][len(self.prefix):]

    def check(self) -> None:
        """Raise unless the bucket answers (botocore's errors)."""
        self.client.head_bucket(Bucket=self.bucket)


class _BytesReader:
    """A minimal read-only stream over bytes (io.BytesIO would copy them)."""

    def __init__(self, data: bytes):
        self._view = memoryview(data)
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._at + size)
        chunk = self._view[self._at:end].tobytes()
        self._at = end
        return chunk


def from_url(url: str | None, default_dir: str | Path):
    """The backend ``STORAGE_URL`` names; unset means the folder ``default_dir`` (STORAGE_DIR)."""
    if not url:
        return LocalStorage(default_dir)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError("STORAGE_URL file://… må være en absolutt sti, f.eks. file:///srv/saas/files.")
        return LocalStorage(unquote(parsed.path))
    if parsed.scheme == "s3":
        return S3Storage.from_url(url)
    raise ValueError(f"STORAGE_URL må begynne med file:// eller s3:// (fikk {parsed.scheme or url!r}).")


def from_config(config) -> LocalStorage | S3Storage:
    return from_url(config.get("STORAGE_URL"), config["STORAGE_DIR"])
