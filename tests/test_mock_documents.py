"""The mock's documents: receipts and invoices inserted, read, paid, credited, deleted."""

from decimal import Decimal

import pytest
from rawsoap import document, line, new_account


@pytest.fixture
def account(mock_server):
    return new_account(mock_server.url)


@pytest.fixture
def ids(account):
    state = account.state()
    nominals = {n["Code"]: n["id"] for n in state["nominal_codes"]}
    return {
        "supplier": state["suppliers"][0]["SupplierID"],
        "customer": state["customers"][0]["CustomerID"],
        "telephone": nominals[7502], "sales": nominals[4000],
        "bank": state["bank_accounts"][0]["AccountID"],
        "project": state["projects"][0]["ID"],
    }


def insert(account, operation, party_id, lines, **kw):
    return account.call(operation, document(party_id, lines, **kw), **{})


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("prefixed", [False, True])
def test_insert_receipt_in_every_envelope_style(account, ids, version, prefixed):
    body = document(ids["supplier"], [line("100.00", "20", "20.00", ids["telephone"]),
                                      line("10.00", "-1", "0", ids["telephone"])])
    reply = account.call("InsertReceipt", body, version=version, prefixed=prefixed)
    assert reply.ok, reply.text
    number = int(reply.value("InsertReceiptResult"))
    [receipt] = account.state()["receipts"]
    assert receipt["InvoiceNumber"] == number == 1
    assert receipt["CustomerID"] == ids["supplier"]
    assert (Decimal(receipt["NetAmount"]), Decimal(receipt["VATAmount"])) == (110, 20)
    assert [ln["VatRate"] for ln in receipt["Lines"]] == ["20", "-1"]
    assert [ln["Sort"] for ln in receipt["Lines"]] == [1, 2]


def test_numbers_increment_and_get_receipt_reads_back(account, ids):
    numbers = []
    for amount in ("1.00", "2.00", "3.00"):
        reply = insert(account, "InsertReceipt", ids["supplier"],
                       [line(amount, "0", "0", ids["telephone"])])
        numbers.append(int(reply.value("InsertReceiptResult")))
    assert numbers == [1, 2, 3]
    reply = account.call("GetReceipt", "<ReceiptNumber>2</ReceiptNumber>")
    assert reply.ok
    assert reply.value("NetAmount") == "2.00"
    assert reply.value("CustomerReference") == "REF-1"
    lines = reply.find("Lines")
    assert [etree_type(n) for n in lines] == ["InvoiceLine"]


def etree_type(node):
    return node.get("{http://www.w3.org/2001/XMLSchema-instance}type")


def test_unknown_receipt_number_reads_as_an_empty_document(account):
    reply = account.call("GetReceipt", "<ReceiptNumber>999</ReceiptNumber>")
    assert reply.ok and reply.value("InvoiceDBID") == "0"


@pytest.mark.parametrize("lines,party,detail", [
    (lambda i: [], "supplier", "The receipt has no lines"),
    (lambda i: [line(charge_type=424242)], "supplier",
     "Line 1: there is no nominal code with the ID 424242"),
    (lambda i: [line(vat_rate="17.5", vat="17.50")], "supplier",
     "Line 1: 17.5% is not one of this account's VAT rates (use -1 for exempt)"),
    (lambda i: [line(rate="10.005", vat="0", vat_rate="0")], "supplier",
     "Line 1: Rate 10.005 has more than 2 decimal places"),
    (lambda i: [line(vat="2.001")], "supplier",
     "Line 1: VatAmount 2.001 has more than 2 decimal places"),
    (lambda i: [line(vat_rate="-1", vat="1.00")], "supplier",
     "Line 1: an exempt line (VAT rate -1) cannot carry VAT"),
    (lambda i: [line(xsi_type="")], "supplier",
     'Line 1: lines must be sent as anyType elements with xsi:type="InvoiceLine"'),
    (lambda i: [line(project=31337)], "supplier", "Line 1: there is no project with the ID 31337"),
    (lambda i: [line()], 987654, "There is no supplier with the ID 987654"),
])
def test_receipt_rules(account, ids, lines, party, detail):
    party_id = ids[party] if isinstance(party, str) else party
    reply = insert(account, "InsertReceipt", party_id, lines(ids))
    assert reply.status == ("NO", detail)
    assert reply.value("InsertReceiptResult") == "0"
    assert account.state()["receipts"] == []


def test_invoice_needs_a_customer_not_a_supplier(account, ids):
    reply = insert(account, "InsertInvoice", ids["supplier"], [line(charge_type=ids["sales"])])
    assert reply.status == ("NO", f"There is no customer with the ID {ids['supplier']}")


def test_receipt_without_a_date_is_refused(account, ids):
    reply = insert(account, "InsertReceipt", ids["supplier"], [line()],
                   date="0001-01-01T00:00:00")
    assert reply.status == ("NO", "The receipt date is missing")


def test_due_date_defaults_to_the_suppliers_terms(account, ids):
    insert(account, "InsertReceipt", ids["supplier"], [line()])
    receipt = account.state()["receipts"][0]
    assert receipt["DueDate"] == "2026-12-01T00:00:00"  # 30 days for the first demo supplier


def test_receipt_payment_marks_it_paid(account, ids):
    insert(account, "InsertReceipt", ids["supplier"], [line("50.00", "20", "10.00")])
    payment = (f"<ReceiptPayment><PayID>0</PayID><PayInvoice>1</PayInvoice>"
               f"<PayDate>2026-11-02T00:00:00</PayDate><PayNote>card</PayNote>"
               f"<PayMethod>4</PayMethod><PayAccount>{ids['bank']}</PayAccount>"
               f"<PayAmount>{{amount}}</PayAmount></ReceiptPayment>")
    assert account.call("InsertReceiptPayment", payment.format(amount="20.00")).ok
    reply = account.call("GetReceipt", "<ReceiptNumber>1</ReceiptNumber>")
    assert (reply.value("AmountPaid"), reply.value("Paid")) == ("20.00", "0")
    assert account.call("InsertReceiptPayment", payment.format(amount="40.00")).ok
    reply = account.call("GetReceipt", "<ReceiptNumber>1</ReceiptNumber>")
    assert (reply.value("AmountPaid"), reply.value("Paid")) == ("60.00", "1")
    assert len(account.state()["payments"]) == 2


@pytest.mark.parametrize("field,value,detail", [
    ("PayInvoice", "77", "There is no receipt with the number 77"),
    ("PayAccount", "5", "There is no bank account with the ID 5"),
    ("PayMethod", "99", "There is no payment method with the ID 99"),
    ("PayAmount", "1.999", "The payment amount 1.999 has more than 2 decimal places"),
    ("PayAmount", "0", "The payment amount must not be 0"),
    ("PayAmount", "1000000000000", "The payment amount 1000000000000 is larger than KashFlow "
                                   "accepts (999,999,999,999.99 either way)"),
    ("PayDate", "1700-01-01T00:00:00", "The payment date 01/01/1700 is outside the dates "
                                       "KashFlow accepts (01/01/1753 to 31/12/9999)"),
])
def test_payment_rules(account, ids, field, value, detail):
    insert(account, "InsertReceipt", ids["supplier"], [line()])
    values = {"PayInvoice": "1", "PayAccount": str(ids["bank"]), "PayMethod": "1",
              "PayAmount": "10.00", field: value}
    body = "<ReceiptPayment><PayID>0</PayID>" + "".join(
        f"<{k}>{v}</{k}>" for k, v in values.items()) + "</ReceiptPayment>"
    assert account.call("InsertReceiptPayment", body).status == ("NO", detail)
    assert account.state()["payments"] == []


def test_sales_invoice_credit_note_applied(account, ids):
    insert(account, "InsertInvoice", ids["customer"], [line("100.00", "20", "20.00", ids["sales"])])
    insert(account, "InsertInvoice", ids["customer"],
           [line("-30.00", "20", "-6.00", ids["sales"])], reference="CN-1")
    invoices = account.state()["invoices"]
    assert [Decimal(i["NetAmount"]) for i in invoices] == [100, -30]
    invoice_id, credit_id = invoices[0]["InvoiceDBID"], invoices[1]["InvoiceDBID"]
    reply = account.call("applyCreditNoteToInvoice", f"<InvoiceID>{invoice_id}</InvoiceID>"
                                                     f"<CreditNoteID>{credit_id}</CreditNoteID>")
    assert reply.ok and reply.value("applyCreditNoteToInvoiceResult") == "true"
    invoice = account.call("GetInvoice", "<InvoiceNumber>1</InvoiceNumber>")
    assert invoice.value("AmountPaid") == "36.00" and invoice.value("Paid") == "0"
    # A used-up credit note cannot be applied again.
    again = account.call("applyCreditNoteToInvoice", f"<InvoiceID>{invoice_id}</InvoiceID>"
                                                     f"<CreditNoteID>{credit_id}</CreditNoteID>")
    assert again.status[0] == "NO" and "Nothing is left to apply" in again.status[1]
    reply = account.call("applyCreditNoteToInvoice", f"<InvoiceID>{credit_id}</InvoiceID>"
                                                     f"<CreditNoteID>{invoice_id}</CreditNoteID>")
    assert reply.status == ("NO", f"There is no credit note with the ID {invoice_id}")


def test_lists_by_party_and_delete(account, ids):
    insert(account, "InsertInvoice", ids["customer"], [line(charge_type=ids["sales"])])
    reply = account.call("GetInvoicesForCustomer", f"<CustID>{ids['customer']}</CustID>")
    assert len(reply.find("GetInvoicesForCustomerResult")) == 1
    assert account.call("DeleteInvoice", "<InvoiceNumber>1</InvoiceNumber>").ok
    assert account.state()["invoices"] == []
    assert account.call("DeleteInvoice", "<InvoiceNumber>1</InvoiceNumber>").status == (
        "NO", "There is no invoice with the number 1")
    insert(account, "InsertReceipt", ids["supplier"], [line()])
    reply = account.call("GetReceiptsForSupplier", f"<SupplierID>{ids['supplier']}</SupplierID>")
    assert len(reply.find("GetReceiptsForSupplierResult")) == 1
    assert account.call("DeleteReceipt", "<ReceiptNumber>1</ReceiptNumber>").ok


def test_receipts_with_paging_at_most_100_a_page(account, ids):
    lines = [line("1.00", "0", "0")]
    for _ in range(105):
        assert insert(account, "InsertReceipt", ids["supplier"], lines).ok
    page = account.call("GetReceiptsWithPaging",
                        "<Page>2</Page><PerPage>100</PerPage><FilterBy>All</FilterBy>")
    assert page.ok
    assert (page.value("PageNumber"), page.value("TotalPages"), page.value("TotalRecords")) == (
        "2", "2", "105")
    assert [n.findtext("{KashFlow}InvoiceNumber")
            for n in page.find("GetReceiptsWithPagingResult")] == ["5", "4", "3", "2", "1"]
    too_many = account.call("GetReceiptsWithPaging", "<Page>1</Page><PerPage>101</PerPage>")
    assert too_many.status == ("NO", "PerPage must be between 1 and 100")
    unpaid = account.call("GetReceiptsWithPaging",
                          "<Page>1</Page><PerPage>10</PerPage><FilterBy>Paid</FilterBy>")
    assert unpaid.value("TotalRecords") == "0"


def test_attach_file_to_receipt(account, ids):
    import base64

    insert(account, "InsertReceipt", ids["supplier"], [line()])
    data = base64.b64encode(b"%PDF-1.4 tiny").decode()
    reply = account.call("AttachFileToReceipt",
                         f"<ReceiptNo>1</ReceiptNo><Base64String>{data}</Base64String>"
                         f"<ContentType>application/pdf</ContentType><Filename>bill.pdf</Filename>"
                         f"<FileExtension>pdf</FileExtension><FileSize>13</FileSize>")
    assert reply.ok
    [attachment] = account.state()["attachments"]
    assert (attachment["Filename"], attachment["Size"], attachment["ReceiptNo"]) == (
        "bill.pdf", 13, 1)
    bad = account.call("AttachFileToReceipt", "<ReceiptNo>1</ReceiptNo><Base64String>@@"
                                              "</Base64String><Filename>x.pdf</Filename>")
    assert bad.status == ("NO", "The file is not valid base64")
    missing = account.call("AttachFileToReceipt", f"<ReceiptNo>9</ReceiptNo><Base64String>{data}"
                                                  "</Base64String><Filename>x.pdf</Filename>")
    assert missing.status == ("NO", "There is no receipt with the number 9")


def test_suppliers_and_customers(account):
    reply = account.call("InsertSupplier", "<supl><SupplierID>0</SupplierID><Code>NEW01</Code>"
                                           "<Name>New Supplier Ltd</Name></supl>")
    assert reply.ok
    new_id = reply.value("InsertSupplierResult")
    by_code = account.call("GetSupplier", "<SupplierCode>NEW01</SupplierCode>")
    assert by_code.value("SupplierID") == new_id and by_code.value("Name") == "New Supplier Ltd"
    by_id = account.call("GetSupplierByID", f"<SupplierID>{new_id}</SupplierID>")
    assert by_id.value("Code") == "NEW01"
    duplicate = account.call("InsertSupplier", "<supl><Code>new01</Code><Name>Other</Name></supl>")
    assert duplicate.status == ("NO", "The supplier code NEW01 is already in use")
    nameless = account.call("InsertCustomer", "<custr><Code>X1</Code></custr>")
    assert nameless.status == ("NO", "The customer has no name")
    generated = account.call("InsertCustomer", "<custr><Name>Zed &amp; Co</Name></custr>")
    customer = account.call("GetCustomerByID",
                            f"<CustomerID>{generated.value('InsertCustomerResult')}</CustomerID>")
    assert customer.value("Code") == "ZEDC01" and customer.value("Name") == "Zed & Co"
    assert account.call("GetCustomer", "<CustomerCode>NOPE</CustomerCode>").status == (
        "NO", "There is no customer with that code")
    assert len(account.call("GetSuppliers").find("GetSuppliersResult")) == 8


def test_every_list_operation_answers(account):
    expected = {"GetNominalCodes": 28, "GetNominalCodesExtended": 28, "GetVATRates": 3,
                "GetBankAccounts": 2, "GetProjects": 2, "GetInvPayMethods": 6,
                "GetRecPayMethods": 6, "GetCurrencies": 3, "GetCustomers": 4}
    for operation, count in expected.items():
        reply = account.call(operation)
        assert reply.ok, operation
        assert len(reply.find(f"{operation}Result")) == count, operation
    assert account.call("isUserVATRegistered").value("isUserVATRegisteredResult") == "true"
    assert account.call("GetCompanyDetails").value("CompanyName") == "Demo Trading Ltd"
