"""Retrying transient failures with exponential backoff and jitter.

Which failures are safe to retry is decided before they get here (see
kashflow.failures): every TransientError is retried except an
UnclearOutcomeError, which only the caller can resolve.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import TransientError, UnclearOutcomeError

T = TypeVar("T")
logger = logging.getLogger("kashflow")


@dataclass
class RetryPolicy:
    max_retries: int = 3  # attempts after the first
    backoff: float = 0.5  # seconds before the first retry; doubled each time
    max_backoff: float = 30.0
    # A longer Retry-After than this is not waited for: the caller can reschedule.
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = field(default=random.random)

    def delay(self, retry: int, error: TransientError) -> float | None:
        """Seconds to wait before retry number `retry` (from 0), or None to give up."""
        base = min(self.max_backoff, self.backoff * 2**retry)
        # "Equal jitter": half fixed, half random, so clients that failed
        # together do not come back together.
        wait = base / 2 + self.random() * base / 2
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = max(wait, error.retry_after)
        return wait

    def run(self, call: Callable[[], T], what: str = "") -> T:
        retry = 0
        while True:
            try:
                return call()
            except UnclearOutcomeError:
                raise
            except TransientError as error:
                error.attempts = retry + 1
                wait = self.delay(retry, error) if retry < self.max_retries else None
                if wait is None:
                    raise
                logger.info("KashFlow %s failed (%s); retry %d of %d in %.2f s", what,
                            error.message, retry + 1, self.max_retries, wait)
                self.sleep(wait)
                retry += 1
