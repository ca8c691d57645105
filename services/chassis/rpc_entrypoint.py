"""The `@rpc` entrypoint of every service: nameko's, with transient replies.

nameko publishes RPC requests and replies as persistent messages, and its
queues are durable, so RabbitMQ wrote every call and every answer to its
message store. A call is worth nothing after its deadline (the caller gives up
and answers 503), so both travel as transient messages: the requests through
`ServiceRpc`, the replies through this entrypoint. On a process read this took
RabbitMQ's CPU per request from 0.77 to 0.59 ms with the requests alone
(bench_processos).

Every service must take `rpc` from here: nameko's and this consumer would
otherwise share the `rpc-<service>` queue, each knowing only its own methods.
"""

from __future__ import annotations

from typing import Any

from kombu.entity import TRANSIENT_DELIVERY_MODE
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)

from services.chassis.remote_errors import register_remote_errors

register_remote_errors()


class TransientReplyPublisher(Publisher):
    delivery_mode = TRANSIENT_DELIVERY_MODE


class TransientResponder(nameko_rpc.Responder):
    publisher_cls = TransientReplyPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        """nameko's, with the transient responder (nameko names its class inline)."""
        config = self.container.config
        responder = TransientResponder(
            config[AMQP_URI_CONFIG_KEY],
            nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
