"""A bulk publish cut into tasks that several queue workers share.

The documents of one partner go together, oldest first, at most TASK_SIZE
per task: a task reads its partner's documents in KashFlow once, for the
duplicate check. Planning reads a few columns of each invoice straight from
its table: for the thousands of a month end, records would cost more than
the plan.
"""
import datetime as dt
import re
from dataclasses import dataclass

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .prepare import reference

# The most documents one queued task publishes.
TASK_SIZE = 20


@dataclass(frozen=True)
class ToPublish:
    "What planning needs of an invoice (ids for its company and party)"
    id: int
    company: int
    type: str
    party: int
    invoice_date: dt.date | None
    number: str | None
    reference: str | None


def publish_order(invoice):
    """By date, then number as people read it (9 before 10): KashFlow's
    numbers follow the dates. For an invoice or a ToPublish."""
    number = [int(part) if part.isdigit() else part
        for part in re.split(r'(\d+)', invoice.number or '')]
    return (invoice.invoice_date or dt.date.max, number, invoice.id)


def plan_tasks(documents):
    """The ids of documents (ToPublish) as tasks: a partner's documents
    together, oldest first, at most TASK_SIZE each; the tasks of the oldest
    documents first.

    Documents of a partner with the same reference go in one task, so that
    the duplicate check stops the second, as when one task published them
    all (two tasks at once would both send theirs)."""
    tasks, partners = [], {}
    for document in sorted(documents, key=publish_order):
        partner = partners.setdefault(
            (document.company, document.type, document.party),
            {'task': None, 'references': {}})
        key = reference(document).strip().casefold()
        task = partner['references'].get(key) if key else None
        if task is None:
            if partner['task'] is None or len(partner['task']) >= TASK_SIZE:
                partner['task'] = []
                tasks.append(partner['task'])
            task = partner['task']
        task.append(document.id)
        if key:
            partner['references'][key] = task
    return tasks


def read_to_publish(invoice_ids):
    "The ToPublish of each invoice id, read from the invoices' table"
    table = Pool().get('account.invoice').__table__()
    cursor = Transaction().connection.cursor()
    documents = []
    for part in grouped_slice(invoice_ids, backend.MAX_QUERY_PARAMS):
        cursor.execute(*table.select(table.id, table.company, table.type,
                table.party, table.invoice_date, table.number, table.reference,
                where=fields.SQL_OPERATORS['in'](table.id, list(part))))
        documents.extend(ToPublish(*row) for row in cursor)
    return documents
