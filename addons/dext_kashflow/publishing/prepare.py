"""What a Tryton invoice becomes in KashFlow, and every reason it cannot go yet.

prepare() reads an invoice with its connection's mappings and the values its
partner rule gave it, and returns the kashflow.Document to send, or the list
of problems, all of them at once, in words a bookkeeper understands.
prepare_many() does the same for many invoices, reading what they share
(connections, mappings, partners, files) once. Nothing here talks to KashFlow.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sql import Null
from sql.aggregate import Min
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, inactive_records

from kashflow.models import Attachment, Document, DocumentLine

from .currency import document_currency, read_currencies
from .money import kashflow_quantity_and_rate, plain, spread, to_cents
from .sides import side_of

ZERO = Decimal(0)
# The longest texts KashFlow keeps: a document's reference, a line's description.
REFERENCE_LENGTH = 50
DESCRIPTION_LENGTH = 500
# The invoices whose lines are read together (a few lines each).
LINES_SLICE = 30
# Files KashFlow shows on a purchase: PDFs and images.
ATTACHMENT_TYPES = {
    'pdf': 'application/pdf', 'png': 'image/png', 'jpg': 'image/jpeg',
    'jpeg': 'image/jpeg', 'gif': 'image/gif', 'tif': 'image/tiff', 'tiff': 'image/tiff',
    }


@dataclass
class PaymentPlan:
    amount: Decimal
    date: object
    method_id: int
    bank_account_id: int


@dataclass
class Prepared:
    kind: str  # 'receipt' (purchase) or 'invoice' (sale)
    document: Document | None = None
    partner: object = None  # the kashflow.supplier/customer record, when linked
    new_partner: object = None  # a kashflow Supplier or Customer to create
    payment: PaymentPlan | None = None
    attachments: list = field(default_factory=list)
    credited: object = None  # the original account.invoice of a credit note
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what was changed to fit KashFlow
    line_plans: list = field(default_factory=list)  # LinePlan, line by line


@dataclass
class LinePlan:
    "What one invoice line is sent as, for the KashFlow tab"
    line_id: int
    nominal: object  # kashflow.nominal, None when there is none
    vat_rate: object  # kashflow.vat_rate, None when there is none or no tax is sent
    net: Decimal
    vat: Decimal


@dataclass
class LineValues:
    """What preparing reads of an invoice line: its values, not a record (a
    record of each line and of what it refers to costs more than the rest of
    preparing the document)"""
    id: int
    type: str
    account: int | None  # account.account id
    quantity: float
    unit_price: Decimal | None
    description: str | None
    product: int | None  # product.product id
    taxes_deductible_rate: Decimal | None
    kashflow_nominal: int | None  # the line's own kashflow.nominal id
    kashflow_project: int | None  # the line's own kashflow.project id

    FIELDS = ['type', 'account', 'quantity', 'unit_price', 'description',
        'product', 'taxes_deductible_rate', 'kashflow_nominal',
        'kashflow_project']
    MODELS = {'account': 'account.account', 'product': 'product.product',
        'kashflow_nominal': 'kashflow.nominal',
        'kashflow_project': 'kashflow.project'}

    def record(self, field_name):
        "The record a field of the line refers to, None if it is empty"
        value = getattr(self, field_name)
        return Pool().get(self.MODELS[field_name])(value) if value else None

    def name_of(self, field_name):
        "The name of the record a field of the line refers to"
        return self.record(field_name).rec_name


@dataclass
class TaxLine:
    "A tax line of an invoice: the ERP's total for one tax"
    amount: Decimal
    tax: object  # the account.tax, None for a tax typed by hand
    description: str


class Lookups:
    """What preparing documents reads from the database, read once for many:
    the companies' connections, the connections' mappings, the partners
    linked to the parties, the invoices' files"""

    def __init__(self):
        self.connections = {}  # by company id
        self._lines = {}  # by invoice id
        self._line_taxes = {}  # by line id
        self._tax_lines = {}  # by invoice id
        self._due_dates = {}  # by invoice id
        self._mappings = {}
        self._partners = {}
        self._files = {}
        self._currencies = {}  # by connection id

    def connection(self, company):
        if company.id not in self.connections:
            self.connections[company.id] = company_connection(company)
        return self.connections[company.id]

    def mappings(self, connection):
        "({account id: nominal}, {tax id: VAT rate}) of connection"
        if connection.id not in self._mappings:
            pool = Pool()
            AccountMapping = pool.get('kashflow.account_mapping')
            TaxMapping = pool.get('kashflow.tax_mapping')
            domain = [('connection', '=', connection.id)]
            self._mappings[connection.id] = (
                {m.account.id: m.nominal for m in AccountMapping.search(domain)},
                {m.tax.id: m.vat_rate for m in TaxMapping.search(domain)})
        return self._mappings[connection.id]

    def currencies(self, connection, company_currency):
        "The currencies of connection's KashFlow account (currency.Currencies)"
        if connection.id not in self._currencies:
            self._currencies[connection.id] = read_currencies(
                connection, company_currency)
        return self._currencies[connection.id]

    def partner(self, party, model, connection):
        "The record of model linked to party (see party.kashflow_partner)"
        key = (model, connection.id, party.id)
        if key not in self._partners:
            self._partners[key] = party.kashflow_partner(model, connection)
        return self._partners[key]

    def read_partners(self, model, connection, parties):
        "Read the partners of many parties at once"
        Model = Pool().get(model)
        ids = {p.id for p in parties} - {
            k[2] for k in self._partners if k[:2] == (model, connection.id)}
        if not ids:
            return
        found = {}
        with inactive_records():
            for partner in Model.search([
                        ('connection', '=', connection.id),
                        ('party', 'in', list(ids)),
                        ], order=[('active', 'DESC'), ('id', 'ASC')]):
                found.setdefault(partner.party.id, partner)
        for id_ in ids:
            self._partners[(model, connection.id, id_)] = found.get(id_)

    def lines(self, invoice):
        "The invoice's lines, as LineValues"
        if invoice.id not in self._lines:
            self._read_lines([invoice])
        return self._lines[invoice.id]

    def line_taxes(self, line):
        "The taxes of an invoice line read with lines()"
        return self._line_taxes[line.id]

    def tax_lines(self, invoice):
        "The invoice's tax lines, as TaxLine"
        if invoice.id not in self._tax_lines:
            self._read_lines([invoice])
        return self._tax_lines[invoice.id]

    def read_lines(self, invoices):
        """Read the lines, their taxes and the tax lines of many invoices
        together, as ids and values: reading them through each invoice's
        fields makes records for every line and every tax of every line.
        A few invoices at a time: trytond makes the records a search finds
        at a cost that grows with the square of their number."""
        for part in grouped_slice(invoices, LINES_SLICE):
            self._read_lines(list(part))

    def _read_lines(self, invoices):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        LineTax = pool.get('account.invoice.line-account.tax')
        InvoiceTax = pool.get('account.invoice.tax')
        Tax = pool.get('account.tax')
        ids = {i.id: [] for i in invoices}
        lines = {}
        for row in Line.search_read([('invoice', 'in', list(ids))],
                fields_names=['invoice', *LineValues.FIELDS]):
            line = LineValues(row['id'], *(row[n] for n in LineValues.FIELDS))
            lines[line.id] = line
            ids[row['invoice']].append(line)
        self._lines.update(ids)

        line_taxes = LineTax.search_read([('line', 'in', list(lines))],
            fields_names=['line', 'tax'])
        tax_lines = InvoiceTax.search_read([('invoice', 'in', list(ids))],
            fields_names=['invoice', 'tax', 'amount', 'description'])
        taxes = {t.id: t for t in Tax.browse(
                {r['tax'] for r in line_taxes + tax_lines if r['tax']})}
        for line_id in lines:
            self._line_taxes[line_id] = []
        for row in line_taxes:
            self._line_taxes[row['line']].append(taxes[row['tax']])
        for invoice_id in ids:
            self._tax_lines[invoice_id] = []
        for row in tax_lines:
            self._tax_lines[row['invoice']].append(TaxLine(row['amount'],
                    taxes.get(row['tax']), row['description']))

    def due_date(self, invoice):
        "The first maturity date of invoice's lines to pay, or None"
        if invoice.id not in self._due_dates:
            return _due_date(invoice)
        return self._due_dates[invoice.id]

    def read_due_dates(self, invoices):
        """Read the due dates of many invoices at once (the lines to pay of
        each, as Tryton finds them, without making a record of each)"""
        Invoice = Pool().get('account.invoice')
        query = Invoice._query_lines_to_pay(invoices)
        cursor = Transaction().connection.cursor()
        cursor.execute(*query.select(query.invoice, Min(query.maturity_date),
                where=query.maturity_date != Null, group_by=[query.invoice]))
        self._due_dates.update(dict.fromkeys((i.id for i in invoices), None))
        for invoice_id, date in cursor:
            # SQLite gives the text of the date
            self._due_dates[invoice_id] = (dt.date.fromisoformat(date)
                if isinstance(date, str) else date)

    def files(self, invoice):
        if invoice.id not in self._files:
            self._files[invoice.id] = invoice_files(invoice)
        return self._files[invoice.id]

    def read_files(self, invoices):
        "Read the files of many invoices at once"
        by_resource = {str(i): [] for i in invoices if i.id not in self._files}
        if not by_resource:
            return
        for attachment in _attachments(list(by_resource)):
            by_resource[str(attachment.resource)].append(attachment)
        for invoice in invoices:
            if str(invoice) in by_resource:
                self._files[invoice.id] = _files(by_resource[str(invoice)])


def prepare_many(invoices, lookups=None):
    "{invoice id: Prepared} for invoices, reading what they share once"
    lookups = lookups or Lookups()
    by_partner_list = {}
    for invoice in invoices:
        connection = lookups.connection(invoice.company)
        if connection:
            by_partner_list.setdefault(
                (side_of(invoice).partner_model, connection), []).append(
                invoice.party)
    for (model, connection), parties in by_partner_list.items():
        lookups.read_partners(model, connection, parties)
    lookups.read_files(invoices)
    lookups.read_lines(invoices)
    lookups.read_due_dates(invoices)
    return {i.id: prepare(i, lookups.connection(i.company), lookups)
        for i in invoices}


def prepare(invoice, connection, lookups=None):
    "Read invoice into a Prepared document; check problems before using it"
    lookups = lookups or Lookups()
    side = side_of(invoice)
    prepared = Prepared(side.kind)
    problems = prepared.problems
    name = invoice.rec_name

    if connection is None:
        problems.append(gettext('dext_kashflow.msg_publish_no_connection',
                company=invoice.company.rec_name))
        return prepared
    if connection.state == 'expired':
        problems.append(gettext('dext_kashflow.msg_publish_connection_expired'))
    elif connection.state == 'not_connected':
        problems.append(gettext('dext_kashflow.msg_publish_not_connected'))
    if invoice.state not in {'posted', 'paid'}:
        problems.append(gettext('dext_kashflow.msg_publish_not_posted',
                invoice=name))
    if invoice.kashflow_destination == 'none':
        problems.append(gettext('dext_kashflow.msg_publish_destination_none',
                invoice=name, party=invoice.party.rec_name))

    _check_partner(invoice, connection, side, prepared, lookups)
    currency = document_currency(invoice,
        lookups.currencies(connection, invoice.company.currency),
        prepared.partner, problems, prepared.notes)
    if prepared.new_partner and currency and currency.kashflow_currency:
        # A new partner deals in its first document's currency.
        prepared.new_partner.currency_id = currency.kashflow_currency.kashflow_id
    document_reference = _fit_reference(invoice, prepared.notes)
    lines = _document_lines(invoice, connection, prepared, lookups)
    if not problems:
        prepared.document = Document(
            party_id=prepared.partner.kashflow_id if prepared.partner else 0,
            date=invoice.invoice_date,
            due_date=lookups.due_date(invoice),
            reference=document_reference,
            project_id=(invoice.kashflow_project.kashflow_id
                if invoice.kashflow_project else 0),
            currency_code=currency.code, exchange_rate=currency.rate,
            lines=lines)
        prepared.payment = _payment(invoice, problems)
        prepared.attachments = lookups.files(invoice)
        prepared.credited = (_credited_invoice(invoice)
            if side.credit_notes else None)
    return prepared


def company_connection(company):
    "The KashFlow connection of company, or None"
    Connection = Pool().get('kashflow.connection')
    connections = Connection.search([('company', '=', company.id)], limit=1)
    return connections[0] if connections else None


def reference(invoice):
    """The document's reference for KashFlow: the supplier's number for a
    purchase, ours for a sale. It is also how a lost publication is found
    again."""
    if invoice.type == 'in':
        return invoice.reference or invoice.number or ''
    return invoice.number or ''


def _fit_reference(invoice, notes):
    "The reference as KashFlow keeps it; a cut is noted, never silent"
    text = reference(invoice)
    if len(text) <= REFERENCE_LENGTH:
        return text
    kept = text[:REFERENCE_LENGTH]
    notes.append(gettext('dext_kashflow.msg_note_reference_cut',
            reference=text, kept=kept, length=REFERENCE_LENGTH))
    return kept


def _check_partner(invoice, connection, side, prepared, lookups):
    party = invoice.party
    partner = lookups.partner(party, side.partner_model, connection)
    noun, model = side.noun, side.new_partner
    rule_allows = bool(invoice.kashflow_rule
        and invoice.kashflow_rule.create_in_kashflow)
    if partner and partner.active:
        prepared.partner = partner
    elif partner:
        prepared.problems.append(gettext(
                f'dext_kashflow.msg_publish_{noun}_deleted',
                party=party.rec_name, kashflow=partner.rec_name))
    elif rule_allows:
        # No code: KashFlow makes one from the name, as for a supplier typed
        # in its own screens (Tryton's party codes are only sequence numbers).
        prepared.new_partner = model(
            code='', name=party.name or '',
            email=party.email or '', telephone=party.phone or '',
            vat_number=_vat_number(party))
    else:
        prepared.problems.append(gettext(
                f'dext_kashflow.msg_publish_{noun}_not_linked',
                party=party.rec_name))


def _vat_number(party):
    for identifier in getattr(party, 'identifiers', []):
        if identifier.type and 'vat' in identifier.type:
            return identifier.code
    return ''


def _document_lines(invoice, connection, prepared, lookups):
    problems = prepared.problems
    nominals, vat_rates = lookups.mappings(connection)
    publish_tax = connection.publish_tax

    invoice_lines = [ln for ln in lookups.lines(invoice) if ln.type == 'line']
    if not invoice_lines:
        problems.append(gettext('dext_kashflow.msg_publish_no_lines',
                invoice=invoice.rec_name))
        return []

    taxes_by_line = {ln.id: [t for t in lookups.line_taxes(ln) if not t.parent]
        for ln in invoice_lines}
    amounts = {ln.id: _line_amount(invoice, ln) for ln in invoice_lines}
    vat_shares = _vat_shares(lookups.tax_lines(invoice), invoice_lines, amounts,
        taxes_by_line, problems)

    # What the partner rule or the publisher set for the whole document
    document_nominal = invoice.kashflow_nominal
    document_vat_rate = invoice.kashflow_vat_rate
    document_description = invoice.kashflow_description
    document_project = invoice.kashflow_project
    lines = []
    for number, line in enumerate(invoice_lines, start=1):
        # The line's own choice first, then the document's, then the mapping.
        nominal = (line.record('kashflow_nominal') or document_nominal
            or nominals.get(line.account))
        project = line.record('kashflow_project') or document_project
        if not nominal:
            problems.append(gettext('dext_kashflow.msg_publish_line_no_nominal',
                    line=_label(number, line),
                    account=line.name_of('account') if line.account else '-'))
        elif not nominal.active:
            problems.append(gettext('dext_kashflow.msg_publish_line_nominal_gone',
                    line=_label(number, line), nominal=nominal.rec_name))

        vat = vat_shares.get(line.id, ZERO)
        taxes = taxes_by_line[line.id]
        rate = ZERO
        vat_rate = None
        if publish_tax:
            if len(taxes) > 1:
                problems.append(gettext('dext_kashflow.msg_publish_line_taxes',
                        line=_label(number, line)))
            elif taxes:
                vat_rate = vat_rates.get(taxes[0].id)
                if not vat_rate:
                    problems.append(gettext(
                            'dext_kashflow.msg_publish_line_tax_not_mapped',
                            line=_label(number, line), tax=taxes[0].rec_name))
            else:
                vat_rate = document_vat_rate
                if not vat_rate:
                    problems.append(gettext(
                            'dext_kashflow.msg_publish_line_no_tax', line=_label(number, line)))
            if vat_rate:
                if not vat_rate.active:
                    problems.append(gettext(
                            'dext_kashflow.msg_publish_line_vat_rate_gone',
                            line=_label(number, line), rate=vat_rate.rec_name))
                elif vat_rate.exempt and vat:
                    problems.append(gettext(
                            'dext_kashflow.msg_publish_line_exempt_with_tax',
                            line=_label(number, line), tax=vat))
                rate = vat_rate.rate
            net = amounts[line.id]
        else:
            # As Dext by default: gross lines, the tax left to the bookkeeper.
            net, vat = amounts[line.id] + vat, ZERO

        quantity, unit, exact = kashflow_quantity_and_rate(
            line.quantity, line.unit_price, net)
        description = document_description or _description(line)
        if not exact:
            description = gettext('dext_kashflow.msg_publish_line_quantity_text',
                description=description, quantity=plain(line.quantity),
                unit_price=plain(line.unit_price))
        if len(description) > DESCRIPTION_LENGTH:
            prepared.notes.append(gettext(
                    'dext_kashflow.msg_note_description_cut', line=_label(number, line),
                    length=DESCRIPTION_LENGTH, cut=len(description) - DESCRIPTION_LENGTH))
            description = description[:DESCRIPTION_LENGTH]
        prepared.line_plans.append(LinePlan(line.id, nominal, vat_rate, net, vat))
        lines.append(DocumentLine(
                quantity=quantity, description=description, rate=unit,
                nominal_id=nominal.kashflow_id if nominal else 0,
                vat_rate=rate, vat_amount=vat,
                project_id=project.kashflow_id if project else 0, sort=number))

    if not problems:
        _check_totals(invoice, lines, publish_tax, problems)
    return lines


def _label(number, line):
    "How a problem names a line (made only for a problem: it is translated)"
    return gettext('dext_kashflow.msg_publish_line_label', number=number,
        description=_description(line)[:40])


def _line_amount(invoice, line):
    """The line's amount, as account_invoice computes it: quantity x unit
    price, rounded in the document's currency. Read as a field, each line's
    amount goes through trytond's on-change machinery, which reads the line's
    fields again: a third of the cost of preparing a document. A line with a
    tax not fully deductible is read as a field, for the non-deductible part."""
    if (invoice.type == 'in' and line.taxes_deductible_rate is not None
            and line.taxes_deductible_rate != 1):
        return Pool().get('account.invoice.line')(line.id).amount
    amount = Decimal(str(line.quantity or 0)) * (line.unit_price or ZERO)
    return invoice.currency.round(amount)


def _vat_shares(tax_lines, invoice_lines, amounts, taxes_by_line, problems):
    """Each line's part of the document's tax, to the penny.

    The document's tax lines are the ERP's own totals; each is shared out over
    the lines that carry its tax, in proportion to their amounts.
    """
    shares = {}
    for tax_line in tax_lines:
        if not tax_line.amount:
            continue
        tax = tax_line.tax
        while tax and tax.parent:
            tax = tax.parent
        carriers = [ln for ln in invoice_lines
            if tax and tax in taxes_by_line[ln.id]]
        if not carriers:
            problems.append(gettext('dext_kashflow.msg_publish_manual_tax',
                    tax=tax_line.description or (tax.rec_name if tax else '-'),
                    amount=tax_line.amount))
            continue
        parts = spread(tax_line.amount, [amounts[ln.id] for ln in carriers])
        for line, part in zip(carriers, parts, strict=True):
            shares[line.id] = shares.get(line.id, ZERO) + part
    return shares


def totals(lines):
    """The net and VAT KashFlow computes for lines (its NetAmount and VATAmount):
    each line's quantity x rate, exact to the penny, and the VAT sent."""
    net = sum((to_cents(ln.quantity * ln.rate) for ln in lines), ZERO)
    vat = sum((ln.vat_amount for ln in lines), ZERO)
    return net, vat


def _check_totals(invoice, lines, publish_tax, problems):
    "The lines must add up to the document's own totals, to the penny"
    net, vat = totals(lines)
    expected = (invoice.untaxed_amount, invoice.tax_amount) if publish_tax else (
        invoice.total_amount, ZERO)
    if (net, vat) != tuple(to_cents(v) for v in expected):
        problems.append(gettext('dext_kashflow.msg_publish_totals',
                invoice=invoice.rec_name, net=net, vat=vat,
                expected_net=expected[0], expected_vat=expected[1]))


def _description(line):
    text = (line.description or '').strip()
    if not text and line.product:
        text = line.name_of('product')
    return text.splitlines()[0] if text else '-'


def _due_date(invoice):
    dates = [ln.maturity_date for ln in invoice.lines_to_pay if ln.maturity_date]
    return min(dates) if dates else None


def _payment(invoice, problems):
    "The payment to send with the document, if it is paid"
    paid_in_tryton = invoice.state == 'paid'
    if not (paid_in_tryton or invoice.kashflow_paid) or invoice.total_amount <= 0:
        return None
    method, bank = invoice.kashflow_payment_method, invoice.kashflow_bank_account
    if not method or not bank:
        problems.append(gettext('dext_kashflow.msg_publish_paid_no_bank',
                invoice=invoice.rec_name))
        return None
    if not (method.active and bank.active):
        problems.append(gettext('dext_kashflow.msg_publish_paid_bank_gone',
                invoice=invoice.rec_name))
        return None
    date = (invoice.reconciled if paid_in_tryton and invoice.reconciled
        else invoice.invoice_date)
    return PaymentPlan(invoice.total_amount, date, method.kashflow_id,
        bank.kashflow_id)


def invoice_files(invoice):
    "The PDFs and images attached to invoice, as KashFlow files"
    return _files(_attachments([str(invoice)]))


def _attachments(resources):
    Attachment_ = Pool().get('ir.attachment')
    return Attachment_.search([
            ('resource', 'in', resources),
            ('type', '=', 'data'),
            ], order=[('id', 'ASC')])


def _files(attachments):
    files = []
    for attachment in attachments:
        extension = (attachment.name or '').rpartition('.')[2].lower()
        if extension in ATTACHMENT_TYPES and attachment.data:
            files.append(Attachment(filename=attachment.name,
                    content=bytes(attachment.data),
                    content_type=ATTACHMENT_TYPES[extension]))
    return files


def _credited_invoice(invoice):
    "The customer invoice a credit note was made from, if it has one"
    if invoice.total_amount >= 0:
        return None
    with inactive_records():
        for line in invoice.lines:
            origin = getattr(line, 'origin', None)
            if (origin and origin.__name__ == 'account.invoice.line'
                    and origin.invoice and origin.invoice.id != invoice.id):
                return origin.invoice
    return None
