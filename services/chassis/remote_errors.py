"""Teach nameko the platform's error types, so that an RPC error arrives typed.

nameko rebuilds a remote exception as its own type only when the type is in
`nameko.exceptions.registry`; otherwise the caller gets a generic RemoteError and
the gateway could not map it to its HTTP status. `services.chassis.errors` stays free
of any framework (domain modules raise its errors), so the registration lives here,
imported by the modules that send and answer RPCs.
"""

from __future__ import annotations

from nameko.exceptions import registry

from services.chassis.errors import REMOTE_TYPES


def register_remote_errors() -> None:
    """Every SemPapelError subclass defined so far; idempotent."""
    registry.update(REMOTE_TYPES)
