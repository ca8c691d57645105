"""The least a download that verifies the hash must do, as a floor for the gateway's figure.

A plain threaded HTTP server, no framework, no token, no access check, no database:
`GET /<key>?sha256=<hex>` asks S3 for the object with the same SDK as the gateway, reads
it straight into reused buffers, hashes every byte and sends it on with its
Content-Length, the last chunk held back until the hash is checked: a mismatch closes
the connection short of the length, so the client never takes a wrong file. Whatever
such a proxy reaches against the raw S3 GET in the same run is the most any gateway
that checks every byte can reach on the same machine: the bytes cross it twice (S3 to
proxy, proxy to client) and are hashed once, where the raw GET reads them once and
hashes nothing.

Run by bench_documentos.py; alone:
    SEMPAPEL_S3_ENDPOINT=127.0.0.1:9000 python bench/proxy_verificador.py --port 8999
"""

from __future__ import annotations

import argparse
import hashlib
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK_BYTES = 1024 * 1024  # as the gateway reads a large file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", default=os.environ.get("SEMPAPEL_S3_BUCKET", "sempapel"))
    args = parser.parse_args()

    from minio import Minio

    local = threading.local()

    def client() -> Minio:
        if not hasattr(local, "client"):  # one per thread, as the bench's raw clients
            local.client = Minio(
                os.environ["SEMPAPEL_S3_ENDPOINT"],
                access_key=os.environ.get("SEMPAPEL_S3_ACCESS_KEY", "sempapel"),
                secret_key=os.environ.get("SEMPAPEL_S3_SECRET_KEY", "sempapel-secret"),
                secure=False,
            )
        return local.client

    def reused_buffers() -> tuple[memoryview, memoryview]:
        """Two chunk buffers per thread (a thread serves one keep-alive connection)."""
        if not hasattr(local, "buffers"):
            local.buffers = tuple(memoryview(bytearray(CHUNK_BYTES)) for _ in range(2))
        return local.buffers

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the gateway

        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/healthz":
                self._answer(200, b"ok")
                return
            parts = urllib.parse.urlsplit(self.path)
            key = urllib.parse.unquote(parts.path.lstrip("/"))
            expected = urllib.parse.parse_qs(parts.query).get("sha256", [""])[0]
            response = client().get_object(args.bucket, key)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", response.headers["Content-Length"])
                self.end_headers()
                digest = hashlib.sha256()
                # The leanest byte path we know: straight from the socket into two buffers
                # used in turn, hashed and sent from them (no bytes object per chunk, no
                # copy); the last chunk goes only after the hash is checked.
                raw = response._fp  # http.client's response under the SDK's urllib3 one
                buffers = reused_buffers()
                held = None
                turn = 0
                while n := raw.readinto(buffers[turn]):
                    chunk = buffers[turn][:n]
                    digest.update(chunk)
                    if held is not None:
                        self.wfile.write(held)  # unbuffered: sendall, so the buffer is free
                    held, turn = chunk, 1 - turn
            finally:
                response.release_conn()
            if digest.hexdigest() != expected:
                self.close_connection = True  # the client sees a cut body, never a wrong file
                return
            if held is not None:
                self.wfile.write(held)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
