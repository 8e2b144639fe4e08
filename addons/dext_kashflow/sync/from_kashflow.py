"""KashFlow's lists as rows of Tryton's copy: what each list reads from
KashFlow and the values its rows get.

These are plain functions of a client: fetch() runs them two at a time in
threads of its own, so they touch neither the pool nor the transaction. Each
value is made with its field's Python type (text stripped, empty as None), as
create() would store it, so that the rows go to the database as they are.

A list KashFlow answers exactly as at the last refresh (the same digest of its
answer) is not read again: read() gives None for its rows.
"""
from dataclasses import dataclass

from ..models.lists import EXEMPT_ID, EXEMPT_RATE

LIST_FIELDS = ('kashflow_id', 'name')
PARTNER_FIELDS = LIST_FIELDS + (
    'code', 'contact', 'email', 'telephone', 'address1', 'address2',
    'address3', 'address4', 'postcode', 'vat_number', 'payment_terms',
    'currency_id')


def text(value):
    "KashFlow's strings as Tryton stores them: stripped, empty is None"
    if type(value) is str:
        return value.strip() or None
    return value or None


def nominal_codes(codes):
    return [{
            'kashflow_id': n.id,
            'code': str(n.code),
            'name': text(n.name),
            'type_name': text(n.type_name),
            'classification': text(n.classification_name),
            'vat_rate': n.vat_rate,
            'archived': bool(n.archived),
            } for n in codes]


def vat_rates(kashflow_rates):
    rates = [{
            'kashflow_id': r.id,
            'name': text(r.name),
            'rate': r.rate,
            } for r in kashflow_rates]
    # KashFlow takes -1 as "exempt" on every line but does not list it.
    rates.append({
            'kashflow_id': EXEMPT_ID,
            'name': "Exempt (N/A)",
            'rate': EXEMPT_RATE,
            })
    return rates


def partners(records):
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
            } for p in records]


def bank_accounts(accounts):
    return [{
            'kashflow_id': b.id,
            'name': text(b.name),
            'code': str(b.code),
            } for b in accounts]


def projects(kashflow_projects):
    return [{
            'kashflow_id': p.id,
            'name': text(p.name),
            'number': text(p.number),
            } for p in kashflow_projects]


def payment_methods(invoice_methods, receipt_methods):
    methods = [('invoice', invoice_methods), ('receipt', receipt_methods)]
    return [{
            'kind': kind,
            'kashflow_id': m.id,
            'name': text(m.name),
            } for kind, items in methods for m in items]


def currencies(kashflow_currencies):
    # KashFlow names a currency by its code only.
    return [{
            'kashflow_id': c.id,
            'name': text(c.code),
            'code': text(c.code),
            'rate': c.exchange_rate,
            'home': c.is_default,
            } for c in kashflow_currencies]


@dataclass(frozen=True)
class Source:
    "Where a list model's rows come from"
    lists: tuple  # the client's lists read (KashFlowClient.get_list's names)
    rows: object  # their records -> [field values]
    fields: tuple  # the fields a refresh writes
    # Rows stand for KashFlow suppliers or customers: link them to parties.
    link_parties: bool = False


def read(client, source, known):
    """The rows of source and the digests of KashFlow's answers, by list;
    the rows are None when the answer is the one of its digest in known."""
    # A source of two lists is read in full: one changed needs the other.
    single = len(source.lists) == 1
    listed = [client.get_list(name, known.get(name) if single else None)
        for name in source.lists]
    digests = {name: answer.digest
        for name, answer in zip(source.lists, listed, strict=True)}
    if single and listed[0].records is None:
        return None, digests
    return source.rows(*(answer.records for answer in listed)), digests


# In the order the refresh writes them and the summary names them.
SOURCES = {
    'kashflow.nominal': Source(('nominal_codes',), nominal_codes, LIST_FIELDS + (
            'code', 'type_name', 'classification', 'vat_rate', 'archived')),
    'kashflow.vat_rate': Source(('vat_rates',), vat_rates, LIST_FIELDS + ('rate',)),
    'kashflow.supplier': Source(('suppliers',), partners, PARTNER_FIELDS,
        link_parties=True),
    'kashflow.customer': Source(('customers',), partners, PARTNER_FIELDS,
        link_parties=True),
    'kashflow.bank_account': Source(('bank_accounts',), bank_accounts,
        LIST_FIELDS + ('code',)),
    'kashflow.project': Source(('projects',), projects, LIST_FIELDS + ('number',)),
    'kashflow.payment_method': Source(
        ('invoice_payment_methods', 'receipt_payment_methods'), payment_methods,
        LIST_FIELDS + ('kind',)),
    'kashflow.currency': Source(('currencies',), currencies,
        LIST_FIELDS + ('code', 'rate', 'home')),
    }
# A short list first, alone (a refused login is refused once), then the
# longest, so that the short ones fill in around them.
READ_ORDER = ['kashflow.nominal', 'kashflow.supplier', 'kashflow.customer'] + [
    name for name in SOURCES
    if name not in {'kashflow.nominal', 'kashflow.supplier', 'kashflow.customer'}]
