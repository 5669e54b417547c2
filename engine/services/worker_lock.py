"""The one-worker rule for SQLite: a lock file next to the database, held while a worker runs.

PostgreSQL needs no such lock, because workers there share the work through
row locks (FOR UPDATE SKIP LOCKED). The lock is an advisory fcntl lock, which
the operating system releases when the worker exits, even after a crash.

NOTE: fcntl exists on POSIX systems (Linux, macOS) only; Windows is not supported.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import ConflictError
from engine.i18n import _
from engine.store.db import Store, sqlite_path


def lock_path_for(database: Path) -> Path:
    return database.with_name(database.name + ".worker.lock")


@contextmanager
def worker_lock(store: Store) -> Iterator[Path | None]:
    """Hold the worker lock of a SQLite store for the duration of the block.

    Yields the lock file's path (None on PostgreSQL). Raises ConflictError,
    naming the process that holds it, when another worker runs on the same file.
    """
    database = sqlite_path(store.url)
    if store.dialect != "sqlite" or database is None:
        yield None
        return

    path = lock_path_for(database)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip() or "?"
            raise ConflictError(_(
                "Another worker (process {pid}) is already running on SQLite database {path}. "
                "SQLite allows one worker at a time: stop that worker first, or use PostgreSQL "
                "to run several."
            ).format(pid=holder, path=database)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        os.close(descriptor)
