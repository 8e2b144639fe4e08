"Which KashFlow nominal code and VAT rate stand for a Tryton account and tax."
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If

from .lists import EXEMPT_ID


class _Mapping(ModelSQL, ModelView):
    __slots__ = ()
    connection = fields.Many2One(
        'kashflow.connection', "Connection", required=True,
        ondelete='CASCADE')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    deactivated = fields.Function(
        fields.Boolean(
            "No Longer in KashFlow",
            help="KashFlow no longer has what this maps to: choose another "
            "one, or publishing stops at this line."),
        'on_change_with_deactivated')

    # The field of the KashFlow list row the mapping maps to.
    _target = None

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('deactivated'), 'warning', '')),
            ]

    def on_change_with_deactivated(self, name=None):
        target = getattr(self, self._target, None)
        return bool(target and not target.active)

    @fields.depends('connection', '_parent_connection.company')
    def on_change_with_company(self, name=None):
        return self.connection.company if self.connection else None

    @classmethod
    def search_company(cls, name, clause):
        return [('connection.' + clause[0], *clause[1:])]


class AccountMapping(_Mapping):
    __name__ = 'kashflow.account_mapping'
    __string__ = "KashFlow Account Mapping"
    _target = 'nominal'
    account = fields.Many2One(
        'account.account', "Account", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ])
    nominal = fields.Many2One(
        'kashflow.nominal', "Nominal Code", required=True,
        ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('account_unique', Unique(t, t.connection, t.account),
                'dext_kashflow.msg_account_mapping_unique'),
            ]

    @fields.depends('nominal')
    def on_change_with_deactivated(self, name=None):
        return super().on_change_with_deactivated(name)

    def get_rec_name(self, name):
        return f'{self.account.rec_name} \u2192 {self.nominal.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('account.rec_name', *clause[1:])]

    @classmethod
    def suggest(cls, connection):
        "Map each unmapped account to the nominal code equal to its code"
        pool = Pool()
        Account = pool.get('account.account')
        Nominal = pool.get('kashflow.nominal')
        nominals = {str(n.code): n for n in Nominal.search([
                    ('connection', '=', connection.id),
                    ])}
        mapped = {m.account.id for m in cls.search([
                    ('connection', '=', connection.id),
                    ])}
        accounts = Account.search([
                ('company', '=', connection.company.id),
                ('type', '!=', None),
                ('closed', '!=', True),
                ('id', 'not in', list(mapped)),
                ])
        mappings = [cls(connection=connection, account=a,
                nominal=nominals[a.code.strip()])
            for a in accounts if a.code and a.code.strip() in nominals]
        cls.save(mappings)
        return mappings


class TaxMapping(_Mapping):
    __name__ = 'kashflow.tax_mapping'
    __string__ = "KashFlow Tax Mapping"
    _target = 'vat_rate'
    tax = fields.Many2One(
        'account.tax', "Tax", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('parent', '=', None),
            ])
    vat_rate = fields.Many2One(
        'kashflow.vat_rate', "VAT Rate", required=True, ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('tax_unique', Unique(t, t.connection, t.tax),
                'dext_kashflow.msg_tax_mapping_unique'),
            ]

    @fields.depends('vat_rate')
    def on_change_with_deactivated(self, name=None):
        return super().on_change_with_deactivated(name)

    def get_rec_name(self, name):
        return f'{self.tax.rec_name} \u2192 {self.vat_rate.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('tax.rec_name', *clause[1:])]

    @classmethod
    def suggest(cls, connection):
        """Map each unmapped tax to the VAT rate of the same percentage.

        A tax named or described as exempt goes to KashFlow's exempt rate.
        """
        pool = Pool()
        Tax = pool.get('account.tax')
        VatRate = pool.get('kashflow.vat_rate')
        exempt, by_rate = None, {}
        for rate in VatRate.search([('connection', '=', connection.id)]):
            if rate.kashflow_id == EXEMPT_ID:
                exempt = rate
            else:
                by_rate.setdefault(rate.rate, rate)
        mapped = {m.tax.id for m in cls.search([
                    ('connection', '=', connection.id),
                    ])}
        mappings = []
        for tax in Tax.search([
                    ('company', '=', connection.company.id),
                    ('parent', '=', None),
                    ('id', 'not in', list(mapped)),
                    ]):
            words = f'{tax.name} {tax.description or ""}'.lower()
            if 'exempt' in words:
                rate = exempt
            elif tax.type == 'percentage' and tax.rate is not None:
                rate = by_rate.get(tax.rate * 100)
            else:
                rate = None
            if rate:
                mappings.append(
                    cls(connection=connection, tax=tax, vat_rate=rate))
        cls.save(mappings)
        return mappings
