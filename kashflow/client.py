"""KashFlowClient: KashFlow's SOAP API as typed Python methods.

Every call sends UserName and Password (KashFlow has no sessions), checks
Status, and turns failures into kashflow.errors. Reads are retried on any
transient failure; writes only when KashFlow surely did not receive them.
"""

from __future__ import annotations

import base64
import functools
import logging
import time
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

import requests
import zeep
import zeep.wsdl

from . import convert
from .convert import Builder, Raw, items, plain
from .errors import (
    AutoAuthError,
    IPNotAllowedError,
    NotFoundError,
    UnclearOutcomeError,
    error_from_status,
)
from .failures import WIRE_ERRORS, no_status, translate
from .list_reader import ListCall, Listed, ListFigures, ListReader, answer_digest
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
    ReceiptPage,
    Supplier,
    VatRate,
)
from .retry import RetryPolicy
from .transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    KashFlowTransport,
    install_redaction,
    shown,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_URL = "https://securedwebapp.com/api/service.asmx"
BINDING = "{KashFlow}KashFlowAPISoap"  # SOAP 1.1
# Operations that change the account. They are never sent twice unless the
# first attempt surely did not reach KashFlow (see kashflow.failures).
WRITES = frozenset({
    "AutoAuthIP", "InsertSupplier", "InsertCustomer", "InsertReceipt", "InsertInvoice",
    "DeleteReceipt", "DeleteInvoice", "InsertReceiptPayment", "InsertInvoicePayment",
    "AttachFileToReceipt", "AttachFileToInvoice", "applyCreditNoteToInvoice",
    # Setting a currency twice sets the same one: safe, but a write all the same.
    "SetSupplierCurrency", "SetCustomerCurrency",
})


# The lists get_list() reads, by name (get_<name>() reads the same): operation, record maker.
LISTS: dict[str, tuple[str, Callable[[Raw], Any]]] = {
    "nominal_codes": ("GetNominalCodesExtended", convert.to_nominal),
    "vat_rates": ("GetVATRates", convert.to_vat_rate),
    "bank_accounts": ("GetBankAccounts", convert.to_bank_account),
    "projects": ("GetProjects", convert.to_project),
    "invoice_payment_methods": ("GetInvPayMethods", convert.to_payment_method),
    "receipt_payment_methods": ("GetRecPayMethods", convert.to_payment_method),
    "currencies": ("GetCurrencies", convert.to_currency),
    "suppliers": ("GetSuppliers", convert.to_supplier),
    "customers": ("GetCustomers", convert.to_customer),
}

# The parts of a document that a list of documents without their lines does not read
# (to_document reads no delivery address).
DOCUMENT_DETAILS = frozenset({"Lines", "DeliveryAddress"})

SETTINGS = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True,
                         forbid_entities=True, forbid_external=True)


@functools.cache
def wsdl_document() -> zeep.wsdl.Document:
    """The parsed WSDL, shared by every client: parsing it costs more than a call.

    It ships with the package, so building a client never touches the network;
    the parsed document is only read afterwards.
    """
    with resources.files(__package__).joinpath("wsdl/kashflow.wsdl").open("rb") as wsdl:
        return zeep.wsdl.Document(wsdl, zeep.Transport(), settings=SETTINGS)


class KashFlowClient:
    """KashFlow's API for one account.

    timeout bounds each attempt of a call from the first byte to the last, however slowly
    the server answers. max_retries is how many times a transient failure is tried again
    (never a write that may have arrived); 0 makes one attempt only, for a person waiting
    on a button: the caller's queue does the retries. The client follows no redirect and
    speaks only http and https. home_currency: the account's own currency (its documents'
    amounts in any other are sent as amounts in that currency, ValuesInCurrency).
    autoauth_key: the account's AutoAuth key; given, a call that KashFlow refuses because
    this machine's address is not in the access list (another worker's machine, a new
    address) adds the address with AutoAuth, as at Connect, and is made again, once; when
    AutoAuth cannot add it, the IPNotAllowedError is raised from the AutoAuthError.
    """

    # A payment is its own call here (KashFlowRestClient sends it with its document).
    pays_with_document = False

    def __init__(self, username: str, password: str, url: str = DEFAULT_URL,
                 timeout: float = 30.0, max_retries: int = 3, backoff: float = 0.5,
                 app_name: str = "dext-kashflow", session: requests.Session | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 home_currency: str = "GBP", autoauth_key: str | None = None) -> None:
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        install_redaction()
        self.username = username
        self._password = password  # kept out of repr() and of every message
        self._autoauth_key = autoauth_key  # likewise
        self.url = url
        self.app_name = app_name
        self.timeout = timeout
        self._owns_session = session is None
        self._transport = KashFlowTransport(timeout, max_response_bytes, session)
        self._retry = RetryPolicy(max_retries=max_retries, backoff=backoff, sleep=sleep)
        self._zeep = zeep.Client(wsdl_document(), transport=self._transport,
                                 settings=SETTINGS)
        self._service = self._zeep.create_service(BINDING, url)
        self._binding = self._service._binding
        self._list_readers: dict[tuple[str, frozenset[str]], ListReader] = {}
        self._build = Builder(self._zeep, home_currency)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, url={shown(self.url)!r})"

    def close(self) -> None:
        if self._owns_session:
            self._transport.session.close()

    def __enter__(self) -> KashFlowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The one way out -----------------------------------------------------------

    def _call(self, operation: str, *, listing: ListCall | None = None,
              **params: Any) -> Raw:
        """Call operation, retrying as allowed; the response as a dict when Status is OK.

        listing: read the answer with its reader rather than with zeep's objects (lists
        only), unless it is the answer listing.unless is the digest of.
        """
        write = operation in WRITES
        method = getattr(self._service, operation)

        def send() -> Raw:
            if listing is None:
                return plain(method(UserName=self.username, Password=self._password,
                                    **params)) or {}
            # zeep hands the HTTP answer back unread, for the list reader.
            with self._zeep.settings(raw_response=True):
                answer = method(UserName=self.username, Password=self._password, **params)
            listing.digest = answer_digest(answer.content)
            # The very answer read before, which had Status OK: nothing to read again.
            listing.unchanged = answer.status_code == 200 and listing.digest == listing.unless
            if listing.unchanged:
                return {"Status": "OK"}
            raw = listing.reader.read(answer.content) if answer.status_code == 200 else None
            if raw is None:  # not a plain list (a fault...): zeep reads it, as for any call
                raw = plain(self._binding.process_reply(
                    self._zeep, self._binding.get(operation), answer)) or {}
            return raw

        def attempt() -> Raw:
            self._transport.forget()
            try:
                raw = send()
            except WIRE_ERRORS as error:
                call = self._transport.last_call
                nothing_sent = call is None or call.nothing_sent
                raise translate(error, operation, self.url, write, nothing_sent) from error
            except Exception as error:
                call = self._transport.last_call
                if call is None or not call.answered:
                    raise  # the request could not be built: a bug, and nothing was sent
                # zeep failed on the answer in a way it does not report as its own error.
                raise translate(error, operation, self.url, write) from error
            status = raw.get("Status")
            if status == "OK":
                return raw
            if status == "NO":
                raise error_from_status(operation, raw.get("StatusDetail"))
            raise no_status(operation, status, write)

        try:
            return self._retry.run(attempt, operation)
        except IPNotAllowedError as refused:
            if not self._autoauth_key or operation == "AutoAuthIP":
                raise
            # KashFlow refused the call at the door, before reading it: a write was not
            # applied, and is sent again once AutoAuth has let this machine in.
            logger.info("KashFlow does not know this machine's address: adding it with "
                        "AutoAuth")
            try:
                self.auto_auth_ip(self._autoauth_key)
            except AutoAuthError as autoauth:
                raise refused from autoauth
        return self._retry.run(attempt, operation)

    def _list(self, operation: str, to_model: Callable[[Raw], T]) -> list[T]:
        """The records a list operation answers, as models; read without zeep's objects."""
        records = self._read_list(operation, to_model, None).records
        assert records is not None  # read in full, with no digest to compare with
        return records

    def _read_list(self, operation: str, to_model: Callable[[Raw], T],
                   unless: str | None, skip: frozenset[str] = frozenset(),
                   **params: Any) -> Listed[T]:
        """skip: elements of each record not read (see ListReader); params: the call's."""
        reader = self._list_readers.get((operation, skip))
        if reader is None:
            reader = ListReader(self._binding, operation, skip)
            self._list_readers[(operation, skip)] = reader
        listing = ListCall(reader, unless)
        started = time.perf_counter()
        raw = self._call(operation, listing=listing, **params)
        read = time.perf_counter()
        models = None if listing.unchanged else [
            to_model(record) for record in reader.records(raw)]
        if logger.isEnabledFor(logging.DEBUG):
            call = self._transport.last_call
            figures = ListFigures(operation, len(models or ()),
                                  call.body_bytes if call else 0,
                                  call.elapsed if call else 0.0, read - started,
                                  time.perf_counter() - read, listing.unchanged)
            logger.debug("%s", figures, extra={"kashflow_list": figures})
        assert listing.digest is not None  # set by every answer read
        return Listed(listing.digest, models)

    def _result(self, operation: str, **params: Any) -> Any:
        return self._call(operation, **params).get(f"{operation}Result")

    def _new_id(self, operation: str, **params: Any) -> int:
        """The id or number a write returns; KashFlow's 0 means we cannot tell what happened."""
        value = self._result(operation, **params)
        if not value:
            raise UnclearOutcomeError(
                f"KashFlow answered {operation} with OK but without the new id or number, so "
                "it may or may not have applied it. Look it up in KashFlow before sending it "
                "again.", operation=operation)
        return int(value)

    # Connection --------------------------------------------------------------

    def auto_auth_ip(self, key: str) -> int:
        """Add this server's IP address to the account's access list, with the AutoAuth key."""
        return int(self._result("AutoAuthIP", appName=self.app_name, AutoAuthKey=key) or 0)

    def get_company_details(self) -> CompanyDetails:
        return convert.to_company(self._result("GetCompanyDetails") or {})

    def is_vat_registered(self) -> bool:
        return bool(self._result("isUserVATRegistered"))

    # Lists -------------------------------------------------------------------

    def get_list(self, name: str, unless: str | None = None) -> Listed[Any]:
        """The list name (a key of LISTS: "suppliers" reads what get_suppliers() reads) with
        the digest of KashFlow's answer. unless: a digest get_list gave before; when KashFlow
        answers byte for byte as then, its records are not read again (None).
        """
        return self._read_list(*LISTS[name], unless)

    def get_nominal_codes(self) -> list[NominalCode]:
        return self._list(*LISTS["nominal_codes"])

    def get_vat_rates(self) -> list[VatRate]:
        return self._list(*LISTS["vat_rates"])

    def get_bank_accounts(self) -> list[BankAccount]:
        return self._list(*LISTS["bank_accounts"])

    def get_projects(self) -> list[Project]:
        return self._list(*LISTS["projects"])

    def get_invoice_payment_methods(self) -> list[PaymentMethod]:
        return self._list(*LISTS["invoice_payment_methods"])

    def get_receipt_payment_methods(self) -> list[PaymentMethod]:
        return self._list(*LISTS["receipt_payment_methods"])

    def get_currencies(self) -> list[Currency]:
        return self._list(*LISTS["currencies"])

    # Suppliers and customers -------------------------------------------------

    def get_suppliers(self) -> list[Supplier]:
        return self._list(*LISTS["suppliers"])

    def get_supplier(self, code: str) -> Supplier:
        return self._supplier("GetSupplier", f"code {code}", SupplierCode=code)

    def get_supplier_by_id(self, id: int) -> Supplier:
        return self._supplier("GetSupplierByID", f"ID {id}", SupplierID=id)

    def insert_supplier(self, supplier: Supplier) -> int:
        return self._new_id("InsertSupplier", supl=self._build.supplier(supplier))

    def get_supplier_currency(self, code: str) -> str:
        """The ISO code of the currency the supplier with this code deals in."""
        return str(self._result("GetSupplierCurrency", SupplierCode=code) or "")

    def set_supplier_currency(self, code: str, currency: str) -> None:
        """Make the supplier with this code deal in currency (an ISO code the account has)."""
        self._call("SetSupplierCurrency", CurrencyCode=currency, SupplierCode=code)

    def _supplier(self, operation: str, what: str, **params: Any) -> Supplier:
        supplier = convert.to_supplier(self._result(operation, **params) or {})
        if not supplier.id:  # an empty record, KashFlow's other way of saying "none"
            raise NotFoundError(f"KashFlow has no supplier with the {what}.",
                                operation=operation)
        return supplier

    def get_customers(self) -> list[Customer]:
        return self._list(*LISTS["customers"])

    def get_customer(self, code: str) -> Customer:
        return self._customer("GetCustomer", f"code {code}", CustomerCode=code)

    def get_customer_by_id(self, id: int) -> Customer:
        return self._customer("GetCustomerByID", f"ID {id}", CustomerID=id)

    def insert_customer(self, customer: Customer) -> int:
        return self._new_id("InsertCustomer", custr=self._build.customer(customer))

    def get_customer_currency(self, code: str) -> str:
        """The ISO code of the currency the customer with this code deals in."""
        return str(self._result("GetCustomerCurrency", CustomerCode=code) or "")

    def set_customer_currency(self, code: str, currency: str) -> None:
        """Make the customer with this code deal in currency (an ISO code the account has)."""
        self._call("SetCustomerCurrency", CurrencyCode=currency, CustomerCode=code)

    def _customer(self, operation: str, what: str, **params: Any) -> Customer:
        customer = convert.to_customer(self._result(operation, **params) or {})
        if not customer.id:
            raise NotFoundError(f"KashFlow has no customer with the {what}.",
                                operation=operation)
        return customer

    # Purchases (KashFlow: receipts) ------------------------------------------

    def insert_receipt(self, doc: Document) -> int:
        """Send a purchase invoice or credit note with its lines; its new receipt number."""
        return self._new_id("InsertReceipt", Inv=self._build.invoice(doc))

    def get_receipt(self, number: int) -> Document:
        return self._document("GetReceipt", "receipt", number, ReceiptNumber=number)

    def get_receipts_for_supplier(self, supplier_id: int, lines: bool = True,
                                  ) -> list[Document]:
        """The supplier's receipts. lines=False, when only the documents themselves are
        wanted: their lines are not read (much faster for a supplier with many; an odd
        answer left to zeep may still bring them)."""
        return self._documents("GetReceiptsForSupplier", lines, SupplierID=supplier_id)

    def get_receipts_page(self, page: int = 1, per_page: int = 100,
                          filter_by: str = "All") -> ReceiptPage:
        """One page of receipts, newest first; KashFlow allows at most 100 per page."""
        raw = self._call("GetReceiptsWithPaging", Page=page, PerPage=per_page,
                         FilterBy=filter_by)
        return convert.to_receipt_page(raw)

    def delete_receipt(self, number: int) -> None:
        self._call("DeleteReceipt", ReceiptNumber=number)

    def insert_receipt_payment(self, payment: Payment) -> int:
        return self._new_id("InsertReceiptPayment", ReceiptPayment=self._build.payment(payment))

    def attach_file_to_receipt(self, number: int, attachment: Attachment) -> int:
        """Attach a file to the receipt with this number; the attachment's id."""
        return self._attach("AttachFileToReceipt", attachment, ReceiptNo=number)

    def _attach(self, operation: str, attachment: Attachment, **number: int) -> int:
        extension = attachment.filename.rpartition(".")[2] if "." in attachment.filename else ""
        return self._new_id(
            operation, **number,
            Base64String=base64.b64encode(attachment.content).decode("ascii"),
            ContentType=attachment.content_type or convert.guess_content_type(
                attachment.filename),
            Filename=attachment.filename, FileExtension=extension,
            FileSize=str(len(attachment.content)))

    # Sales (KashFlow: invoices) ----------------------------------------------

    def insert_invoice(self, doc: Document) -> int:
        """Send a sales invoice or credit note with its lines; its new invoice number."""
        return self._new_id("InsertInvoice", Inv=self._build.invoice(doc))

    def get_invoice(self, number: int) -> Document:
        return self._document("GetInvoice", "invoice", number, InvoiceNumber=number)

    def get_invoices_for_customer(self, customer_id: int, lines: bool = True,
                                  ) -> list[Document]:
        """The customer's invoices; without their lines (lines=False) as for receipts."""
        return self._documents("GetInvoicesForCustomer", lines, CustID=customer_id)

    def _documents(self, operation: str, lines: bool, **params: Any) -> list[Document]:
        if lines:
            result = self._result(operation, **params)
            return [convert.to_document(r) for r in items(result, "Invoice")]
        records = self._read_list(operation, convert.to_document, None,
                                  skip=DOCUMENT_DETAILS, **params).records
        assert records is not None  # read, as no digest was given
        return records

    def attach_file_to_invoice(self, number: int, attachment: Attachment) -> int:
        """Attach a file to the sales invoice with this number; the attachment's id (an
        operation of KashFlow's newer WSDL)."""
        return self._attach("AttachFileToInvoice", attachment, InvoiceNo=number)

    def delete_invoice(self, number: int) -> None:
        self._call("DeleteInvoice", InvoiceNumber=number)

    def insert_invoice_payment(self, payment: Payment) -> int:
        return self._new_id("InsertInvoicePayment", InvoicePayment=self._build.payment(payment))

    def apply_credit_note(self, invoice_id: int, credit_note_id: int) -> bool:
        """Set a credit note against an invoice; both by db_id, not by number."""
        return bool(self._result("applyCreditNoteToInvoice", InvoiceID=invoice_id,
                                 CreditNoteID=credit_note_id))

    def _document(self, operation: str, noun: str, number: int, **params: Any) -> Document:
        raw = self._result(operation, **params)
        # KashFlow answers an unknown number with an empty document, not Status NO.
        if not raw or not raw.get("InvoiceDBID"):
            raise NotFoundError(f"KashFlow has no {noun} with the number {number}.",
                                operation=operation)
        return convert.to_document(raw)
