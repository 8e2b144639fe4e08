"""The references of each partner's documents in KashFlow, read once per batch.

Before a document is first sent, the publisher looks for its reference among
its partner's documents in KashFlow (a bill typed in by hand must not arrive
twice). KashFlow can only list all of a partner's documents, so a batch of a
supplier's bills reads the list once, then adds what it sends itself.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    "A document of the partner in KashFlow"
    number: int
    db_id: int | None  # None: sent by this batch, its id not read back


def _key(reference):
    return (reference or '').strip().casefold()


class KnownDocuments:
    "{(connection, kind, partner): {reference: [Known]}}, filled on demand"

    def __init__(self):
        self._partners = {}

    def find(self, connection_id, kind, party_id, reference, read):
        """The partner's documents with reference; read() lists them from
        KashFlow the first time the partner is asked for."""
        key = (connection_id, kind, party_id)
        if key not in self._partners:
            references = {}
            for document in read():
                references.setdefault(_key(document.reference), []).append(
                    Known(document.number, document.db_id))
            self._partners[key] = references
        return list(self._partners[key].get(_key(reference), []))

    def add(self, connection_id, kind, party_id, reference, number):
        "A document this batch sent"
        references = self._partners.get((connection_id, kind, party_id))
        if references is not None:
            references.setdefault(_key(reference), []).append(Known(number, None))
