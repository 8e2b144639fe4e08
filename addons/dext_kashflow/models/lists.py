"""KashFlow's lists, copied into Tryton by the refresh (sync/).

Each row is keyed by the connection and KashFlow's id. A refresh creates what
is new, writes what changed and deactivates what KashFlow no longer has:
rows are never deleted, so whatever refers to them keeps working. These are
the models only: what a refresh reads and writes is in sync/.
"""
from decimal import Decimal

from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields

# KashFlow's VAT rate for lines outside the scope of VAT ("N/A").
EXEMPT_RATE = Decimal(-1)
EXEMPT_ID = -1


class KashFlowList(DeactivableMixin, ModelSQL, ModelView):
    "The columns every KashFlow list shares"
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


class Supplier(_Partner):
    __name__ = 'kashflow.supplier'
    __string__ = "KashFlow Supplier"


class Customer(_Partner):
    __name__ = 'kashflow.customer'
    __string__ = "KashFlow Customer"


class BankAccount(KashFlowList):
    __name__ = 'kashflow.bank_account'
    __string__ = "KashFlow Bank Account"
    code = fields.Char("Nominal Code", readonly=True)


class Project(KashFlowList):
    __name__ = 'kashflow.project'
    __string__ = "KashFlow Project"
    number = fields.Char("Number", readonly=True)


class Currency(KashFlowList):
    __name__ = 'kashflow.currency'
    __string__ = "KashFlow Currency"
    code = fields.Char("Code", readonly=True, help="The ISO 4217 code.")
    rate = fields.Numeric(
        "Exchange Rate", readonly=True,
        help="KashFlow's rate of the day: units of this currency per unit of "
        "the home currency.")
    home = fields.Boolean("Home Currency", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return self.code


class PaymentMethod(KashFlowList):
    __name__ = 'kashflow.payment_method'
    __string__ = "KashFlow Payment Method"
    kind = fields.Selection([
            ('invoice', "Sales"),
            ('receipt', "Purchases"),
            ], "Used For", required=True, readonly=True)
    # KashFlow numbers sales and purchase methods separately.
    _kashflow_key = ('kind', 'kashflow_id')
