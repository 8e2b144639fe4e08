"""The refresh: read KashFlow's lists, then bring Tryton's copy up to date.

fetch() only talks to KashFlow and apply() only writes to the database, so a
KashFlow failure never leaves a list half refreshed. apply() reads the rows of
a list once, keyed by KashFlow id, and writes only what changed: a refresh
with nothing new in KashFlow writes nothing.

A list whose answer is byte for byte the one of the last refresh (its digest
is kept on the connection with the rows it wrote, in one transaction) is not
read again, nor its rows: most refreshes find most lists unchanged.
"""
import hashlib
import logging
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from operator import itemgetter

from sql import Literal
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tools import grouped_slice

from .from_kashflow import READ_ORDER, SOURCES, read
from .parties import link_parties
from .rows import count_rows, deactivate_rows, insert_rows, read_rows

logger = logging.getLogger(__name__)

BATCH = 100
# Lists read from KashFlow at once: while one answer is read, the next is on
# its way. The client is safe to share between threads.
READERS = 2
# Digests are kept with the version of the rows made from the answers: rows
# made otherwise (a field more, text cleaned another way) need every answer
# read again. Bump ROWS_VERSION when from_kashflow.py makes the same fields
# differently; the lists and their fields count by themselves.
ROWS_VERSION = 1
VERSION = hashlib.blake2b(repr((ROWS_VERSION, [(name, s.lists, s.fields)
                for name, s in SOURCES.items()])).encode(),
    digest_size=8).hexdigest()


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


@dataclass
class Fetched:
    "What fetch() read from KashFlow, for apply()"
    # {model name: [field values]}, None for a list answered as in known
    rows: dict
    # {list name: digest of KashFlow's answer}
    digests: dict


def known(connection):
    """The digests of the answers the last refresh wrote connection's lists
    from, {list name: digest}, for the lists whose rows are still the ones it
    left (as many active rows): a row added since, the partner a publication
    created in KashFlow, has its list read again, and deactivated if KashFlow
    no longer has it."""
    kept = connection.list_digests or {}
    if kept.get('version') != VERSION:
        return {}
    pool = Pool()
    lists, rows = kept.get('lists', {}), kept.get('rows', {})
    digests = {}
    for name, source in SOURCES.items():
        list_name, *others = source.lists
        digest = lists.get(list_name)
        if (not others and digest
                and rows.get(name) == active_rows(pool.get(name), connection)):
            digests[list_name] = digest
    return digests


def kept(fetched, stats):
    "What the connection keeps of a refresh for the next one's known()"
    return {
        'version': VERSION,
        'lists': fetched.digests,
        'rows': {name: stat.active for name, stat in stats.items()},
        }


def fetch(client, known=None):
    """Read every list from KashFlow, except those answered as in known
    ({list name: digest}, from known())"""
    started = time.perf_counter()
    known = known or {}

    def read_source(name):
        return read(client, SOURCES[name], known)

    # One list alone first: a refused login is refused once, as when the
    # lists were read one after the other, not once per list.
    first, *others = READ_ORDER
    data = {first: read_source(first)}
    with ThreadPoolExecutor(READERS, 'kashflow-list') as executor:
        futures = {executor.submit(read_source, name): name
            for name in others}
        # A failure stops the lists not started yet.
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
    failures = {futures[f]: f.exception() for f in futures
        if not f.cancelled() and f.exception() is not None}
    if failures:
        # The first in the refresh's own order, as before.
        raise failures[min(failures, key=list(SOURCES).index)]
    data.update((futures[f], f.result()) for f in futures)
    seconds = time.perf_counter() - started
    logger.debug("KashFlow's lists read in %.2f s", seconds,
        extra={'kashflow_fetch_seconds': seconds})
    digests = {}
    for _, list_digests in data.values():
        digests.update(list_digests)
    return Fetched({name: data[name][0] for name in SOURCES}, digests)


def apply(connection, fetched):
    """Upsert every list fetched for connection; return {model name: Stats}.
    The caller keeps kept(fetched, stats) on the connection, in this
    transaction."""
    pool = Pool()
    stats = {}
    for name, source in SOURCES.items():
        Model = pool.get(name)
        rows = fetched.rows[name]
        if rows is None:
            stats[name] = unchanged(Model, connection)
        else:
            stats[name] = upsert(Model, source.fields, connection, rows)
        if source.link_parties:
            stats[name].linked = link_parties(Model, connection)
    return stats


def unchanged(Model, connection):
    "The stats of a list KashFlow answered as at the last refresh"
    return Stats(active=active_rows(Model, connection))


def active_rows(Model, connection):
    return count_rows(Model, lambda t: (t.connection == connection.id)
        & (t.active == Literal(True)))


def same(old, new):
    if isinstance(old, str) or isinstance(new, str):
        return (old or None) == (new or None)
    return old == new


def upsert(Model, names, connection, rows):
    "Bring connection's rows of Model (its fields names) to rows"
    key_of = itemgetter(*Model._kashflow_key)
    values_of = itemgetter(*names)
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
        # Most rows have not changed: one comparison of all their values.
        if old['active'] and values_of(old) == values_of(values):
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
