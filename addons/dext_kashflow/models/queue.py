"""The queue worker wakes up when a task scheduled for later is due.

A document KashFlow's pause holds, or a failed one, is retried by a task
scheduled for that time. trytond 8.0 on PostgreSQL tells its worker how
long to sleep until the next scheduled task only when it has just taken a
task; with nothing to take it sleeps its whole timeout (a minute by
default), so those retries ran up to a minute late. With nothing to take,
the wait until the next scheduled task is asked for here.
"""
from sql import Literal, Null
from sql.aggregate import Min
from sql.functions import CurrentTimestamp, Extract
from trytond.pool import PoolMeta


class Queue(metaclass=PoolMeta):
    __name__ = 'ir.queue'

    @classmethod
    def pull(cls, database, connection, name=None):
        task_id, seconds = super().pull(database, connection, name=name)
        if task_id is None and seconds is None:
            seconds = cls.seconds_to_next_task(connection, name)
        return task_id, seconds

    @classmethod
    def seconds_to_next_task(cls, connection, name=None):
        "Seconds until the next task scheduled for later is due, or None"
        queue = cls.__table__()
        cursor = connection.cursor()
        cursor.execute(*queue.select(
                Min(Extract('EPOCH', queue.scheduled_at - CurrentTimestamp())),
                where=((queue.name == name) if name else Literal(True))
                & (queue.dequeued_at == Null)
                & (queue.scheduled_at >= CurrentTimestamp())))
        seconds, = cursor.fetchone()
        # A Decimal on PostgreSQL, which the worker's selector cannot take
        return float(seconds) if seconds is not None else None
