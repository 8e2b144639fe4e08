"""One pace per KashFlow connection, shared by every worker.

When KashFlow answers "too many requests", every run on that connection
backs off, not only the one that was told: the connection is paused until a
time written in a transaction of its own, committed at once, and each run
looks at it before calling KashFlow. A run in the background that finds the
connection paused sends nothing; its document waits, and is retried when the
pause ends. (A person who clicks Publish gets the one attempt they asked for.)
"""
import datetime as dt

import trytond.config as config
from sql import Null
from trytond import backend
from trytond.transaction import Transaction


def pause_length():
    """The least time a rate limit pauses the connection; longer when
    KashFlow says so ([dext_kashflow] rate_limit_pause, seconds)"""
    return dt.timedelta(seconds=config.getfloat(
            'dext_kashflow', 'rate_limit_pause', default=10))


def paused_until(connection):
    "When the connection's pause ends, or None when it is not paused"
    # Read from the table: another worker may have paused it since this
    # transaction read the connection.
    table = connection.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.paused_until,
            where=table.id == connection.id))
    row = cursor.fetchone()
    until = row[0] if row else None
    if isinstance(until, str):  # SQLite without its converters
        until = dt.datetime.fromisoformat(until)
    if until and until > dt.datetime.now():
        return until
    return None


def pause(connection, retry_after=None):
    """Pause connection for every run: for the configured length, or as
    long as KashFlow asked (retry_after, seconds) when longer. Returns its end."""
    until = dt.datetime.now() + max(pause_length(),
        dt.timedelta(seconds=retry_after or 0))
    table = connection.__table__()
    with Transaction().new_transaction() as transaction:
        try:
            transaction.connection.cursor().execute(*table.update(
                    [table.paused_until], [until],
                    where=(table.id == connection.id)
                    & ((table.paused_until == Null)
                        | (table.paused_until < until))))
            transaction.commit()
        except backend.DatabaseOperationalError:
            # Another run paused it at this moment: its pause holds.
            transaction.rollback()
    return until

