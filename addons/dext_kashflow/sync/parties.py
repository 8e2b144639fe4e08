"""KashFlow's suppliers and customers linked to the Tryton parties they
stand for, once a refresh has brought them up to date."""
from sql import Literal, Null
from trytond.pool import Pool

from .rows import read_rows


def link_parties(Model, connection):
    """Link unlinked rows to the party of the same code or name.

    Codes are compared first, then names, ignoring case; a match is taken
    only when it is unique and the party is not linked to another row yet.
    Return the number of rows linked.
    """
    Party = Pool().get('party.party')
    rows = read_rows(Model, ['id', 'code', 'name'],
        lambda t: (t.connection == connection.id) & (t.active == Literal(True))
        & (t.party == Null))
    if not rows:
        return 0
    taken = {r['party'] for r in read_rows(Model, ['party'],
                lambda t: (t.connection == connection.id) & (t.party != Null))}
    by_code, by_name = {}, {}
    for party in read_rows(Party, ['id', 'code', 'name'],
            lambda t: t.active == Literal(True)):
        if party['id'] in taken:
            continue
        for index, value in ((by_code, party['code']), (by_name, party['name'])):
            if value:
                index.setdefault(value.strip().lower(), []).append(party['id'])
    if not by_code and not by_name:
        return 0
    to_write = []
    for row in rows:
        for index, value in ((by_code, row['code']), (by_name, row['name'])):
            candidates = index.get((value or '').lower())
            if not candidates:
                continue
            candidates = [c for c in candidates if c not in taken]
            if len(candidates) == 1:
                taken.add(candidates[0])
                to_write.extend(([Model(row['id'])], {'party': candidates[0]}))
                break
    if to_write:
        Model.write(*to_write)
    return len(to_write) // 2
