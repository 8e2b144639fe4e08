"""Two refreshes of one connection at the same moment (the button and the cron,
or two administrators): one copies KashFlow's lists, the other waits its turn
and then finds nothing left to change.

Each refresh is the queue's task run in a thread of its own, with its own
database connection, as two queue workers would run them. This needs a
database two connections share: the test runs on PostgreSQL only (CI runs the
module's tests there too).
"""
import threading

import pytest
from trytond import backend

pytestmark = pytest.mark.skipif(
    backend.name != 'postgresql',
    reason="needs a database shared by two connections (PostgreSQL)")


def queue_refresh(books):
    "Press Refresh, committed, as in another process: the id of the task it queued"
    from trytond.transaction import Transaction

    from .tools import in_transaction

    def press(pool):
        Connection = pool.get('kashflow.connection')
        Queue = pool.get('ir.queue')
        Connection.queue_refresh([Connection(books.connection.id)])
        return max(t.id for t in Queue.search([]) if is_refresh(t))
    task_id = in_transaction(press)
    # Without a worker, trytond runs the tasks a thread queued after its next
    # call: this one is for the test to run.
    Transaction().tasks.remove(task_id)
    return task_id


def is_refresh(task):
    return (task.data['model'], task.data['method']) == (
        'kashflow.connection', 'sync_lists')


def run_tasks_together(books, task_ids):
    "Run the queued tasks in threads of their own, all at once"
    from trytond.worker import run_task

    barrier = threading.Barrier(len(task_ids))
    errors = []

    def run(task_id):
        try:
            barrier.wait()
            run_task(books.database_name, task_id)
        except Exception as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=run, args=(i,)) for i in task_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def waiting_tasks(books):
    "The refresh tasks still in the queue"
    from .tools import in_transaction
    return in_transaction(lambda pool: [t.id for t in pool.get('ir.queue').search([
                    ('finished_at', '=', None)]) if is_refresh(t)])


def test_two_refreshes_at_once(connected_books):
    from proteus import Model

    books = connected_books
    books.kashflow.add(books.username, 'suppliers', [
            {'Code': f'NEW{i}', 'Name': f"New Supplier {i}"} for i in range(3)])
    # KashFlow is slow, so that the first refresh is still reading when the
    # second one starts, whichever goes first.
    books.kashflow.fault('GetSuppliers', 'delay', times=2, delay_ms=1000)
    tasks = [queue_refresh(books), queue_refresh(books)]

    assert run_tasks_together(books, tasks) == []

    connection = Model.get('kashflow.connection')(books.connection.id)
    assert connection.refresh_state == 'done', connection.refresh_summary
    assert "3 new" in connection.refresh_summary
    Supplier = Model.get('kashflow.supplier')
    assert len(Supplier.find([('code', 'like', 'NEW%')])) == 3

    # The second refresh was put back in the queue: run, it changes nothing.
    again, = [t for t in waiting_tasks(books) if t not in tasks]
    assert run_tasks_together(books, [again]) == []
    connection.reload()
    assert connection.refresh_state == 'done'
    assert "3 new" not in connection.refresh_summary
    assert "(0 new, 0 changed, 0 deactivated)" in connection.refresh_summary
    assert len(Supplier.find([('code', 'like', 'NEW%')])) == 3
