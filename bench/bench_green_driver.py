"""Proof that the PostgreSQL driver yields to eventlet (psycogreen), with its baseline.

In one eventlet-monkey-patched process:

- green: an engine from `services.chassis.database.engine_from_settings` (which
  installs psycogreen's wait callback) runs `SELECT pg_sleep(0.5)` in 4
  greenthreads at once, with `eventlet.debug.hub_blocking_detection(True, 0.1)`
  on: the wall time is ~0.5 s and no blocking alarm fires;
- blocking (baseline): the wait callback is removed
  (`psycopg2.extensions.set_wait_callback(None)`) and a fresh engine runs the
  same 4 queries: they run one after another (~2 s); run again with the
  detector on, its alarm fires (RuntimeError "Blocking detector ALARMED"),
  which is caught and counted.

Only the database (no broker) is needed; it uses the maintenance database
`postgres` by default, since pg_sleep needs no table.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import eventlet.debug  # noqa: E402
import psycopg2.extensions  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from services.chassis.config import Settings  # noqa: E402
from services.chassis.database import engine_from_settings  # noqa: E402

ALARM = "Blocking detector ALARMED"


def run_concurrently(
    engine: Engine, queries: int, sleep: float, detect: bool
) -> tuple[float, list[str]]:
    """Wall time of `queries` pg_sleep(sleep) in greenthreads, and the alarms that fired."""
    alarms = []

    def one() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(:s)"), {"s": sleep})
        except RuntimeError as exc:
            if ALARM not in str(exc):
                raise
            alarms.append(str(exc))

    # Connect once first, so the dialect's first-connect queries are not timed.
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    if detect:
        eventlet.debug.hub_blocking_detection(True, 0.1)
    try:
        started = time.perf_counter()
        pool = eventlet.GreenPool(queries)
        for _ in range(queries):
            pool.spawn(one)
        pool.waitall()
        elapsed = time.perf_counter() - started
    finally:
        if detect:
            eventlet.debug.hub_blocking_detection(False)
    return elapsed, alarms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
        help="any reachable PostgreSQL (default: the local maintenance database)",
    )
    parser.add_argument("--queries", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds of pg_sleep")
    args = parser.parse_args()
    settings = Settings.from_env(database_url=args.database_url)
    n = args.queries

    green = engine_from_settings(settings, pool_size=n, max_overflow=0)
    green_s, green_alarms = run_concurrently(green, n, args.sleep, detect=True)
    green.dispose()

    psycopg2.extensions.set_wait_callback(None)
    blocking = engine_from_settings(settings, pool_size=n, max_overflow=0)
    blocking_s, _ = run_concurrently(blocking, n, args.sleep, detect=False)
    blocking.dispose()
    detector = engine_from_settings(settings, pool_size=n, max_overflow=0)
    _, blocking_alarms = run_concurrently(detector, n, args.sleep, detect=True)
    detector.dispose()

    serial = n * args.sleep
    print(f"{n} x SELECT pg_sleep({args.sleep:g}) em greenthreads ao mesmo tempo")
    print(f"{'caso':34} {'parede s':>9} {'alarmes':>8}")
    print(f"{'psycogreen (engine do chassis)':34} {green_s:9.3f} {len(green_alarms):8d}")
    print(f"{'sem wait callback (bloqueante)':34} {blocking_s:9.3f} {len(blocking_alarms):8d}")
    for alarm in (green_alarms + blocking_alarms)[:1]:
        print("alarme:", alarm[:160])
    print(f"razão bloqueante/psycogreen: {blocking_s / green_s:.2f}x (ideal {n}x)")
    ok = (
        green_s < args.sleep + 0.4 * args.sleep
        and not green_alarms
        and blocking_s >= 0.9 * serial
        and blocking_alarms
    )
    print("resultado:", "OK, o driver cede ao hub" if ok else "FALHOU")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
