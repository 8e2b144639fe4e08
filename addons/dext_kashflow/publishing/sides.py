"""What differs between a purchase (a KashFlow receipt, from a supplier) and a
sale (a KashFlow invoice, to a customer): one row each, read by the run, the
preparing of a document, the invoice's link and the Clear wizard."""
from dataclasses import dataclass

from kashflow.models import Customer, Supplier


@dataclass(frozen=True)
class Side:
    kind: str  # the publication's kind: KashFlow's name for the document
    noun: str  # the partner, as the messages name it (msg_publish_<noun>_...)
    words: str  # the document, as the messages name it (msg_clear_..._<words>)
    partner_model: str  # the list of KashFlow partners in Tryton
    new_partner: type  # kashflow.models' class of a partner to create
    credit_notes: bool  # a credit note is applied to what it credits (sales)
    web_section: str  # where KashFlow's web application shows the document
    # KashFlowClient's methods for this side:
    insert_partner: str
    insert_document: str
    insert_payment: str
    list_partners: str
    partner_documents: str
    get_document: str
    attach_file: str
    list_files: str  # the REST client's only (SOAP cannot list a document's files)


SIDES = {
    'receipt': Side(
        kind='receipt', noun='supplier', words='purchase',
        partner_model='kashflow.supplier', new_partner=Supplier,
        credit_notes=False,
        web_section='purchases',
        insert_partner='insert_supplier', insert_document='insert_receipt',
        insert_payment='insert_receipt_payment', list_partners='get_suppliers',
        partner_documents='get_receipts_for_supplier', get_document='get_receipt',
        attach_file='attach_file_to_receipt', list_files='get_receipt_files'),
    'invoice': Side(
        kind='invoice', noun='customer', words='sale',
        partner_model='kashflow.customer', new_partner=Customer,
        credit_notes=True,
        web_section='sales',
        insert_partner='insert_customer', insert_document='insert_invoice',
        insert_payment='insert_invoice_payment', list_partners='get_customers',
        partner_documents='get_invoices_for_customer', get_document='get_invoice',
        attach_file='attach_file_to_invoice', list_files='get_invoice_files'),
    }


def side_of(invoice):
    "The Side of a Tryton invoice: a supplier invoice is a purchase"
    return SIDES['receipt' if invoice.type == 'in' else 'invoice']


def call(client, side, method, *args, **kwargs):
    "Call the client's method named by side's field method"
    return getattr(client, getattr(side, method))(*args, **kwargs)
