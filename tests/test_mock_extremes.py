"""Every numeric, date and boolean field of every operation in the project's WSDL, sent with
extreme values, gets an answer as KashFlow gives one: Status OK, Status NO with a reason, or a
client SOAP Fault for a value it cannot read. Never an HTML page or a server fault, and an
answer that is an error changes nothing in the account.

The operations and field types come from the mock's schema (read from the WSDL); the requests
are written here, field by field, so that the mock's own writer is not what is tested.
"""

from __future__ import annotations

import pytest
import requests
from lxml import etree
from rawsoap import SOAP11, Reply, document, line, new_account, post

from mock_kashflow.schema import KF, XSI, Field, kashflow_schema

SCHEMA = kashflow_schema()
NIL = "xsi:nil"  # a marker: the element is sent as <X xsi:nil="true"/>
EXTREMES: dict[str, list[str]] = {
    "int": ["2147483648", "-2147483649", "-1", "", "1.5", "NaN", NIL],
    "long": ["9223372036854775808", "-1", "", NIL],
    "integer": ["9" * 50, "-1", "", NIL],
    "decimal": ["1E+30", "79228162514264337593543950336", "999999999999999",
                "-999999999999999", "-1", "0.001", "0." + "0" * 40 + "1", "NaN", "Infinity",
                "", NIL],
    "dateTime": ["9999-12-31T23:59:59", "0001-01-02T00:00:00", "1752-12-31T00:00:00",
                 "0000-01-01T00:00:00", "2026-02-30T00:00:00", "", NIL],
    "boolean": ["", "yes", NIL],
}
# What each insert adds, to take it away again so that the account stays small.
INSERTED = {"InsertSupplier": "suppliers", "InsertCustomer": "customers",
            "InsertReceipt": "receipts", "InsertInvoice": "invoices",
            "InsertReceiptPayment": "payments", "InsertInvoicePayment": "payments"}


def leaves(fields: list[Field], prefix: str = "") -> list[tuple[str, str]]:
    """(path, type) of each simple non-string field, through complex types and invoice lines."""
    found = []
    for field in fields:
        path = f"{prefix}{field.name}"
        if field.type in EXTREMES:
            found.append((path, field.type))
        elif field.type == "ArrayOfAnyType":
            found += leaves(SCHEMA.types["InvoiceLine"], f"{path}.0.")
        elif SCHEMA.is_complex(field.type) and field.type != "ArrayOfAnyType":
            found += leaves(SCHEMA.types[field.type], f"{path}.")
    return found


OPERATIONS = {op: leaves(SCHEMA.elements[op]) for op in SCHEMA.operations}
TESTED = sorted(op for op, fields in OPERATIONS.items() if fields)


def write(parent: etree._Element, fields: list[Field], values: dict, path: str,
          override: tuple[str, str] | None) -> None:
    """Write fields under parent: values where given, .NET's zero for the other value types."""
    for field in fields:
        here = f"{path}{field.name}"
        value = values.get(field.name)
        if value is None and field.type not in EXTREMES:
            continue
        node = etree.SubElement(parent, f"{{{KF}}}{field.name}")
        if field.type == "ArrayOfAnyType":
            for number, item in enumerate(value):
                child = etree.SubElement(node, f"{{{KF}}}anyType")
                child.set(f"{{{XSI}}}type", "InvoiceLine")
                write(child, SCHEMA.types["InvoiceLine"], item, f"{here}.{number}.", override)
        elif SCHEMA.is_complex(field.type):
            write(node, SCHEMA.types[field.type], value, f"{here}.", override)
        elif override and override[0] == here:
            if override[1] == NIL:
                node.set(f"{{{XSI}}}nil", "true")
            else:
                node.text = override[1]
        else:
            node.text = value if value is not None else {
                "dateTime": "0001-01-01T00:00:00", "boolean": "false"}.get(field.type, "0")


def request(account, operation: str, values: dict,
            override: tuple[str, str] | None = None) -> Reply:
    payload = etree.Element(f"{{{KF}}}{operation}", nsmap={None: KF, "xsi": XSI})
    write(payload, SCHEMA.elements[operation],
          {"UserName": account.username, "Password": account.password, **values}, "", override)
    body = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP11}">'
            f"<soap:Body>{etree.tostring(payload).decode()}</soap:Body></soap:Envelope>")
    return post(account.url, body, operation)


@pytest.fixture
def books(mock_server):
    """A demo account with one receipt, one invoice and a credit note, and the ids to use."""
    account = new_account(mock_server.url)
    state = account.state()
    supplier = next(s for s in state["suppliers"] if s["PaymentTerms"] == 30)
    customer = state["customers"][0]
    nominal = state["nominal_codes"][0]["id"]
    receipt = account.call("InsertReceipt", document(
        supplier["SupplierID"], [line(charge_type=nominal)])).value("InsertReceiptResult")
    invoice = account.call("InsertInvoice", document(
        customer["CustomerID"], [line(charge_type=nominal)])).value("InsertInvoiceResult")
    credit = account.call("InsertInvoice", document(
        customer["CustomerID"], [line(rate="-10.00", vat="-2.00", charge_type=nominal)]
    )).value("InsertInvoiceResult")
    by_number = {i["InvoiceNumber"]: i["InvoiceDBID"] for i in account.state()["invoices"]}
    line_values = {"Quantity": "2", "Description": "Paper", "Rate": "12.50",
                   "ChargeType": str(nominal), "VatRate": "20", "VatAmount": "5.00"}
    document_values = {"InvoiceDate": "2026-11-01T00:00:00", "CustomerReference": "EXT-1",
                       "ExchangeRate": "1", "Lines": [line_values]}
    payment = {"PayDate": "2026-11-02T00:00:00", "PayMethod": "1",
               "PayAccount": str(state["bank_accounts"][0]["AccountID"]), "PayAmount": "10.00"}
    supplier_id, customer_id = str(supplier["SupplierID"]), str(customer["CustomerID"])
    baselines = {
        "GetSupplierByID": {"SupplierID": supplier_id},
        "InsertSupplier": {"supl": {"Name": "Extreme Supplies", "PaymentTerms": "30"}},
        "GetCustomerByID": {"CustomerID": customer_id},
        "InsertCustomer": {"custr": {"Name": "Extreme Customer", "PaymentTerms": "30"}},
        "InsertReceipt": {"Inv": {**document_values, "CustomerID": supplier_id}},
        "GetReceipt": {"ReceiptNumber": receipt},
        "GetReceiptsForSupplier": {"SupplierID": supplier_id},
        "GetReceiptsWithPaging": {"Page": "1", "PerPage": "10", "FilterBy": "All"},
        "DeleteReceipt": {"ReceiptNumber": receipt},
        "InsertReceiptPayment": {"ReceiptPayment": {**payment, "PayInvoice": receipt}},
        "AttachFileToReceipt": {"ReceiptNo": receipt, "Base64String": "aGVsbG8=",
                                "Filename": "note.txt"},
        "AttachFileToInvoice": {"InvoiceNo": invoice, "Base64String": "aGVsbG8=",
                                "Filename": "note.txt"},
        "InsertInvoice": {"Inv": {**document_values, "CustomerID": customer_id}},
        "GetInvoice": {"InvoiceNumber": invoice},
        "GetInvoicesForCustomer": {"CustID": customer_id},
        "DeleteInvoice": {"InvoiceNumber": invoice},
        "InsertInvoicePayment": {"InvoicePayment": {**payment, "PayInvoice": invoice}},
        "applyCreditNoteToInvoice": {"InvoiceID": str(by_number[int(invoice)]),
                                     "CreditNoteID": str(by_number[int(credit)])},
    }
    return account, baselines


def test_every_operation_with_numbers_or_dates_is_covered(books):
    _, baselines = books
    assert sorted(baselines) == TESTED
    assert ("Inv.Lines.0.Rate", "decimal") in OPERATIONS["InsertReceipt"]
    assert ("ReceiptPayment.PayDate", "dateTime") in OPERATIONS["InsertReceiptPayment"]


def problem(reply: Reply) -> str | None:
    """What is wrong with an answer, if it is not one KashFlow gives."""
    status, detail = reply.status
    if reply.http_status == 200 and status == "OK":
        return None
    if reply.http_status == 200 and status == "NO":
        return None if detail else "Status NO without a StatusDetail"
    faultcode = None if reply.root is None else reply.root.findtext(".//faultcode")
    if reply.http_status == 500 and faultcode == "soap:Client" and reply.fault:
        return None
    return f"HTTP {reply.http_status}, fault code {faultcode}: {reply.text[:120]!r}"


def is_error(reply: Reply) -> bool:
    return not (reply.http_status == 200 and reply.value("Status") == "OK")


@pytest.mark.parametrize("operation", TESTED)
def test_extreme_values_get_a_proper_answer_and_errors_change_nothing(books, operation):
    account, baselines = books
    values = baselines[operation]
    baseline = request(account, operation, values)
    assert baseline.ok, baseline.text
    problems = []
    control = requests.Session()
    state_url = f"{account.base_url}/_mock/accounts/{account.username}"
    before = control.get(state_url, timeout=10).json()
    for path, type_ in OPERATIONS[operation]:
        for extreme in EXTREMES[type_]:
            reply = request(account, operation, values, (path, extreme))
            wrong = problem(reply)
            if not is_error(reply) and operation in INSERTED:
                control.delete(f"{state_url}/{INSERTED[operation]}/"
                               f"{reply.value(f'{operation}Result')}", timeout=10)
            after = control.get(state_url, timeout=10).json()
            if wrong:
                problems.append(f"{path}={extreme!r}: {wrong}")
            elif is_error(reply) and after != before:
                problems.append(f"{path}={extreme!r}: refused ({reply.status[1] or reply.fault})"
                                " but the account changed")
            before = after
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation,path,value,words", [
    ("InsertReceipt", "Inv.InvoiceDate", "9999-12-31T00:00:00",
     "The due date (31/12/9999 plus the supplier's payment terms of 30 days) is outside"),
    ("InsertReceipt", "Inv.InvoiceDate", "1752-12-31T00:00:00",
     "The receipt date 31/12/1752 is outside the dates KashFlow accepts"),
    ("InsertInvoice", "Inv.DueDate", "0001-01-02T00:00:00", "The due date 02/01/0001 is outside"),
    ("InsertReceipt", "Inv.Lines.0.Quantity", "1000000000000", "Line 1: Quantity "
     "1000000000000 is larger than KashFlow accepts"),
    ("InsertReceipt", "Inv.Lines.0.Rate", "1E+30", "'1E+30' is not a valid decimal"),
    ("InsertReceipt", "Inv.Lines.0.Rate", "79228162514264337593543950336",
     "too large or too small for a Decimal"),
    ("InsertReceipt", "Inv.Lines.0.Rate", "0.001", "Line 1: Rate 0.001 has more than 2 decimal"),
    ("InsertReceipt", "Inv.Lines.0.Sort", "-1", "Line 1: Sort must be 0 or more"),
    ("InsertReceipt", "Inv.Lines.0.VatAmount", "NaN", "'NaN' is not a valid decimal"),
    ("InsertReceipt", "Inv.ExchangeRate", "-1", "The exchange rate must be more than 0"),
    ("InsertReceipt", "Inv.CustomerID", "-1", "There is no supplier with the ID -1"),
    ("InsertSupplier", "supl.PaymentTerms", "-1", "payment terms must be 0 to 999 days"),
    ("InsertCustomer", "custr.Discount", "-1", "discount must be 0 to 100"),
    ("InsertReceiptPayment", "ReceiptPayment.PayAmount", "-999999999999999", "larger than"),
    ("InsertInvoicePayment", "InvoicePayment.PayDate", "9999-12-31T23:59:59",
     None),  # accepted: the last day KashFlow keeps
    ("GetReceiptsWithPaging", "PerPage", "-1", "PerPage must be between 1 and 100"),
    ("DeleteReceipt", "ReceiptNumber", "2147483648", "too large or too small for an Int32"),
])
def test_the_answers_say_what_is_wrong(books, operation, path, value, words):
    """Some of the answers above, as the person reading the client's log sees them."""
    account, baselines = books
    reply = request(account, operation, baselines[operation], (path, value))
    if words is None:
        assert reply.ok, reply.text
    else:
        assert words in (reply.status[1] or reply.fault or ""), reply.text
