"""One handler per SOAP operation, as KashFlow answers it.

Each handler takes the operation's parameters by their WSDL names (after
UserName and Password, which `authenticate` checks first) and returns the
value of <Operation>Result, or a dict of outputs where there are several.
A refusal is a KashFlowError; the caller turns it into Status NO.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from . import currencies, documents, partners
from .documents import INVOICE, RECEIPT
from .exceptions import KashFlowError
from .models import Account, Backend
from .schema import Record, kashflow_schema

MAX_PER_PAGE = 100
RECEIPT_FILTERS = ("All", "Unpaid", "Overdue", "Overpaid", "Paid", "ThisMonth")
# Operations that change an account, so they are journaled (--state) before the answer.
WRITES = {"AutoAuthIP", "InsertSupplier", "InsertCustomer", "InsertReceipt", "InsertInvoice",
          "DeleteReceipt", "DeleteInvoice", "InsertReceiptPayment", "InsertInvoicePayment",
          "AttachFileToReceipt", "AttachFileToInvoice", "applyCreditNoteToInvoice",
          "SetSupplierCurrency", "SetCustomerCurrency"}


@cache
def snake_case(operation: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation).lower()


def authenticate(backend: Backend, operation: str, params: Record, remote_ip: str) -> Account:
    account = backend.accounts.get(params.get("UserName") or "")
    if account is None or not account.api_password_ok(params.get("Password")):
        raise KashFlowError("Incorrect username or password")
    if not account.settings.soap_api_enabled:
        raise KashFlowError("The SOAP API is not enabled for this account. "
                            "Enable it in Apps, API Settings.")
    # AutoAuthIP exists to let a new address in, so the list does not apply to it.
    if operation != "AutoAuthIP" and not account.ip_allowed(remote_ip):
        raise KashFlowError(f"The IP address of {remote_ip} is not in the access list")
    return account


class KashFlowResponse:
    def __init__(self, backend: Backend, account: Account, remote_ip: str):
        self.backend = backend
        self.account = account
        self.remote_ip = remote_ip
        self.schema = kashflow_schema()

    def call(self, operation: str, params: Record) -> Any:
        args = {k: v for k, v in params.items() if k not in ("UserName", "Password")}
        return getattr(self, snake_case(operation))(**args)

    # Connection -------------------------------------------------------

    def auto_auth_ip(self, appName: str | None, AutoAuthKey: str | None) -> int:
        settings = self.account.settings
        if not settings.autoauth_enabled:
            raise KashFlowError("AutoAuth is not enabled for this account")
        if (AutoAuthKey or "").strip().upper() != settings.autoauth_key.upper():
            raise KashFlowError("The AutoAuth key is incorrect")
        if not any(entry["ip"] == self.remote_ip for entry in self.account.access_list):
            self.account.access_list.append(
                {"ip": self.remote_ip, "comment": appName or "AutoAuth"})
        return 1

    def get_company_details(self) -> Record:
        return self.account.company

    def is_user_vat_registered(self) -> bool:
        return self.account.vat_registered

    # Lists ------------------------------------------------------------

    def get_nominal_codes(self) -> list[Record]:
        return self.account.nominal_codes

    def get_nominal_codes_extended(self) -> list[Record]:
        return self.account.nominal_codes

    def get_vat_rates(self) -> list[Record]:
        return self.account.vat_rates

    def get_bank_accounts(self) -> list[Record]:
        return self.account.bank_accounts

    def get_projects(self) -> list[Record]:
        return self.account.projects

    def get_inv_pay_methods(self) -> list[Record]:
        return self.account.payment_methods["invoice"]

    def get_rec_pay_methods(self) -> list[Record]:
        return self.account.payment_methods["receipt"]

    def get_currencies(self) -> list[Record]:
        return self.account.currencies

    def get_supplier_currency(self, SupplierCode: str | None) -> str:
        supplier = self.get_supplier(SupplierCode)
        return currencies.party_currency(self.account, supplier)

    def set_supplier_currency(self, CurrencyCode: str | None, SupplierCode: str | None) -> int:
        supplier = self.account.find("suppliers", "Code", SupplierCode) if SupplierCode else None
        return currencies.set_party_currency(self.account, "suppliers", supplier, CurrencyCode,
                                             "supplier")

    def get_customer_currency(self, CustomerCode: str | None) -> str:
        customer = self.get_customer(CustomerCode)
        return currencies.party_currency(self.account, customer)

    def set_customer_currency(self, CurrencyCode: str | None, CustomerCode: str | None) -> int:
        customer = self.account.find("customers", "Code", CustomerCode) if CustomerCode else None
        return currencies.set_party_currency(self.account, "customers", customer, CurrencyCode,
                                             "customer")

    # Suppliers and customers ------------------------------------------

    def get_suppliers(self) -> list[Record]:
        return self.account.suppliers

    def get_supplier(self, SupplierCode: str | None) -> Record:
        return self._party("suppliers", "Code", SupplierCode, "There is no supplier with that code")

    def get_supplier_by_id(self, SupplierID: int) -> Record:
        return self._party("suppliers", "SupplierID", SupplierID,
                           "There is no supplier with that ID")

    def insert_supplier(self, supl: Record | None) -> int:
        return self._insert_party("suppliers", "supplier", supl)

    def get_customers(self) -> list[Record]:
        return self.account.customers

    def get_customer(self, CustomerCode: str | None) -> Record:
        return self._party("customers", "Code", CustomerCode, "There is no customer with that code")

    def get_customer_by_id(self, CustomerID: int) -> Record:
        return self._party("customers", "CustomerID", CustomerID,
                           "There is no customer with that ID")

    def insert_customer(self, custr: Record | None) -> int:
        return self._insert_party("customers", "customer", custr)

    def _party(self, collection: str, key: str, value: Any, missing: str) -> Record:
        record = self.account.find(collection, key, value) if value else None
        if record is None:
            raise KashFlowError(missing)
        return record

    def _insert_party(self, collection: str, noun: str, record: Record | None) -> int:
        stored = partners.insert_party(self.account, collection, noun, record,
                                       self.backend.next_dbid)
        return stored[partners.ID_FIELDS[collection]]

    # Purchases (receipts) ---------------------------------------------

    def insert_receipt(self, Inv: Record | None) -> int:
        return documents.insert_document(self.account, RECEIPT, Inv, self.backend.next_dbid)

    def get_receipt(self, ReceiptNumber: int) -> Record:
        # KashFlow answers an unknown number with an empty document, not an error.
        doc = self.account.find("receipts", "InvoiceNumber", ReceiptNumber)
        return doc or self.schema.blank("Invoice")

    def get_receipts_for_supplier(self, SupplierID: int) -> list[Record]:
        return [r for r in self.account.receipts if r["CustomerID"] == SupplierID]

    def get_receipts_with_paging(self, Page: int, PerPage: int,
                                 FilterBy: str | None) -> dict[str, Any]:
        if not 1 <= PerPage <= MAX_PER_PAGE:
            raise KashFlowError(f"PerPage must be between 1 and {MAX_PER_PAGE}")
        if Page < 1:
            raise KashFlowError("Page must be 1 or more")
        filter_by = FilterBy or "All"
        if filter_by not in RECEIPT_FILTERS:
            raise KashFlowError(f"FilterBy must be one of {', '.join(RECEIPT_FILTERS)}")
        receipts = sorted((r for r in self.account.receipts if receipt_matches(r, filter_by)),
                          key=lambda r: r["InvoiceNumber"], reverse=True)
        total_pages = -(-len(receipts) // PerPage)
        page = receipts[(Page - 1) * PerPage: Page * PerPage]
        return {"GetReceiptsWithPagingResult": page, "PageNumber": Page,
                "TotalPages": total_pages, "TotalRecords": len(receipts)}

    def delete_receipt(self, ReceiptNumber: int) -> int:
        return documents.delete_document(self.account, RECEIPT, ReceiptNumber)

    def insert_receipt_payment(self, ReceiptPayment: Record | None) -> int:
        return documents.insert_payment(self.account, RECEIPT, ReceiptPayment,
                                        self.backend.next_dbid)

    def attach_file_to_receipt(self, ReceiptNo: int, Base64String: str | None,
                               ContentType: str | None, Filename: str | None,
                               FileExtension: str | None, FileSize: str | None) -> int:
        return documents.attach_file(self.account, RECEIPT, ReceiptNo, Base64String,
                                     ContentType, Filename, FileExtension, FileSize,
                                     self.backend.next_dbid)

    # Sales (invoices) -------------------------------------------------

    def insert_invoice(self, Inv: Record | None) -> int:
        return documents.insert_document(self.account, INVOICE, Inv, self.backend.next_dbid)

    def get_invoice(self, InvoiceNumber: int) -> Record:
        doc = self.account.find("invoices", "InvoiceNumber", InvoiceNumber)
        return doc or self.schema.blank("Invoice")

    def get_invoices_for_customer(self, CustID: int) -> list[Record]:
        return [i for i in self.account.invoices if i["CustomerID"] == CustID]

    def delete_invoice(self, InvoiceNumber: int) -> int:
        return documents.delete_document(self.account, INVOICE, InvoiceNumber)

    def insert_invoice_payment(self, InvoicePayment: Record | None) -> int:
        return documents.insert_payment(self.account, INVOICE, InvoicePayment,
                                        self.backend.next_dbid)

    def attach_file_to_invoice(self, InvoiceNo: int, Base64String: str | None,
                               ContentType: str | None, Filename: str | None,
                               FileExtension: str | None, FileSize: str | None) -> int:
        return documents.attach_file(self.account, INVOICE, InvoiceNo, Base64String,
                                     ContentType, Filename, FileExtension, FileSize,
                                     self.backend.next_dbid)

    def apply_credit_note_to_invoice(self, InvoiceID: int, CreditNoteID: int) -> bool:
        return documents.apply_credit_note(self.account, InvoiceID, CreditNoteID)


def receipt_matches(receipt: Record, filter_by: str) -> bool:
    total = documents.gross(receipt)
    today = dt.datetime.now()
    return {
        "All": True,
        "Paid": receipt["Paid"] == 1,
        "Unpaid": receipt["Paid"] == 0,
        "Overdue": receipt["Paid"] == 0 and receipt["DueDate"] < today,
        "Overpaid": receipt["AmountPaid"] > total,
        "ThisMonth": (receipt["InvoiceDate"].year, receipt["InvoiceDate"].month)
        == (today.year, today.month),
    }[filter_by]
