"""The publication log: one line per call to KashFlow (or decision) made
while publishing a document, with what was sent and what came back."""
import json

from sql import Cast, Column, Literal
from sql.functions import CurrentTimestamp
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction


def to_text(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, indent=1, default=str, ensure_ascii=False)


class PublicationLog(ModelSQL, ModelView):
    __name__ = 'kashflow.publication.log'
    __string__ = "KashFlow Publication Log"

    publication = fields.Many2One(
        'kashflow.publication', "Publication", required=True, readonly=True,
        ondelete='CASCADE')
    invoice = fields.Many2One(
        'account.invoice', "Document", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Function(fields.DateTime("Date"), 'get_date')
    user = fields.Function(
        fields.Many2One('res.user', "User"), 'get_user')
    action = fields.Selection([
            ('check', "Check"),
            ('create_partner', "Create Supplier or Customer"),
            ('lookup', "Look Up"),
            ('duplicates', "Look for Duplicates"),
            ('send', "Send Document"),
            ('payment', "Send Payment"),
            ('attachment', "Send File"),
            ('credit', "Apply Credit Note"),
            ('compare', "Compare with KashFlow"),
            ('clear', "Clear Publication"),
            ('link', "Link to KashFlow Document"),
            ], "Action", readonly=True)
    outcome = fields.Selection([
            ('ok', "Done"),
            ('error', "Error"),
            ('unclear', "Unknown"),
            ('skipped', "Skipped"),
            ('differs', "Differs"),
            ], "Outcome", readonly=True)
    sent = fields.Text("Sent", readonly=True)
    received = fields.Text("Received", readonly=True)
    company = fields.Function(
        fields.Many2One('company.company', "Company"), 'get_company',
        searcher='search_company')
    # Sent and Received laid out for people to read: one "key: value" line
    # per value rather than the JSON they are stored as.
    sent_text = fields.Function(fields.Text("Sent"), 'get_text')
    received_text = fields.Function(fields.Text("Received"), 'get_text')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('id', 'DESC'))
        cls.__access__.add('publication')

    def get_date(self, name):
        return self.create_date.replace(microsecond=0)

    def get_user(self, name):
        return self.create_uid.id

    @classmethod
    def append(cls, publication_id, values):
        """Add one line to a publication, in one INSERT: a line or two per
        document published.

        create() would check the values and read the row back; the lines are
        written only here, by the module, with every required field, and
        never changed: the INSERT alone is written, with who and when, the
        document taken from the publication's row, and trytond's caches are
        told as create() tells them."""
        transaction = Transaction()
        table = cls.__table__()
        publication = Pool().get('kashflow.publication').__table__()
        names = sorted(values)

        def typed(name, value):
            # A value in a SELECT has no type of its own on PostgreSQL.
            return Cast(Literal(cls._fields[name].sql_format(value)),
                cls._fields[name].sql_type().base)
        transaction.connection.cursor().execute(*table.insert(
                [table.create_uid, table.create_date, table.publication,
                    table.invoice, *(Column(table, n) for n in names)],
                publication.select(
                    typed('create_uid', transaction.user), CurrentTimestamp(),
                    publication.id, publication.invoice,
                    *(typed(n, values[n]) for n in names),
                    where=publication.id == publication_id)))
        transaction.counter += 1
        cls._count_cache.set(cls.__name__, None)

    def get_text(self, name):
        return readable(getattr(self, name[:-len('_text')]))

    def get_company(self, name):
        return self.publication.company.id

    @classmethod
    def search_company(cls, name, clause):
        return [('publication.company' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('outcome').in_(['error', 'unclear']), 'danger', '')),
            ]


def readable(stored):
    "The stored text laid out as lines; text that is not JSON is kept as it is"
    if not stored:
        return stored
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    return '\n'.join(_lines(value)) if isinstance(value, (dict, list)) else str(value)


def _lines(value, indent=''):
    if isinstance(value, dict):
        for key, item in value.items():
            label = str(key).replace('_', ' ')
            if isinstance(item, (dict, list)) and item:
                yield f'{indent}{label}:'
                yield from _lines(item, indent + '    ')
            else:
                yield f'{indent}{label}: {_scalar(item)}'
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                yield f'{indent}-'
                yield from _lines(item, indent + '    ')
            else:
                yield f'{indent}- {_scalar(item)}'
    else:
        yield f'{indent}{_scalar(value)}'


def _scalar(value):
    if value is None or value == [] or value == {}:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    return str(value)
