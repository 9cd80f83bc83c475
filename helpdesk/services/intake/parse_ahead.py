"""Parse fetched mail in a worker process while the ingester stores the batch before it.

Parsing is the largest part of ingestion's work and needs nothing but the bytes. A pass over
more than one batch hands each batch to a worker process as soon as it is fetched, so the
parsing of one batch and the storing of the one before it run side by side on two cores.

Each parse has limits: a time limit (in the worker, and in the ingester's main thread when it
parses itself) and, in the worker, a memory limit. A message over a limit is reported as
Unparsed, so the ingester counts it as a failed attempt without parsing it again. A worker that
dies or does not answer in time leaves its batch to the ingester, message by message with every
attempt counted first (services/ingest.py): whatever killed the worker cannot block the mailbox.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass

from helpdesk.domain.mail.parse import ParsedEmail, parse_email

log = logging.getLogger(__name__)


class ParseTimeout(Exception):
    """A parse ran over its time limit (not a TimeoutError: that is an OSError, which the
    ingester takes for trouble with the server or disk, not with the message)."""


@dataclass(frozen=True)
class Unparsed:
    """A message the worker failed to parse, within its limits; the error, as text."""

    error: str


Parsed = ParsedEmail | Unparsed


class AheadParser:
    """Hands batches to a worker process; without one, `start` leaves parsing to the caller."""

    def __init__(self, pool: ProcessPoolExecutor | None, max_attachment_bytes: int,
                 seconds: float = 0):
        self.pool = pool
        self.max_attachment_bytes = max_attachment_bytes
        self.seconds = seconds

    @property
    def working(self) -> bool:
        """A worker process parses batches handed to `start`."""
        return self.pool is not None

    def ready(self, timeout: float) -> bool:
        """The worker process has started and answers; False: it cannot, and is stopped."""
        if self.pool is None:
            return False
        try:
            self.pool.submit(_ready).result(timeout)
        except Exception as error:  # BrokenProcessPool: it died starting; or it hangs
            log.warning("a parsing worker did not start (%s: %s)", type(error).__name__, error)
            self._stop()
            return False
        return True

    def start(self, raws: dict[int, bytes]) -> Future | None:
        """Parsing of `raws` under way in the worker, or None (no worker, nothing to parse)."""
        if self.pool is None or not raws:
            return None
        try:
            future = self.pool.submit(parse_within_limits, raws, self.max_attachment_bytes,
                                      self.seconds)
        except RuntimeError as error:  # the pool broke earlier: BrokenProcessPool
            log.warning("parsing ahead stopped (%s); parsing in the ingester", error)
            self.pool = None
            return None
        future.messages = len(raws)
        return future

    def result(self, parsing: Future | None) -> dict[int, Parsed] | None:
        """What the worker parsed, by UID; {} if nothing was handed to it; None if it failed
        (died, raised, did not answer in time), and the caller parses with care."""
        if parsing is None:
            return {}
        # Each message has its own limit in the worker; this is for a worker that hangs whole.
        timeout = self.seconds * (getattr(parsing, "messages", 1) + 1) if self.seconds else None
        try:
            return parsing.result(timeout)
        except FutureTimeout:
            log.warning("a parsing worker did not answer in %.0f s; stopped", timeout)
            self._stop()
            return None
        except Exception as error:  # the ingester parses the batch itself
            log.warning("parsing a batch ahead failed (%s: %s); parsing it in the ingester",
                        type(error).__name__, error)
            if self.pool is not None and getattr(self.pool, "_broken", False):
                self._stop()
            return None

    def _stop(self) -> None:
        """No more parsing ahead in this pass; a hanging worker is killed."""
        if self.pool is None:
            return
        # ProcessPoolExecutor has no public way to end a busy worker (Python 3.14 adds one).
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.kill()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None


def parse_within_limits(raws: dict[int, bytes], max_attachment_bytes: int,
                        seconds: float) -> dict[int, Parsed]:
    """Each message parsed within the time limit (the worker's task): ParsedEmail or Unparsed."""
    parsed: dict[int, Parsed] = {}
    for key, raw in raws.items():
        try:
            with time_limit(seconds):
                parsed[key] = parse_email(raw, max_attachment_bytes=max_attachment_bytes)
        except Exception as error:  # reported per message, the rest go on
            parsed[key] = Unparsed(f"{type(error).__name__}: {error}"[:400])
    return parsed


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ParseTimeout in the block after `seconds`; only in the main thread (signals)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def over(signum, frame):
        raise ParseTimeout(f"parsing took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def ahead_parser(workers: int, max_attachment_bytes: int, seconds: float = 0,
                 memory_mb: int = 0) -> Iterator[AheadParser]:
    """A parser with `workers` worker processes (0: none), shut down on leaving."""
    pool = _started_pool(workers, memory_mb) if workers > 0 else None
    parser = AheadParser(pool, max_attachment_bytes, seconds)
    try:
        yield parser
    finally:
        if parser.pool is not None:
            parser.pool.shutdown(wait=True, cancel_futures=True)


def _started_pool(workers: int, memory_mb: int) -> ProcessPoolExecutor | None:
    """Worker processes, starting now; None when the system will not start them."""
    pool = None
    try:
        # Spawned, not forked: the ingester may run beside other threads (the worker's jobs).
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_become_worker, initargs=(memory_mb,))
        pool.submit(_ready)  # the worker starts while the first batch is fetched and stored
    except (OSError, RuntimeError) as error:  # no /dev/shm, a process limit, a sandbox
        log.warning("no parsing worker (%s); parsing in the ingester", error)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return None
    return pool


def _become_worker(memory_mb: int = 0) -> None:
    """In the worker: Ctrl-C is for the ingester to handle, and the worker ends with it; a
    parse that wants more memory than the limit raises MemoryError instead of an OOM kill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (
            limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    ingester = multiprocessing.parent_process()
    if ingester is not None:  # killed outright, the ingester cannot shut its worker down
        threading.Thread(target=_exit_after, args=(ingester,), daemon=True).start()


def _exit_after(ingester) -> None:
    ingester.join()
    os._exit(0)


def _ready() -> None:
    """Nothing: submitted first, so the worker process starts (and imports) at once."""
