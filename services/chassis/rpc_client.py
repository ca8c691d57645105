"""RPC to other services with a deadline.

nameko 2's RpcProxy waits for a reply forever. Here a call that gets no reply
within the timeout, or that targets a service with no queue, or that cannot
reach the broker, raises ServicoIndisponivel, so the gateway answers 503
instead of hanging. The request message expires in the queue at the same
deadline, so a service that comes back does not work through stale calls.
"""

from __future__ import annotations

from typing import Any

import eventlet
from kombu.entity import TRANSIENT_DELIVERY_MODE
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, RpcProxy, ServiceProxy

from services.chassis.config import EnvSettings, Settings
from services.chassis.errors import ServicoIndisponivel
from services.chassis.remote_errors import register_remote_errors

register_remote_errors()


class _TimedMethodProxy(MethodProxy):
    def __init__(self, *args: Any, timeout: float, **options: Any) -> None:
        self.timeout = timeout
        super().__init__(*args, expiration=timeout, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            reply = self._call(*args, **kwargs)
        except UnknownService as exc:
            raise ServicoIndisponivel(details={"servico": self.service_name}) from exc
        except (OperationalError, OSError) as exc:
            raise ServicoIndisponivel(details={"servico": self.service_name}) from exc
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout as exc:
            self._forget(reply)
            raise ServicoIndisponivel(details={"servico": self.service_name}) from exc

    def _forget(self, reply: Any) -> None:
        """Drop the pending reply slot so late or lost replies do not accumulate."""
        pending = self.reply_listener._reply_events
        for correlation_id, event in list(pending.items()):
            if event is reply.reply_event:
                pending.pop(correlation_id, None)


class _TimedServiceProxy(ServiceProxy):
    def __getattr__(self, name: str) -> _TimedMethodProxy:
        if name.startswith("__"):
            raise AttributeError(name)
        return _TimedMethodProxy(
            self.worker_ctx, self.service_name, name, self.reply_listener, **self.options
        )


class ServiceRpc(RpcProxy):
    """`RpcProxy` whose calls end with ServicoIndisponivel after the configured timeout."""

    def __init__(
        self,
        target_service: str,
        timeout: float | None = None,
        timeout_setting: str = "rpc_timeout_seconds",
        settings_class: type[EnvSettings] = Settings,
        **options: Any,
    ) -> None:
        # Transient messages: a call is worth nothing after its deadline, and the durable
        # rpc-<service> queue would otherwise write every persistent request to disk.
        options.setdefault("delivery_mode", TRANSIENT_DELIVERY_MODE)
        super().__init__(target_service, **options)
        self._timeout = timeout
        self._timeout_setting = timeout_setting
        self._settings_class = settings_class

    def setup(self) -> None:
        if self._timeout is None:
            self._timeout = getattr(self._settings_class.from_env(), self._timeout_setting)

    def get_dependency(self, worker_ctx: Any) -> _TimedServiceProxy:
        return _TimedServiceProxy(
            worker_ctx,
            self.target_service,
            self.rpc_reply_listener,
            timeout=self._timeout,
            **self.options,
        )
