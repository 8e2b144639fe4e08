"""KashFlow's lists, copied into Tryton by the refresh.

Each row is keyed by the connection and KashFlow's id. A refresh creates what
is new, writes what changed and deactivates what KashFlow no longer has:
rows are never deleted, so whatever refers to them keeps working.
"""
from decimal import Decimal

from sql import Literal, Null
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool

from ..sync import read_rows

# KashFlow's VAT rate for lines outside the scope of VAT ("N/A").
EXEMPT_RATE = Decimal(-1)
EXEMPT_ID = -1


def text(value):
    "KashFlow's strings as Tryton stores them: stripped, empty is None"
    value = (value or '').strip() if isinstance(value, str) else value
    return value or None


class KashFlowList(DeactivableMixin, ModelSQL, ModelView):
    "The columns and the refresh contract every KashFlow list shares"
    __slots__ = ()
    connection = fields.Many2One(
        'kashflow.connection', "Connection", required=True, readonly=True,
        ondelete='CASCADE')
    kashflow_id = fields.Integer("KashFlow ID", required=True, readonly=True)
    name = fields.Char("Name", readonly=True)

    # The columns that identify a row within its connection.
    _kashflow_key = ('kashflow_id',)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        key = [getattr(t, f) for f in cls._kashflow_key]
        cls._sql_constraints += [
            ('kashflow_key_unique', Unique(t, t.connection, *key),
                'dext_kashflow.msg_list_kashflow_id_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.connection, Index.Range())))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def kashflow_fetch(cls, client):
        "Return the list as field values, read from KashFlow with client"
        raise NotImplementedError

    @classmethod
    def kashflow_fields(cls):
        "The fields a refresh writes"
        return ['kashflow_id', 'name']

    @classmethod
    def after_refresh(cls, connection):
        "Called once the rows of connection are up to date; return #writes"
        return 0


class Nominal(KashFlowList):
    __name__ = 'kashflow.nominal'
    __string__ = "KashFlow Nominal Code"
    # KashFlow's codes are numbers, but identifiers: shown as typed, "7502".
    code = fields.Char("Code", readonly=True)
    type_name = fields.Char("Type", readonly=True)
    classification = fields.Char("Classification", readonly=True)
    vat_rate = fields.Numeric("VAT Rate", readonly=True)
    archived = fields.Boolean("Archived", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.code} - {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        negative = operator.startswith('!') or operator.startswith('not ')
        domain = ['AND' if negative else 'OR', ('name', operator, operand, *extra)]
        value = operand.strip('%') if isinstance(operand, str) else operand
        if isinstance(value, str):
            # Part of a code ("75"), or the name as shown ("7502 - Telephone")
            code = value.split(' - ', 1)[0].strip()
            if code == value and code.isdigit():
                domain.append(('code', operator, operand, *extra))
            elif code.isdigit():
                domain.append(('code', '!=' if negative else '=', code))
        return domain

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + [
            'code', 'type_name', 'classification', 'vat_rate', 'archived']

    @classmethod
    def kashflow_fetch(cls, client):
        return [{
                'kashflow_id': n.id,
                'code': str(n.code),
                'name': text(n.name),
                'type_name': text(n.type_name),
                'classification': text(n.classification_name),
                'vat_rate': n.vat_rate,
                'archived': bool(n.archived),
                } for n in client.get_nominal_codes()]


class VatRate(KashFlowList):
    __name__ = 'kashflow.vat_rate'
    __string__ = "KashFlow VAT Rate"
    rate = fields.Numeric(
        "Rate", readonly=True,
        help="A percentage, -1 for exempt (outside the scope of VAT).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('rate', 'DESC'))

    @property
    def exempt(self):
        return self.rate == EXEMPT_RATE

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + ['rate']

    @classmethod
    def kashflow_fetch(cls, client):
        rates = [{
                'kashflow_id': r.id,
                'name': text(r.name),
                'rate': r.rate,
                } for r in client.get_vat_rates()]
        # KashFlow takes -1 as "exempt" on every line but does not list it.
        rates.append({
                'kashflow_id': EXEMPT_ID,
                'name': "Exempt (N/A)",
                'rate': EXEMPT_RATE,
                })
        return rates


class _Partner(KashFlowList):
    "What KashFlow's suppliers and customers share"
    __slots__ = ()
    code = fields.Char("Code", readonly=True)
    contact = fields.Char("Contact", readonly=True)
    email = fields.Char("Email", readonly=True)
    telephone = fields.Char("Telephone", readonly=True)
    address1 = fields.Char("Address 1", readonly=True)
    address2 = fields.Char("Address 2", readonly=True)
    address3 = fields.Char("Address 3", readonly=True)
    address4 = fields.Char("Address 4", readonly=True)
    postcode = fields.Char("Postcode", readonly=True)
    vat_number = fields.Char("VAT Number", readonly=True)
    payment_terms = fields.Integer("Payment Terms", readonly=True,
        help="In days.")
    currency_id = fields.Integer("KashFlow Currency ID", readonly=True)
    party = fields.Many2One(
        'party.party', "Party", ondelete='SET NULL',
        help="The Tryton party this KashFlow record stands for.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}' if self.code else self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('code', operator, operand, *extra),
            ]

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + [
            'code', 'contact', 'email', 'telephone', 'address1', 'address2',
            'address3', 'address4', 'postcode', 'vat_number',
            'payment_terms', 'currency_id']

    @classmethod
    def _partner_values(cls, partners):
        return [{
                'kashflow_id': p.id,
                'code': text(p.code),
                'name': text(p.name),
                'contact': text(p.contact),
                'email': text(p.email),
                'telephone': text(p.telephone),
                'address1': text(p.address1),
                'address2': text(p.address2),
                'address3': text(p.address3),
                'address4': text(p.address4),
                'postcode': text(p.postcode),
                'vat_number': text(p.vat_number),
                'payment_terms': p.payment_terms,
                'currency_id': p.currency_id,
                } for p in partners]

    @classmethod
    def after_refresh(cls, connection):
        return link_parties(cls, connection)


class Supplier(_Partner):
    __name__ = 'kashflow.supplier'
    __string__ = "KashFlow Supplier"

    @classmethod
    def kashflow_fetch(cls, client):
        return cls._partner_values(client.get_suppliers())


class Customer(_Partner):
    __name__ = 'kashflow.customer'
    __string__ = "KashFlow Customer"

    @classmethod
    def kashflow_fetch(cls, client):
        return cls._partner_values(client.get_customers())


class BankAccount(KashFlowList):
    __name__ = 'kashflow.bank_account'
    __string__ = "KashFlow Bank Account"
    code = fields.Char("Nominal Code", readonly=True)

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + ['code']

    @classmethod
    def kashflow_fetch(cls, client):
        return [{
                'kashflow_id': b.id,
                'name': text(b.name),
                'code': str(b.code),
                } for b in client.get_bank_accounts()]


class Project(KashFlowList):
    __name__ = 'kashflow.project'
    __string__ = "KashFlow Project"
    number = fields.Char("Number", readonly=True)

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + ['number']

    @classmethod
    def kashflow_fetch(cls, client):
        return [{
                'kashflow_id': p.id,
                'name': text(p.name),
                'number': text(p.number),
                } for p in client.get_projects()]


class PaymentMethod(KashFlowList):
    __name__ = 'kashflow.payment_method'
    __string__ = "KashFlow Payment Method"
    kind = fields.Selection([
            ('invoice', "Sales"),
            ('receipt', "Purchases"),
            ], "Used For", required=True, readonly=True)
    # KashFlow numbers sales and purchase methods separately.
    _kashflow_key = ('kind', 'kashflow_id')

    @classmethod
    def kashflow_fields(cls):
        return super().kashflow_fields() + ['kind']

    @classmethod
    def kashflow_fetch(cls, client):
        methods = [('invoice', client.get_invoice_payment_methods()),
            ('receipt', client.get_receipt_payment_methods())]
        return [{
                'kind': kind,
                'kashflow_id': m.id,
                'name': text(m.name),
                } for kind, items in methods for m in items]


def link_parties(Model, connection):
    """Link unlinked rows to the party of the same code or name.

    Codes are compared first, then names, ignoring case; a match is taken
    only when it is unique and the party is not linked to another row yet.
    Return the number of rows linked.
    """
    Party = Pool().get('party.party')
    rows = read_rows(Model, ['id', 'code', 'name', 'party'],
        lambda t: (t.connection == connection.id) & (t.active == Literal(True)))
    if all(r['party'] for r in rows):
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
    to_write = []
    for row in rows:
        if row['party']:
            continue
        for index, value in ((by_code, row['code']), (by_name, row['name'])):
            candidates = index.get((value or '').lower(), [])
            candidates = [c for c in candidates if c not in taken]
            if len(candidates) == 1:
                taken.add(candidates[0])
                to_write.extend(([Model(row['id'])], {'party': candidates[0]}))
                break
    if to_write:
        Model.write(*to_write)
    return len(to_write) // 2
