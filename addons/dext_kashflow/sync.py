"""The refresh: read KashFlow's lists, then bring Tryton's copy up to date.

fetch() only talks to KashFlow and apply() only writes to the database, so a
KashFlow failure never leaves a list half refreshed. apply() reads the rows of
a list once, keyed by KashFlow id, and writes only what changed: a refresh
with nothing new in KashFlow writes nothing.

New rows are inserted and vanished ones deactivated with SQL, not through
create() and write(): the lists are a read-only copy of KashFlow, and the
ORM's checks (reading every new row back to validate it) took most of a
refresh of a big account. What those checks would hold is held here or by the
database; see "The refresh writes the lists with SQL" in the developer guide.
"""
from dataclasses import dataclass, field

from sql import Column
from sql.aggregate import Max
from sql.functions import CurrentTimestamp
from trytond import backend
from trytond.i18n import gettext
from trytond.model.fields import SQL_OPERATORS
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
# Rows sent to the database at once by an INSERT.
INSERT_ROWS = 1000
# Written by the ORM itself as it inserts or updates a row.
AUDIT_COLUMNS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


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

    insert_rows(Model, to_create)
    # Few rows change from one refresh to the next: the ORM writes them.
    for batch in grouped_slice(to_write, BATCH):
        args = []
        for id_, changes in batch:
            args.extend(([Model(id_)], changes))
        Model.write(*args)
    for batch in grouped_slice(gone, BATCH):
        records = Model.browse(list(batch))
        stats.deactivated_names.extend(r.rec_name for r in records)
    deactivate_rows(Model, gone)

    stats.active = len(seen)
    stats.created = len(to_create)
    stats.updated = len(to_write)
    stats.deactivated = len(gone)
    return stats


def insert_rows(Model, vlist):
    """Insert vlist (field values) as new rows of Model; return their ids.

    What Model.create() writes: the defaults of the fields not given (active),
    who created the rows and when; a required field left empty is refused
    here, as SQLite does not enforce NOT NULL; the unique key is the
    database's. Trytond's caches are told as create() tells them.
    """
    if not vlist:
        return []
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    given = set().union(*vlist)
    defaults = _defaults(Model, given)
    names = sorted(given | defaults.keys())
    _check_required(Model, names, vlist, defaults)
    formats = [Model._fields[n].sql_format for n in names]
    # PostgreSQL hands out the ids as create() takes them; SQLite gives
    # them as it inserts, and only one transaction writes at a time.
    ids = transaction.database.nextid(
        transaction.connection, Model._table, len(vlist))
    if isinstance(ids, int):  # nextid() gives a single id alone
        ids = [ids]
    if ids is None:
        cursor.execute(*table.select(Max(table.id)))
        last_id = cursor.fetchone()[0] or 0
    columns = [table.create_uid, table.create_date,
        *([table.id] if ids else []), *(Column(table, n) for n in names)]
    # One statement, its parameters sent for many rows at once: a VALUES
    # list of thousands of placeholders costs the driver more.
    query, _ = tuple(table.insert(
            columns, [[0, CurrentTimestamp(), *([0] * (len(columns) - 2))]]))
    user = transaction.user
    for start in range(0, len(vlist), INSERT_ROWS):
        batch = vlist[start:start + INSERT_ROWS]
        batch_ids = [[i] for i in ids[start:start + INSERT_ROWS]] if ids else (
            [[]] * len(batch))
        cursor.executemany(query, [
                [user, *id_, *(format_(row.get(n, defaults.get(n)))
                        for n, format_ in zip(names, formats, strict=True))]
                for row, id_ in zip(batch, batch_ids, strict=True)])
    if ids is None:
        cursor.execute(*table.select(table.id, where=table.id > last_id))
        ids = [r[0] for r in cursor]
    transaction.counter += 1
    Model._count_cache.set(Model.__name__, None)
    transaction.create_records[Model.__name__].extend(ids)
    return ids


def deactivate_rows(Model, ids):
    "Mark the rows of ids inactive, as Model.write() would"
    if not ids:
        return
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    inactive = Model._fields['active'].sql_format(False)
    for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
        cursor.execute(*table.update(
                [table.active, table.write_uid, table.write_date],
                [inactive, transaction.user, CurrentTimestamp()],
                where=SQL_OPERATORS['in'](table.id, list(sub_ids))))
    # Records read earlier in this transaction read these rows again.
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Model.__name__ in cache:
            records = cache[Model.__name__]
            for id_ in ids:
                records.pop(id_, None)


def _defaults(Model, given):
    "The default values create() would give the columns not in given"
    missing = [n for n, f in Model._fields.items()
        if n not in given and n not in AUDIT_COLUMNS
        and not hasattr(f, 'set')]
    if not missing:
        return {}
    return Model._clean_defaults(
        Model.default_get(missing, with_rec_name=False))


def _check_required(Model, names, vlist, defaults):
    required = [n for n in names if Model._fields[n].required]
    for row in vlist:
        for name in required:
            if row.get(name, defaults.get(name)) is None:
                raise ValueError(
                    f"{Model.__name__}: no {name} in the row {row!r}")


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
