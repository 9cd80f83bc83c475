"""Parse fetched mail in a worker process while the ingester stores the batch before it.

Parsing is the largest part of ingestion's work and needs nothing but the bytes. A pass over
more than one batch hands each batch to a worker process as soon as it is fetched, so the
parsing of one batch and the storing of the one before it run side by side on two cores.
Whatever goes wrong in the worker (it died, it raised) leaves the batch to be parsed here, as
a pass of a single batch always is: the outcome is the same, only slower.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from helpdesk.domain.mail_parse import ParsedEmail, parse_many

log = logging.getLogger(__name__)


class AheadParser:
    """Hands batches to a worker process; without one, `start` leaves parsing to the caller."""

    def __init__(self, pool: ProcessPoolExecutor | None, max_attachment_bytes: int):
        self.pool = pool
        self.max_attachment_bytes = max_attachment_bytes

    @property
    def working(self) -> bool:
        """A worker process parses batches handed to `start`."""
        return self.pool is not None

    def start(self, raws: dict[int, bytes]) -> Future | None:
        """Parsing of `raws` under way in the worker, or None (no worker, nothing to parse)."""
        if self.pool is None or not raws:
            return None
        try:
            return self.pool.submit(parse_many, raws, self.max_attachment_bytes)
        except RuntimeError as error:  # the pool broke earlier: BrokenProcessPool
            log.warning("parsing ahead stopped (%s); parsing in the ingester", error)
            self.pool = None
            return None

    def result(self, parsing: Future | None) -> dict[int, ParsedEmail]:
        """What the worker parsed, by UID; empty when it did not, and the caller parses."""
        if parsing is None:
            return {}
        try:
            return parsing.result()
        except Exception as error:  # noqa: BLE001 - the ingester parses the batch itself
            log.warning("parsing a batch ahead failed (%s: %s); parsing it in the ingester",
                        type(error).__name__, error)
            return {}


@contextmanager
def ahead_parser(workers: int, max_attachment_bytes: int) -> Iterator[AheadParser]:
    """A parser with `workers` worker processes (0: none), shut down on leaving."""
    pool = _started_pool(workers) if workers > 0 else None
    try:
        yield AheadParser(pool, max_attachment_bytes)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _started_pool(workers: int) -> ProcessPoolExecutor | None:
    """Worker processes, starting now; None when the system will not start them."""
    pool = None
    try:
        # Spawned, not forked: the ingester may run beside other threads (the worker's jobs).
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_become_worker)
        pool.submit(_ready)  # the worker starts while the first batch is fetched and stored
    except (OSError, RuntimeError) as error:  # no /dev/shm, a process limit, a sandbox
        log.warning("no parsing worker (%s); parsing in the ingester", error)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return None
    return pool


def _become_worker() -> None:
    """In the worker: Ctrl-C is for the ingester to handle, and the worker ends with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ingester = multiprocessing.parent_process()
    if ingester is not None:  # killed outright, the ingester cannot shut its worker down
        threading.Thread(target=_exit_after, args=(ingester,), daemon=True).start()


def _exit_after(ingester) -> None:
    ingester.join()
    os._exit(0)


def _ready() -> None:
    """Nothing: submitted first, so the worker process starts (and imports) at once."""
