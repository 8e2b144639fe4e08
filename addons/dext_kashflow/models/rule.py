"""Supplier and customer rules: how a partner's documents go to KashFlow.

A rule's values are copied onto each document of the partner when it is
created or posted, and copied again onto the documents not yet published
whenever the rule changes; a publisher may still adjust a document.
"""
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

KINDS = [
    ('supplier', "Supplier"),
    ('customer', "Customer"),
    ]
AUTO_PUBLISH = [
    ('never', "Never"),
    ('always', "Always"),
    ]
DESTINATIONS = [
    ('kashflow', "KashFlow (Purchases or Sales invoices)"),
    ('none', "Do Not Publish"),
    ]
# Invoice fields a rule fills, by rule field.
RULE_FIELDS = {
    'nominal': 'kashflow_nominal',
    'vat_rate': 'kashflow_vat_rate',
    'destination': 'kashflow_destination',
    'paid': 'kashflow_paid',
    'payment_method': 'kashflow_payment_method',
    'bank_account': 'kashflow_bank_account',
    'description': 'kashflow_description',
    'project': 'kashflow_project',
    }


class PartnerRule(ModelSQL, ModelView):
    __name__ = 'kashflow.partner_rule'
    __string__ = "KashFlow Partner Rule"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    connection = fields.Many2One(
        'kashflow.connection', "Connection", required=True,
        ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE',
        context={'company': Eval('company', -1)}, depends={'company'})
    kind = fields.Selection(KINDS, "Applies To", required=True,
        help="Supplier rules apply to supplier invoices and credit notes, "
        "customer rules to customer ones.")
    kind_string = kind.translated('kind')
    destination = fields.Selection(DESTINATIONS, "Publish To", required=True)
    nominal = fields.Many2One(
        'kashflow.nominal', "Default Nominal Code", ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))],
        help="Used for every line instead of the account's mapping.")
    vat_rate = fields.Many2One(
        'kashflow.vat_rate', "Default VAT Rate", ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))],
        help="Used for the lines that have no tax.")
    paid = fields.Boolean(
        "Paid", help="Publish the documents as paid, "
        "with a payment on the bank account below.")
    payment_method = fields.Many2One(
        'kashflow.payment_method', "Payment Method", ondelete='RESTRICT',
        domain=[
            ('connection', '=', Eval('connection', -1)),
            ('kind', '=', If(Eval('kind') == 'supplier', 'receipt', 'invoice')),
            ],
        states={'required': Bool(Eval('paid'))},
        help="Also used for documents already paid in Tryton.")
    bank_account = fields.Many2One(
        'kashflow.bank_account', "Bank Account", ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))],
        states={'required': Bool(Eval('paid'))},
        help="Also used for documents already paid in Tryton.")
    description = fields.Char(
        "Description", help="Sent instead of the lines' descriptions.")
    project = fields.Many2One(
        'kashflow.project', "Project", ondelete='RESTRICT',
        domain=[('connection', '=', Eval('connection', -1))])
    create_in_kashflow = fields.Boolean(
        "Create in KashFlow",
        help="When the party has no KashFlow supplier or customer yet, "
        "create one on the first publish.")
    auto_publish = fields.Selection(
        AUTO_PUBLISH, "Auto-Publish", required=True,
        help="Publish each document when it is posted.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_kind_unique', Unique(t, t.company, t.party, t.kind),
                'dext_kashflow.msg_partner_rule_unique'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_connection(cls):
        Connection = Pool().get('kashflow.connection')
        company = cls.default_company()
        if company:
            connections = Connection.search([('company', '=', company)], limit=1)
            if connections:
                return connections[0].id

    @classmethod
    def default_kind(cls):
        return 'supplier'

    @classmethod
    def default_destination(cls):
        return 'kashflow'

    @classmethod
    def default_auto_publish(cls):
        return 'never'

    def get_rec_name(self, name):
        return f'{self.party.rec_name} ({self.kind_string})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name', *clause[1:])]

    def invoice_values(self):
        "The values this rule gives a document"
        values = {}
        for rule_field, invoice_field in RULE_FIELDS.items():
            value = getattr(self, rule_field)
            values[invoice_field] = getattr(value, 'id', value)
        values['kashflow_rule'] = self.id
        return values

    @classmethod
    def find(cls, invoice):
        "The rule of invoice's partner, or None"
        if not invoice.party or not invoice.company:
            return None
        rules = cls.search([
                ('company', '=', invoice.company.id),
                ('party', '=', invoice.party.id),
                ('kind', '=', 'supplier' if invoice.type == 'in' else 'customer'),
                ], limit=1)
        return rules[0] if rules else None

    @classmethod
    def create(cls, vlist):
        rules = super().create(vlist)
        cls.apply_to_unpublished(rules)
        return rules

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls.apply_to_unpublished(sum(args[::2], []))

    @classmethod
    def delete(cls, rules):
        Invoice = Pool().get('account.invoice')
        invoices = Invoice.search([('kashflow_rule', 'in', [r.id for r in rules])])
        super().delete(rules)
        Invoice.kashflow_apply_rules(
            [i for i in invoices if i.kashflow_can_change_rule])

    @classmethod
    def apply_to_unpublished(cls, rules):
        "Give the rules' values to their partners' documents not yet published"
        Invoice = Pool().get('account.invoice')
        for rule in rules:
            invoices = Invoice.search([
                    ('company', '=', rule.company.id),
                    ('party', '=', rule.party.id),
                    ('type', '=', 'in' if rule.kind == 'supplier' else 'out'),
                    ('state', '!=', 'cancelled'),
                    ])
            invoices = [i for i in invoices if i.kashflow_can_change_rule]
            if invoices:
                Invoice.write(invoices, rule.invoice_values())
