"""A process-wide stop request that long loops check between transactions.

The worker's signal handlers call `request_stop()`. The plan tick step and
outbox delivery call `stop_requested()` between transactions and return early,
so a transaction that has started finishes before the worker exits.
"""

from __future__ import annotations

import threading

_stop = threading.Event()


def request_stop() -> None:
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def wait(seconds: float) -> bool:
    """Sleep up to `seconds`; return True at once when a stop is requested."""
    return _stop.wait(seconds)


def reset() -> None:
    """Forget an earlier stop request (for a new run in the same process)."""
    _stop.clear()
