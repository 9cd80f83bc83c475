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
    if workers <= 0:
        yield AheadParser(None, max_attachment_bytes)
        return
    # Spawned, not forked: the ingester may run beside other threads (the worker's jobs).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_ready)  # the worker starts now, while the first batch is fetched and stored
    try:
        yield AheadParser(pool, max_attachment_bytes)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ready() -> None:
    """Nothing: submitted first, so the worker process starts (and imports) at once."""
