"""nameko's own HTTP-to-RPC ceiling: the smallest service pair that does what the gateway does.

`bench_echo_http` answers GET /echo by calling `bench_echo.echo` through a plain
`nameko.rpc.RpcProxy` and returning the reply as JSON; `bench_echo` is one `@rpc`
method. Nothing else: no logging set-up, no token, no schema, no timeout wrapper.
Each runs in its own process, like the platform's services:

    .venv/bin/python bench/nameko_echo.py rpc  --amqp-uri URI --port 8101
    .venv/bin/python bench/nameko_echo.py http --amqp-uri URI --port 8102

Both expose GET /healthz on their port so the benchmark can wait for them.
The same nameko config keys as the platform (max_workers 10, JSON serializer).

`--mensagens transientes` (the default) sends requests and replies as transient
messages, as the platform's RPC does (`services/chassis/rpc_entrypoint.py`), so
the ceiling uses the same broker work per call; `persistentes` is nameko as
shipped (persistent messages in durable queues), the ceiling the benchmarks
used before the platform's RPC became transient.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402

from kombu.entity import TRANSIENT_DELIVERY_MODE  # noqa: E402
from nameko import rpc as nameko_rpc  # noqa: E402
from nameko.cli.run import run  # noqa: E402
from nameko.rpc import RpcProxy  # noqa: E402
from nameko.web.handlers import http  # noqa: E402


def services(transient: bool) -> tuple[type, type]:
    """The echo pair, with the platform's transient RPC messages or nameko's persistent ones."""
    if transient:
        from services.chassis.rpc_entrypoint import rpc  # the platform's @rpc: nothing else

        proxy_options = {"delivery_mode": TRANSIENT_DELIVERY_MODE}
    else:
        rpc, proxy_options = nameko_rpc.rpc, {}

    class EchoRpc:
        name = "bench_echo"

        @rpc
        def echo(self, value: object) -> object:
            return value

        @http("GET", "/healthz")
        def healthz(self, request: object) -> str:
            return "ok"

    class EchoHttp:
        name = "bench_echo_http"

        echo_rpc = RpcProxy("bench_echo", **proxy_options)

        @http("GET", "/echo")
        def echo(self, request: object) -> tuple[int, dict[str, str], str]:
            reply = self.echo_rpc.echo({"status": "ok"})
            return 200, {"Content-Type": "application/json"}, json.dumps(reply)

        @http("GET", "/healthz")
        def healthz(self, request: object) -> str:
            return "ok"

    return EchoRpc, EchoHttp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("rpc", "http"))
    parser.add_argument("--amqp-uri", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-workers", type=int, default=10)
    parser.add_argument(
        "--mensagens", choices=("transientes", "persistentes"), default="transientes"
    )
    args = parser.parse_args()
    echo_rpc, echo_http = services(args.mensagens == "transientes")
    config = {
        "AMQP_URI": args.amqp_uri,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{args.port}",
        "max_workers": args.max_workers,
        "serializer": "json",
    }
    run([echo_rpc if args.role == "rpc" else echo_http], config)


if __name__ == "__main__":
    main()
