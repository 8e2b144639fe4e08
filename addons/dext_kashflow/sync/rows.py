"""The lists' rows read, inserted and deactivated with SQL, not through
search(), create() and write().

The lists are a read-only copy of KashFlow, and the ORM's checks (reading
every new row back to validate it) took most of a refresh of a big account.
What those checks would hold is held here or by the database; see "The
refresh writes the lists with SQL" in the developer guide.
"""
from sql import Column, Literal, Select
from sql.aggregate import Count, Max
from sql.functions import CurrentTimestamp
from trytond import backend
from trytond.model.fields import SQL_OPERATORS
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

# Rows sent to the database at once by an INSERT (SQLite).
INSERT_ROWS = 1000
# Written by the ORM itself as it inserts or updates a row.
AUDIT_COLUMNS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


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


def count_rows(Model, where):
    "The number of rows of Model's table where where(table) holds"
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(Count(Literal(1)), where=where(table)))
    return cursor.fetchone()[0]


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
    given = set().union(*vlist)
    defaults = _defaults(Model, given)
    names = sorted(given | defaults.keys())
    _check_required(Model, names, vlist, defaults)
    # Column by column: the checks run over a whole column at once.
    columns = [_prepared(Model._fields[n], [row.get(n, defaults.get(n)) for row in vlist])
        for n in names]
    values = list(zip(*columns, strict=True))
    # PostgreSQL hands out the ids as create() takes them; SQLite gives
    # them as it inserts, and only one transaction writes at a time.
    ids = transaction.database.nextid(
        transaction.connection, Model._table, len(vlist))
    if isinstance(ids, int):  # nextid() gives a single id alone
        ids = [ids]
    if ids:
        _copy(Model, ['id', *names], [
                (id_, *row) for id_, row in zip(ids, values, strict=True)])
    else:
        ids = _insert(Model, names, values)
    transaction.counter += 1
    Model._count_cache.set(Model.__name__, None)
    transaction.create_records[Model.__name__].extend(ids)
    return ids


def _copy(Model, names, values):
    """PostgreSQL: the rows in one COPY, the fastest way in; their
    create_date is the transaction's time, as CURRENT_TIMESTAMP gives it."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    cursor.execute('SELECT CAST(CURRENT_TIMESTAMP AS TIMESTAMP)')
    now, = cursor.fetchone()
    audit = (transaction.user, now)
    columns = ', '.join(
        f'"{n}"' for n in ['create_uid', 'create_date', *names])
    with cursor.copy(
            f'COPY "{Model._table}" ({columns}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(audit + row)


def _insert(Model, names, values):
    """SQLite: one INSERT run for many rows at once (executemany); return
    the ids the database gave them."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    cursor.execute(*table.select(Max(table.id)))
    last_id = cursor.fetchone()[0] or 0
    # The transaction's time, as CURRENT_TIMESTAMP gives it, asked once.
    cursor.execute(*Select([CurrentTimestamp()]))
    audit = (transaction.user, cursor.fetchone()[0])
    columns = [table.create_uid, table.create_date,
        *(Column(table, n) for n in names)]
    query, _ = tuple(table.insert(columns, [[0] * len(columns)]))
    for batch in grouped_slice(values, INSERT_ROWS):
        cursor.executemany(query, [audit + row for row in batch])
    cursor.execute(*table.select(table.id, where=table.id > last_id))
    return [r[0] for r in cursor]


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


def _prepared(field, values):
    """The values of a column as the database stores them.

    The refresh makes its values with the field's Python type, stripped
    (sync/from_kashflow.py): then they go as they are, checked a column at
    once; otherwise each goes through the field's sql_format(), as create()
    would send it.
    """
    # A Many2One's value is the id of its record.
    plain = {type(None), int if field._type == 'many2one' else field._py_type}
    if set(map(type, values)) <= plain:
        strip = getattr(field, 'strip', False)
        texts = [v for v in values if v is not None] if strip else []
        if texts == list(map(str.strip, texts)):
            return values
    return [None if v is None else field.sql_format(v) for v in values]


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
