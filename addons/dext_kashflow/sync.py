"""The refresh: read KashFlow's lists, then bring Tryton's copy up to date.

fetch() only talks to KashFlow and apply() only writes to the database, so a
KashFlow failure never leaves a list half refreshed. apply() reads the rows of
a list once, keyed by KashFlow id, and writes only what changed: a refresh
with nothing new in KashFlow writes nothing.
"""
from dataclasses import dataclass, field

from sql import Column
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

LISTS = [
    'kashflow.nominal',
    'kashflow.vat_rate',
    'kashflow.supplier',
    'kashflow.customer',
    'kashflow.bank_account',
    'kashflow.project',
    'kashflow.payment_method',
    ]
BATCH = 100


@dataclass
class Stats:
    active: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    linked: int = 0
    # What was deactivated, by name, for the summary.
    deactivated_names: list = field(default_factory=list)

    @property
    def writes(self):
        return self.created + self.updated + self.deactivated + self.linked


def fetch(client):
    "Read every list from KashFlow: {model name: [field values]}"
    pool = Pool()
    return {name: pool.get(name).kashflow_fetch(client) for name in LISTS}


def apply(connection, data):
    "Upsert every list of data for connection; return {model name: Stats}"
    pool = Pool()
    stats = {}
    for name in LISTS:
        Model = pool.get(name)
        stats[name] = upsert(Model, connection, data[name])
        stats[name].linked = Model.after_refresh(connection)
    return stats


def same(old, new):
    if isinstance(old, str) or isinstance(new, str):
        return (old or None) == (new or None)
    return old == new


def upsert(Model, connection, rows):
    names = Model.kashflow_fields()
    key_of = _key_function(Model._kashflow_key)
    current = {key_of(r): r for r in read_rows(
            Model, ['id', 'active', *names],
            lambda t: t.connection == connection.id)}
    stats = Stats()
    seen, to_create, to_write = set(), [], []
    for values in rows:
        key = key_of(values)
        if key in seen:
            continue
        seen.add(key)
        old = current.get(key)
        if old is None:
            to_create.append({**values, 'connection': connection.id})
            continue
        changes = {n: v for n, v in values.items() if not same(old[n], v)}
        if not old['active']:
            changes['active'] = True
        if changes:
            to_write.append((old['id'], changes))
    gone = [r['id'] for k, r in current.items()
        if k not in seen and r['active']]

    for batch in grouped_slice(to_create, BATCH):
        Model.create(list(batch))
    for batch in grouped_slice(to_write, BATCH):
        args = []
        for id_, changes in batch:
            args.extend(([Model(id_)], changes))
        Model.write(*args)
    for batch in grouped_slice(gone, BATCH):
        records = Model.browse(list(batch))
        stats.deactivated_names.extend(r.rec_name for r in records)
        Model.write(records, {'active': False})

    stats.active = len(seen)
    stats.created = len(to_create)
    stats.updated = len(to_write)
    stats.deactivated = len(gone)
    return stats


def read_rows(Model, names, where):
    """The rows of Model's table where where(table) holds, as dicts.

    search() and read() would do, but browsing tens of thousands of records
    costs time that grows with the square of their number.
    """
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            *(Column(table, n) for n in names), where=where(table)))
    rows = [dict(zip(names, row, strict=True)) for row in cursor]
    booleans = [n for n in names if Model._fields[n]._type == 'boolean']
    for row in rows:
        for name in booleans:
            row[name] = bool(row[name])
    return rows


def _key_function(fields):
    return lambda values: tuple(values[f] for f in fields)


def summary(stats):
    "A few lines for the connection form: counts and changes per list"
    pool = Pool()
    lines = []
    for name, stat in stats.items():
        lines.append(gettext('dext_kashflow.msg_refresh_summary_line',
                list=pool.get(name).__names__()['model'],
                count=stat.active, created=stat.created,
                updated=stat.updated, deactivated=stat.deactivated))
        if stat.deactivated_names:
            lines.append(gettext('dext_kashflow.msg_refresh_deactivated',
                    names=', '.join(sorted(stat.deactivated_names))))
    return '\n'.join(lines)
