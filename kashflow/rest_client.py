"""A client for KashFlow's REST API v2, with the SOAP client's models and errors.

    from kashflow.rest_client import KashFlowRestClient
    client = KashFlowRestClient(username, password, memorable_word)
    number = client.insert_receipt(document)

The session (the login with the memorable word, the one way out, paging) is RestSession's
(kashflow/rest_session.py). Where REST names things by code and our models by id (a line's
nominal, a document's supplier, a project), the client reads the lists once and keeps the
mapping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from . import rest_convert as convert
from .convert import guess_content_type
from .errors import NotFoundError, UnclearOutcomeError
from .list_reader import Listed
from .models import (
    Attachment,
    BankAccount,
    CompanyDetails,
    Currency,
    Customer,
    Document,
    NominalCode,
    Payment,
    PaymentMethod,
    Project,
    Supplier,
    VatRate,
)
from .rest_session import DEFAULT_REST_URL, RestSession

__all__ = ["DEFAULT_REST_URL", "KashFlowRestClient"]


class KashFlowRestClient(RestSession):
    """KashFlow's REST API for one account; see the module's docstring."""

    # A payment rides in its document's POST (REST has no payment resource of its own).
    pays_with_document = True

    # The account -----------------------------------------------------------------

    def get_company_details(self) -> CompanyDetails:
        """The account's name (from the login) and VAT registration: logging in and
        reading a setting, it proves the credentials."""
        vat = self._call("GET", "/settings/vat", "VAT settings")
        return CompanyDetails(name=self._company_name,
                              vat_registered=bool(vat.get("IsVatRegistered")),
                              vat_number=str(vat.get("VatRegistrationNumber") or ""))

    def is_vat_registered(self) -> bool:
        return self.get_company_details().vat_registered

    def get_list(self, name: str, unless: str | None = None) -> Listed[Any]:
        """The list name (as KashFlowClient.get_list names them) with a digest of
        KashFlow's answers; unless: a digest given before, when KashFlow answers the same
        its records are not made again (None)."""
        read = LISTS[name]
        self._digests.current = digest = hashlib.sha256()
        try:
            records = read(self)
        finally:
            self._digests.current = None
        return Listed(digest.hexdigest(), None if digest.hexdigest() == unless else records)

    # Lists ---------------------------------------------------------------------

    # Lists ---------------------------------------------------------------------

    def get_nominal_codes(self) -> list[NominalCode]:
        nominals = [convert.to_nominal(r) for r in self._call("GET", "/nominals", "nominals")]
        self._maps["nominal_codes"] = {n.id: n.code for n in nominals}
        return nominals

    def get_vat_rates(self) -> list[VatRate]:
        return [convert.to_vat_rate(r)
                for r in self._call("GET", "/vat/settings/vatrates", "VAT rates")]

    def get_currencies(self) -> list[Currency]:
        currencies = [convert.to_currency(r, self.home_currency)
                      for r in self._call("GET", "/currencies", "currencies")]
        self._maps["currency_ids"] = {c.code: c.id for c in currencies}
        return currencies

    def get_bank_accounts(self) -> list[BankAccount]:
        return [convert.to_bank_account(r)
                for r in self._call("GET", "/bankaccounts", "bank accounts")]

    def get_projects(self) -> list[Project]:
        projects = [convert.to_project(r) for r in self._pages("/projects", "projects")]
        self._maps["project_numbers"] = {p.id: int(p.number or 0) for p in projects}
        return projects

    def get_invoice_payment_methods(self) -> list[PaymentMethod]:
        return [convert.to_payment_method(r)
                for r in self._call("GET", "/paymentmethods/invoice", "payment methods")]

    def get_receipt_payment_methods(self) -> list[PaymentMethod]:
        return [convert.to_payment_method(r)
                for r in self._call("GET", "/paymentmethods/purchase", "payment methods")]

    def get_suppliers(self) -> list[Supplier]:
        suppliers = [convert.to_supplier(r, self._map("currency_ids"))
                     for r in self._pages("/suppliers", "suppliers")]
        self._maps["supplier_codes"] = {s.id: s.code for s in suppliers}
        return suppliers

    def get_customers(self) -> list[Customer]:
        customers = [convert.to_customer(r, self._map("currency_ids"))
                     for r in self._pages("/customers", "customers")]
        self._maps["customer_codes"] = {c.id: c.code for c in customers}
        return customers

    def get_supplier(self, code: str) -> Supplier:
        return convert.to_supplier(self._call("GET", f"/suppliers/{quote(code, safe='')}",
                                              "supplier"), self._map("currency_ids"))

    def get_customer(self, code: str) -> Customer:
        return convert.to_customer(self._call("GET", f"/customers/{quote(code, safe='')}",
                                              "customer"), self._map("currency_ids"))

    def insert_supplier(self, supplier: Supplier) -> int:
        """A new supplier; its id. Without a code KashFlow makes one from the name."""
        return self._insert_party(supplier, True)

    def insert_customer(self, customer: Customer) -> int:
        return self._insert_party(customer, False)

    def _insert_party(self, party: Supplier | Customer, purchase: bool) -> int:
        resource = "suppliers" if purchase else "customers"
        currencies = {id_: code for code, id_ in self._map("currency_ids").items()}
        body = convert.party_body(party, purchase, currencies.get(party.currency_id, ""))
        answer = self._call("POST", f"/{resource}", f"create {resource[:-1]}", body=body,
                            write=True)
        created = convert.to_party(type(party), answer or {}, self._map("currency_ids"))
        if not created.id:
            raise UnclearOutcomeError(
                f"KashFlow answered the new {resource[:-1]} without its id, so it may or may "
                "not have it. Look it up in KashFlow before sending it again.",
                operation=f"create {resource[:-1]}")
        # Its documents are sent by code: known at once, without reading the list again.
        self._map(f"{resource[:-1]}_codes")[created.id] = created.code
        return created.id

    def _map(self, name: str) -> dict[Any, Any]:
        """A mapping between our ids and REST's codes, read with its list the first time."""
        if name not in self._maps:
            {"nominal_codes": self.get_nominal_codes, "currency_ids": self.get_currencies,
             "project_numbers": self.get_projects, "supplier_codes": self.get_suppliers,
             "customer_codes": self.get_customers}[name]()
        return self._maps[name]

    def _code(self, name: str, key: int, what: str) -> Any:
        """REST's code for one of our ids; the list is read again once if it is not known."""
        if key not in self._map(name):
            self._maps.pop(name)
        found = self._map(name).get(key)
        if found is None:
            # In KashFlow's words, for the person: KashFlow's list does not have it.
            raise NotFoundError(f"KashFlow has no {what} with the id {key}.", operation=what,
                                status_detail=f"There is no {what} with the ID {key}")
        return found

    # Documents -------------------------------------------------------------------

    def insert_receipt(self, doc: Document, payment: Payment | None = None) -> int:
        """A purchase, with its payment in the same call when there is one; its number."""
        return self._insert(doc, True, payment)

    def insert_invoice(self, doc: Document, payment: Payment | None = None) -> int:
        return self._insert(doc, False, payment)

    def _insert(self, doc: Document, purchase: bool, payment: Payment | None) -> int:
        resource = "purchases" if purchase else "invoices"
        party_code = doc.party_code or self._code(
            "supplier_codes" if purchase else "customer_codes", doc.party_id,
            "supplier" if purchase else "customer")
        nominals = {line.nominal_id: self._code("nominal_codes", line.nominal_id, "nominal code")
                    for line in doc.lines if line.nominal_id}
        projects = {pid: self._code("project_numbers", pid, "project")
                    for pid in {doc.project_id, *(ln.project_id for ln in doc.lines)} if pid}
        body = convert.document_body(doc, party_code, purchase, nominals, projects,
                                     [payment] if payment else [])
        answer = self._call("POST", f"/{resource}", f"create {resource[:-1]}", body=body,
                            write=True)
        number = int((answer or {}).get("Number") or 0)
        if not number:
            raise UnclearOutcomeError(
                f"KashFlow answered the new {resource[:-1]} without its number, so it may or "
                "may not have it. Look it up in KashFlow before sending it again.",
                operation=f"create {resource[:-1]}")
        return number

    def insert_receipt_payment(self, payment: Payment) -> int:
        """A payment on a purchase KashFlow has already; the new payment's id. REST has no
        payment resource: the purchase is read and put back whole (KashFlow's PUT replaces
        a document whole) with the payment added. A payment for a new purchase rides with
        it instead (insert_receipt)."""
        return self._add_payment(payment, True)

    def insert_invoice_payment(self, payment: Payment) -> int:
        return self._add_payment(payment, False)

    def _add_payment(self, payment: Payment, purchase: bool) -> int:
        resource = "purchases" if purchase else "invoices"
        path = f"/{resource}/{payment.document_number}"
        held = self._call("GET", path, resource[:-1])
        answer = self._call("PUT", path, f"pay {resource[:-1]}", write=True,
                            body=convert.replacement_body(held, purchase, payment))
        before = {line.get("Id") for line in held.get("PaymentLines") or []}
        added = [line for line in (answer or {}).get("PaymentLines") or []
                 if line.get("Id") not in before]
        if not added:
            raise UnclearOutcomeError(
                f"KashFlow answered the {resource[:-1]} without the new payment, so it may or "
                "may not have it. Look at the document's payments in KashFlow before sending "
                "it again.", operation=f"pay {resource[:-1]}")
        return int(added[-1]["Id"])

    def get_receipt(self, number: int) -> Document:
        return self._get(number, True)

    def get_invoice(self, number: int) -> Document:
        return self._get(number, False)

    def _get(self, number: int, purchase: bool) -> Document:
        resource = "purchases" if purchase else "invoices"
        raw = self._call("GET", f"/{resource}/{number}", resource[:-1])
        return convert.to_document(raw, purchase, self._project_ids())

    def get_receipts_for_supplier(self, supplier_id: int, lines: bool = True,
                                  ) -> list[Document]:
        """The supplier's purchases, without their lines (REST lists have none; lines=True
        reads each one)."""
        return self._for_partner(supplier_id, True, lines)

    def get_invoices_for_customer(self, customer_id: int, lines: bool = True,
                                  ) -> list[Document]:
        return self._for_partner(customer_id, False, lines)

    def _for_partner(self, party_id: int, purchase: bool, lines: bool) -> list[Document]:
        resource = "purchases" if purchase else "invoices"
        code = self._code("supplier_codes" if purchase else "customer_codes", party_id,
                          "supplier" if purchase else "customer")
        rows = self._pages(f"/{resource}", resource,
                           **{("suppliercode" if purchase else "customercode"): code})
        if lines:
            return [self._get(int(r["Number"]), purchase) for r in rows]
        return [convert.to_document(r, purchase, self._project_ids()) for r in rows]

    def attach_file_to_receipt(self, number: int, attachment: Attachment) -> int:
        """Attach a file to the purchase with this number; the file's id. KashFlow keeps a
        REST document's files in the account's Dropbox (connected in KashFlow's settings)."""
        return self._attach("purchases", number, attachment)

    def attach_file_to_invoice(self, number: int, attachment: Attachment) -> int:
        return self._attach("invoices", number, attachment)

    def _attach(self, resource: str, number: int, attachment: Attachment) -> int:
        content_type = attachment.content_type or guess_content_type(attachment.filename)
        answer = self._call("POST", f"/{resource}/{number}/files", "add file", write=True,
                            files={"file": (attachment.filename, attachment.content,
                                            content_type)})
        file_id = int((answer or {}).get("Id") or 0)
        if not file_id:
            raise UnclearOutcomeError(
                "KashFlow answered the file without its id, so it may or may not have it. "
                "Look for it on the document in KashFlow before sending it again.",
                operation="add file")
        return file_id

    def get_receipt_files(self, number: int) -> list[str]:
        """The names of the files on the purchase with this number (REST can list them)."""
        return [str(f.get("FileName") or "")
                for f in self._call("GET", f"/purchases/{number}/files", "files") or []]

    def get_invoice_files(self, number: int) -> list[str]:
        return [str(f.get("FileName") or "")
                for f in self._call("GET", f"/invoices/{number}/files", "files") or []]

    def apply_credit_note(self, invoice_id: int, credit_note_id: int) -> bool:
        """Set a credit note against an invoice, both by id (Document.db_id), as far as the
        invoice still owes. KashFlow's REST API does it in its web application's part
        (/internal/), published but marked as liable to change."""
        self._call("POST", f"/internal/invoices/{invoice_id}/credits", "apply credit note",
                   body={"creditList": [{"Id": credit_note_id, "Type": "CreditNote"}]},
                   write=True)
        return True

    def delete_receipt(self, number: int) -> None:
        self._call("DELETE", f"/purchases/{number}", "delete purchase", write=True)

    def delete_invoice(self, number: int) -> None:
        self._call("DELETE", f"/invoices/{number}", "delete invoice", write=True)

    def _project_ids(self) -> dict[int, int]:
        return {number: pid for pid, number in self._map("project_numbers").items()}


# get_list's names, as the SOAP client's.
LISTS: dict[str, Callable[[KashFlowRestClient], list[Any]]] = {
    "nominal_codes": KashFlowRestClient.get_nominal_codes,
    "vat_rates": KashFlowRestClient.get_vat_rates,
    "bank_accounts": KashFlowRestClient.get_bank_accounts,
    "projects": KashFlowRestClient.get_projects,
    "invoice_payment_methods": KashFlowRestClient.get_invoice_payment_methods,
    "receipt_payment_methods": KashFlowRestClient.get_receipt_payment_methods,
    "currencies": KashFlowRestClient.get_currencies,
    "suppliers": KashFlowRestClient.get_suppliers,
    "customers": KashFlowRestClient.get_customers,
}
