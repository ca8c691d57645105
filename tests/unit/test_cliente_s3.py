"""ClienteS3's signing of a body whose SHA-256 is known, without any network."""

from __future__ import annotations

import hashlib

import minio.api
import pytest
from minio import Minio
from minio.credentials import Credentials

from services.chassis.object_store import PAYLOAD_SHA256, BodyInChunks, ClienteS3

CREDS = Credentials("chave", "segredo")
CHUNKS = (b"a" * 1000, b"b" * 24, b"c")
DATA = b"".join(CHUNKS)
KNOWN = hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize("secure", [True, False], ids=["tls", "http"])
def test_a_known_hash_is_signed_and_nothing_is_hashed_again(monkeypatch, secure):
    client = ClienteS3("s3.example.org", "chave", "segredo", secure=secure)
    body = BodyInChunks(CHUNKS)
    hashed: list[tuple[str, int]] = []
    md5, sha256 = minio.api.md5sum_hash, minio.api.sha256_hash

    def spy(name: str, real):
        def hashing(data):
            hashed.append((name, len(data or b"")))
            return real(data)

        return hashing

    monkeypatch.setattr(minio.api, "md5sum_hash", spy("md5", md5))
    monkeypatch.setattr(minio.api, "sha256_hash", spy("sha256", sha256))

    headers, _ = client._build_headers("s3.example.org", {PAYLOAD_SHA256: KNOWN}, body, CREDS)

    assert headers["x-amz-content-sha256"] == KNOWN  # signed: S3 checks the body against it
    assert headers["Content-Length"] == str(len(DATA))
    assert "Content-MD5" not in headers  # over TLS the SDK would hash every byte with MD5
    assert PAYLOAD_SHA256 not in headers
    assert all(size == 0 for _, size in hashed)  # never a hash of the file's bytes


def test_the_plain_sdk_over_tls_hashes_the_body_with_md5():
    """What ClienteS3 avoids: the SDK's own Content-MD5 of every body over TLS."""
    headers, _ = Minio("s3.example.org", "chave", "segredo", secure=True)._build_headers(
        "s3.example.org", {}, DATA, CREDS
    )
    assert headers["Content-MD5"] and headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"


def test_a_body_in_chunks_is_sent_again_whole_on_a_retry():
    body = BodyInChunks(CHUNKS)
    assert len(body) == len(DATA)
    assert b"".join(body) == DATA and b"".join(body) == DATA
