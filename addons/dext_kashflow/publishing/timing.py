"""Where publishing's time goes, for bench/publish.py.

At DEBUG, the logger dext_kashflow.timing logs each part measured with
timed(): the record's kashflow_timing attribute holds {'part', 'wall', 'cpu'}
(seconds; CPU of the calling thread, which other processes do not inflate).
Otherwise timed() costs one check of the level.
"""
import logging
import time
from contextlib import contextmanager

logger = logging.getLogger('dext_kashflow.timing')


@contextmanager
def timed(part):
    if not logger.isEnabledFor(logging.DEBUG):
        yield
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        figures = {'part': part, 'wall': time.perf_counter() - wall,
            'cpu': time.thread_time() - cpu}
        logger.debug("%(part)s: %(wall).4f s", figures,
            extra={'kashflow_timing': figures})
