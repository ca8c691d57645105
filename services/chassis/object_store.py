"""S3-protocol object storage through the `minio` SDK, written against the protocol only.

Any S3-compatible store works (AWS S3, Ceph RGW, Garage, moto, s3rver); nothing
here depends on MinIO-only behaviour. Uploads stream: a `HashingReader` hands
the SDK one part at a time (multipart, `part_bytes` each, no parallel parts, so
memory per upload stays about one part) while computing the SHA-256 and counting
the size against a limit (the caller checks the file's format from its first bytes
before it calls `put_stream`). A file whose size is declared up front and is at most
`single_put_bytes` goes as one part, that is one PUT instead of four requests
(bench_documentos: multipart of 10 MB cost the store 1.4-1.9 times a PUT), sent as the
chunks it arrived in and signed with the SHA-256 the reader computed (`ClienteS3`), not
a second one.
Downloads stream too, hashing as they go.

Object lock (legal hold) is used only where the bucket reports an object lock
configuration: `supports_legal_hold()` is the capability check, remembered for
LEGAL_HOLD_CHECK_SECONDS (it was one more request per permanent document). The hold
is set by the PUT itself (`x-amz-object-lock-legal-hold`), not by a request after it;
`delete` lifts it first, so the object of an upload that was never recorded can go.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from minio import Minio
from minio.error import S3Error
from minio.helpers import genheaders
from nameko.extensions import DependencyProvider
from urllib3.exceptions import HTTPError

from services.chassis.config import Settings
from services.chassis.errors import ArmazenamentoIndisponivel, ArquivoGrandeDemais

_log = structlog.get_logger("sempapel.armazenamento")
SNIFF_BYTES = 64 * 1024  # the first bytes a format is recognised by (documentos.preparar_upload)
LEGAL_HOLD_CHECK_SECONDS = 300.0
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum part size
PAYLOAD_SHA256 = "x-amz-sempapel-payload-sha256"  # ours: read by ClienteS3, never sent


class ClienteS3(Minio):
    """The minio client, signing a body whose SHA-256 the caller already knows.

    The SDK signs a request over plain HTTP with the SHA-256 of its body, which it
    computes itself, and over TLS sends UNSIGNED-PAYLOAD with a Content-MD5 it computes
    itself: an upload that has just hashed every byte paid for a second pass over them
    (SHA-256: 5.6 ms of the gateway's CPU per 10 MB, bench_documentos; MD5 over TLS costs
    more). A request whose headers carry PAYLOAD_SHA256 is signed with that value, over
    TLS too, and no Content-MD5 is computed; the header itself is taken out. A wrong
    value cannot store a wrong object: S3 checks the signed hash against the body
    (XAmzContentSHA256Mismatch).
    """

    def _build_headers(
        self,
        host: str,
        headers: dict[str, Any] | None = None,
        body: Any = None,
        creds: Any = None,
    ) -> tuple[dict[str, Any], Any]:
        known = headers.pop(PAYLOAD_SHA256, None) if headers else None
        if known is None or not body or creds is None:
            return super()._build_headers(host, headers, body, creds)
        built, date = super()._build_headers(host, headers, None, creds)
        built["Content-Length"] = str(len(body))
        built["x-amz-content-sha256"] = known
        return built, date

    def put_chunks(
        self, bucket: str, key: str, chunks: tuple[bytes, ...], headers: dict[str, Any]
    ) -> Any:
        """One PUT of a body sent as the chunks it arrived in (`headers` must carry
        PAYLOAD_SHA256): joining them first copied the whole file, and held it twice."""
        # None or one chunk: itself (a join of one does not copy).
        body = BodyInChunks(chunks) if len(chunks) > 1 else b"".join(chunks)
        return self._put_object(bucket, key, body, headers)


class BodyInChunks:
    """A request body that urllib3 sends chunk by chunk (its `Content-Length` is set by
    `ClienteS3`); iterable again, so a retried request sends it whole again."""

    def __init__(self, chunks: tuple[bytes, ...]) -> None:
        self.chunks = chunks
        self.nbytes = sum(len(chunk) for chunk in chunks)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def __len__(self) -> int:
        return self.nbytes


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    legal_hold: bool = False  # written under a legal hold


class HashingReader:
    """A file-like reader over chunks: hashes, counts, enforces the limit."""

    def __init__(self, chunks: Iterator[bytes], max_bytes: int) -> None:
        self._chunks = chunks
        self._max = max_bytes
        # Chunks as they came, joined once when read: a growing bytearray copied each
        # part two or three times (py-spy, bench_documentos).
        self._pending: deque[bytes] = deque()
        self._pending_bytes = 0
        self._done = False
        self.size = 0
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    @property
    def digest(self) -> bytes:
        return self._hash.digest()

    def _pull(self) -> bool:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._done = True
            return False
        if chunk:
            self.size += len(chunk)
            if self.size > self._max:
                raise ArquivoGrandeDemais(details={"limite_bytes": self._max})
            self._hash.update(chunk)
            self._pending.append(bytes(chunk))
            self._pending_bytes += len(chunk)
        return True

    def read_chunks(self) -> tuple[bytes, ...]:
        """All that is left, as the chunks it came in (no join: see ClienteS3.put_chunks)."""
        while self._pull():
            pass
        chunks = tuple(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        return chunks

    def read(self, n: int) -> bytes:
        """Up to `n` bytes: the SDK reads a multipart upload one part at a time."""
        while self._pending_bytes < n and not self._done:
            self._pull()
        if n >= self._pending_bytes:
            out = b"".join(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            return out
        parts, taken = [], 0
        while taken < n:
            chunk = self._pending.popleft()
            if taken + len(chunk) > n:  # split the last one; its tail stays first in line
                cut = n - taken
                self._pending.appendleft(chunk[cut:])
                chunk = chunk[:cut]
            parts.append(chunk)
            taken += len(chunk)
        self._pending_bytes -= n
        return b"".join(parts)


class ObjectStore:
    def __init__(
        self, client: ClienteS3, bucket: str, part_bytes: int, single_put_bytes: int = 0
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.part_bytes = max(part_bytes, MIN_PART_BYTES)
        self.single_put_bytes = single_put_bytes
        self._legal_hold: tuple[float, bool] | None = None  # (checked at, supported)

    @classmethod
    def from_settings(cls, settings: Settings) -> ObjectStore:
        client = ClienteS3(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        return cls(client, settings.s3_bucket, settings.s3_part_bytes, settings.s3_single_put_bytes)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (HTTPError, OSError) as exc:  # not reachable: 503, never a 500
            _log.error("armazenamento_falhou", operacao=what, erro=repr(exc))
            raise ArmazenamentoIndisponivel() from exc

    def ensure_bucket(self, object_lock: bool = True) -> None:
        """Create the bucket if missing, with object lock where the store offers it."""
        if self._call("bucket_exists", self.client.bucket_exists, self.bucket):
            return
        try:
            self._call("make_bucket", self.client.make_bucket, self.bucket, object_lock=object_lock)
        except S3Error:
            if not object_lock:
                raise
            self._call("make_bucket", self.client.make_bucket, self.bucket)

    def supports_legal_hold(self) -> bool:
        """Whether the bucket has object lock; asked again after LEGAL_HOLD_CHECK_SECONDS
        (a bucket can gain object lock, never lose it)."""
        agora = time.monotonic()
        if self._legal_hold and agora - self._legal_hold[0] < LEGAL_HOLD_CHECK_SECONDS:
            return self._legal_hold[1]
        try:
            self.client.get_object_lock_config(self.bucket)
            suportado = True
        except S3Error:
            suportado = False
        except (HTTPError, OSError) as exc:
            raise ArmazenamentoIndisponivel() from exc
        self._legal_hold = (agora, suportado)
        return suportado

    def put_stream(
        self,
        key: str,
        chunks: Iterator[bytes],
        max_bytes: int,
        content_type: str,
        declared_bytes: int | None = None,
        legal_hold: bool = False,
    ) -> StoredObject:
        """Stream `chunks` to `key`; a file past `max_bytes` is refused and leaves nothing.

        `declared_bytes` (at least the file's size, e.g. the request's Content-Length):
        up to `single_put_bytes`, the file goes in one PUT, held whole meanwhile.
        `legal_hold`: keep it from deletion (documents kept forever), where the bucket
        has object lock; the answer says whether it was.
        """
        hold = legal_hold and self.supports_legal_hold()
        reader = HashingReader(chunks, max_bytes)
        if declared_bytes is not None and declared_bytes <= self.single_put_bytes:
            # All of it, hashed and counted on the way in: one PUT, signed with that hash
            # (ClienteS3).
            chunks = reader.read_chunks()
            headers = genheaders(
                {
                    PAYLOAD_SHA256: reader.sha256,
                    # S3 checks the body against it (as it does the signed hash) and keeps
                    # it, and asks for a checksum with a legal hold; a store without
                    # checksums (moto only keeps it, s3rver ignores it) is unaffected.
                    "x-amz-sdk-checksum-algorithm": "SHA256",
                    "x-amz-checksum-sha256": base64.b64encode(reader.digest).decode("ascii"),
                },
                sse=None,
                tags=None,
                retention=None,
                legal_hold=hold,
            )
            headers["Content-Type"] = content_type
            self._call("put_object", self.client.put_chunks, self.bucket, key, chunks, headers)
            return StoredObject(key, reader.size, reader.sha256, hold)
        self._call(
            "put_object",
            self.client.put_object,
            self.bucket,
            key,
            reader,
            length=-1,
            part_size=self.part_bytes,
            content_type=content_type,
            num_parallel_uploads=1,
        )
        if hold:  # a request of its own: not every store takes the hold at a multipart start
            self._call("legal_hold", self.client.enable_object_legal_hold, self.bucket, key)
        return StoredObject(key, reader.size, reader.sha256, hold)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> StoredObject:
        return self.put_stream(key, iter([data]), len(data), content_type, declared_bytes=len(data))

    def stream(self, key: str, chunk_bytes: int = 256 * 1024) -> Iterator[bytes]:
        """The object's bytes in chunks; the connection is released at the end."""
        response = self._call("get_object", self.client.get_object, self.bucket, key)
        read_to_the_end = False
        try:
            yield from response.stream(chunk_bytes)
            read_to_the_end = True
        finally:
            if not read_to_the_end:  # unread bytes: this connection cannot serve another
                response.close()
            # Back to the pool: closing it after every read made each request connect anew.
            response.release_conn()

    def sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.stream(key):
            digest.update(chunk)
        return digest.hexdigest()

    def delete(self, key: str) -> None:
        """Remove an object that no record points to; a legal hold it was written under is
        lifted first (only uploads never recorded are deleted: documents are cancelled)."""
        if self.supports_legal_hold():
            try:
                self._call(
                    "legal_hold_off", self.client.disable_object_legal_hold, self.bucket, key
                )
            except S3Error as exc:
                if exc.code not in ("NoSuchKey", "NoSuchObject", "NotFound", "NoSuchVersion"):
                    raise
        self._call("remove_object", self.client.remove_object, self.bucket, key)

    def presigned_get(self, key: str, seconds: int, filename: str | None = None) -> str:
        headers = (
            {"response-content-disposition": f'attachment; filename="{filename}"'}
            if filename
            else None
        )
        return self._call(
            "presign",
            self.client.presigned_get_object,
            self.bucket,
            key,
            expires=timedelta(seconds=seconds),
            response_headers=headers,
        )


class ObjectStoreProvider(DependencyProvider):
    """The store for a service's workers (one client, thread-safe, per process)."""

    def setup(self) -> None:
        self.store = ObjectStore.from_settings(Settings.from_env())

    def start(self) -> None:
        # The bucket is made once, with object lock where the store offers it; a store that
        # is down now is not fatal: uploads answer 503 until it is back.
        try:
            self.store.ensure_bucket()
        except Exception:  # noqa: BLE001 - logged; the service still starts
            _log.warning("bucket_nao_verificado", bucket=self.store.bucket, exc_info=True)

    def get_dependency(self, worker_ctx: Any) -> ObjectStore:
        return self.store
