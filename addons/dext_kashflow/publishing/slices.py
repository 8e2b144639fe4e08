"""Many records, a slice at a time.

trytond checks each record it makes against the whole list it was browsed
with, so browsing n records costs n * n: for the 2,000 invoices of a month
end, seconds before any work. Browsing them a slice at a time keeps the cost
in proportion, for one more query per slice.
"""
from trytond.tools import grouped_slice

SLICE_SIZE = 100
# A queued task copies the context it was queued in, and trytond freezes the
# context for each cache lookup: the ids a person selected (thousands, for a
# bulk publish) are not the task's to carry.
NO_SELECTION = {'active_id': None, 'active_ids': None, 'active_model': None}


def browse_slices(Model, ids, size=SLICE_SIZE):
    "The records of Model for ids, as lists of at most size browsed apart"
    for part in grouped_slice([int(i) for i in ids], size):
        yield Model.browse(part)


def browse_sliced(Model, ids, size=SLICE_SIZE):
    "The records of Model for ids in one list, browsed a slice at a time"
    return [r for records in browse_slices(Model, ids, size) for r in records]


def search_sliced(Model, field, ids, domain=(), size=SLICE_SIZE):
    """The records of Model whose field is in ids (and that match domain),
    searched a slice of ids at a time: for a field that few records share"""
    found = []
    for part in grouped_slice([int(i) for i in ids], size):
        found.extend(Model.search([(field, 'in', list(part)), *domain], order=[]))
    return found
