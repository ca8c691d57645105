"""The chassis' object store against moto's S3 server over HTTP: what it signs and sends."""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import minio.api
import minio.error
import pytest

from services.chassis.object_store import PAYLOAD_SHA256, BodyInChunks, ClienteS3, ObjectStore


@pytest.fixture
def store(settings, s3_server) -> ObjectStore:
    store = ObjectStore.from_settings(settings)
    store.ensure_bucket()
    return store


@pytest.fixture
def signed(monkeypatch) -> list[dict[str, Any]]:
    """Every request the SDK signs: its payload hash and headers, and the bodies it hashed."""
    seen: list[dict[str, Any]] = []
    sign, sha256_hash = minio.api.sign_v4_s3, minio.api.sha256_hash

    def spy_sign(**kwargs: Any) -> Any:
        seen.append({"sha256": kwargs["content_sha256"], "headers": dict(kwargs["headers"])})
        return sign(**kwargs)

    def spy_hash(data: Any) -> str:
        seen.append({"hashed_bytes": len(data or b"")})
        return sha256_hash(data)

    monkeypatch.setattr(minio.api, "sign_v4_s3", spy_sign)
    monkeypatch.setattr(minio.api, "sha256_hash", spy_hash)
    return seen


def test_a_single_put_is_signed_with_the_readers_hash_not_a_second_one(store, signed, monkeypatch):
    data = os.urandom(6 * 1024 * 1024 + 7)
    key = f"mun_0000000/{uuid.uuid4()}"
    pieces = [data[i : i + 256 * 1024] for i in range(0, len(data), 256 * 1024)]
    bodies: list[Any] = []
    put = ClienteS3._put_object

    def spy_put(self, bucket, name, body, *args, **kwargs):
        bodies.append(body)
        return put(self, bucket, name, body, *args, **kwargs)

    monkeypatch.setattr(ClienteS3, "_put_object", spy_put)
    stored = store.put_stream(
        key, iter(pieces), len(data), "application/pdf", declared_bytes=len(data)
    )

    # Sent as the chunks it came in, the very objects: not joined into a copy of the file.
    assert len(bodies) == 1 and isinstance(bodies[0], BodyInChunks)
    assert all(a is b for a, b in zip(bodies[0].chunks, pieces, strict=True))

    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert not [s for s in signed if s.get("hashed_bytes", 0) >= len(data)], "hashed twice"
    puts = [s for s in signed if "headers" in s and int(s["headers"].get("Content-Length", 0))]
    assert [p["sha256"] for p in puts] == [stored.sha256]  # one PUT, signed with our hash
    assert PAYLOAD_SHA256 not in {h.lower() for h in puts[0]["headers"]}  # never sent
    assert b"".join(store.stream(key)) == data
    assert "-" not in store.client.stat_object(store.bucket, key).etag  # not multipart


def test_a_file_of_unknown_size_goes_in_parts_each_hashed_by_the_sdk(store, signed):
    data = os.urandom(store.part_bytes + 1024 * 1024)
    key = f"mun_0000000/{uuid.uuid4()}"
    stored = store.put_stream(key, iter([data]), len(data), "application/pdf")

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    hashed = [s["hashed_bytes"] for s in signed if "hashed_bytes" in s]
    assert store.part_bytes in hashed and 1024 * 1024 in hashed  # signed as minio does
    assert store.client.stat_object(store.bucket, key).etag.endswith("-2")
    assert b"".join(store.stream(key)) == data


@pytest.mark.parametrize("declared", [True, False], ids=["one_put", "in_parts"])
def test_a_legal_hold_is_set_by_the_put_itself_and_lifted_by_delete(store, signed, declared):
    """A single PUT sets the hold itself (no request after it; in parts, one after the
    last); the object of an upload never recorded can still go: delete lifts the hold."""
    data = os.urandom(store.part_bytes + 1024 if not declared else 100_000)
    key = f"mun_0000000/{uuid.uuid4()}"
    stored = store.put_stream(
        key,
        iter([data]),
        len(data),
        "application/pdf",
        declared_bytes=len(data) if declared else None,
        legal_hold=True,
    )

    assert stored.legal_hold is True
    assert store.client.is_object_legal_hold_enabled(store.bucket, key)
    versao = store.client.stat_object(store.bucket, key).version_id
    if declared:  # the PUT carries it; no request of its own
        sent = [s["headers"] for s in signed if "headers" in s]
        puts = [h for h in sent if int(h.get("Content-Length", 0)) == len(data)]
        assert len(puts) == 1 and puts[0].get("x-amz-object-lock-legal-hold") == "ON"
        assert puts[0]["x-amz-checksum-sha256"]  # S3 asks for a checksum with a hold

    store.delete(key)
    with pytest.raises(minio.error.S3Error):
        store.client.stat_object(store.bucket, key)
    assert not store.client.is_object_legal_hold_enabled(store.bucket, key, version_id=versao)


def test_no_legal_hold_is_asked_of_a_bucket_without_object_lock(settings, s3_server):
    store = ObjectStore.from_settings(settings)
    store.bucket = f"sem-trava-{uuid.uuid4().hex[:8]}"
    store.ensure_bucket(object_lock=False)
    stored = store.put_stream(
        "mun_0000000/x", iter([b"conteudo"]), 100, "text/plain", declared_bytes=8, legal_hold=True
    )
    assert stored.legal_hold is False  # skipped, not an error
    store.delete(stored.key)
    with pytest.raises(minio.error.S3Error):
        store.client.stat_object(store.bucket, stored.key)
