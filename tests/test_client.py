"""The client against the mock KashFlow, over real HTTP: every method, read back."""

import base64
import datetime as dt
from decimal import Decimal as D

import pytest
from conftest import account_state
from rawsoap import new_account

from kashflow import KashFlowClient
from kashflow.errors import ConfigurationError, KashFlowError, NotFoundError, TransientError
from kashflow.models import (
    Attachment,
    Customer,
    Document,
    DocumentLine,
    NominalCode,
    Payment,
    Supplier,
)

MAY_1 = dt.date(2024, 5, 1)


def one_line_document(party_id, nominal_id, rate="100.00", vat="20.00", reference=""):
    return Document(party_id=party_id, date=MAY_1, reference=reference, lines=[
        DocumentLine(D(1), "Services", D(rate), nominal_id, D(20), D(vat))])


# Connection and lists --------------------------------------------------------


def test_company_details_and_vat_registration(client):
    company = client.get_company_details()
    assert company.name == "Demo Trading Ltd"
    assert company.vat_registered is True
    assert company.vat_number == "GB123456789"
    assert (company.currency_id, company.currency_name) == (1, "Pound Sterling")
    assert company.payment_terms == 30
    assert client.is_vat_registered() is True


def test_nominal_codes_come_from_the_extended_list(client):
    nominals = {n.code: n for n in client.get_nominal_codes()}
    telephone = nominals[7502]
    assert telephone == NominalCode(
        id=telephone.id, code=7502, name="Telephone", type_id=2, type_name="Outgoing Type",
        classification_id=3, classification_name="Expense", vat_rate=D(20), archived=False)
    assert telephone.id > 0 and telephone.id != 7502  # ChargeType wants the id, not the code
    assert nominals[4000].classification_name == "Turnover"


def test_vat_rates_are_percentages(client):
    assert [(r.name, r.rate) for r in client.get_vat_rates()] == [
        ("20%", D(20)), ("5%", D(5)), ("0%", D(0))]


def test_bank_accounts_projects_payment_methods_currencies(client):
    assert [(b.name, b.code) for b in client.get_bank_accounts()] == [
        ("Current Account", 1200), ("Business Savings", 1210)]
    # KashFlow puts a project's number in the dataset's Description.
    assert [(p.name, p.number) for p in client.get_projects()] == [
        ("Office refit", "P001"), ("Website relaunch", "P002")]
    assert [m.name for m in client.get_receipt_payment_methods()][:3] == [
        "Cash", "Cheque", "BACS"]
    assert client.get_invoice_payment_methods()[0].id == 1
    # The demo account has euros and dollars beside its pounds, at a day's rate per pound.
    assert [(c.code, c.exchange_rate, c.is_default) for c in client.get_currencies()] == [
        ("GBP", D(1), True), ("EUR", D("1.17"), False), ("USD", D("1.27"), False)]


def test_an_empty_account_answers_empty_lists(mock_server):
    account = new_account(mock_server.url, seed="empty")
    with KashFlowClient(account.username, account.password, url=account.url,
                        timeout=5) as empty:
        assert empty.get_nominal_codes() == []
        assert empty.get_suppliers() == []
        assert empty.get_customers() == []
        assert empty.get_projects() == []
        assert len(empty.get_bank_accounts()) == 1


# Suppliers and customers -----------------------------------------------------


def test_suppliers_by_list_code_and_id(client):
    suppliers = client.get_suppliers()
    assert [s.code for s in suppliers] == ["BT01", "OFF01", "LAND01", "ENER01", "TRAV01",
                                           "CLOUD01", "MULL01"]
    bt = client.get_supplier("BT01")
    assert (bt.name, bt.payment_terms, bt.email) == (
        "BT Business", 30, "accounts@bt01.example")
    assert client.get_supplier_by_id(bt.id) == bt


def test_insert_supplier_reads_back(client, kashflow_account):
    new_id = client.insert_supplier(Supplier(
        name="Acme Widgets", contact="Ann Smith", email="ann@acme.example",
        telephone="0113 496 0000", address1="2 Mill Lane", address2="Leeds",
        postcode="LS2 2BB", vat_number="GB987654321", payment_terms=14))
    supplier = client.get_supplier_by_id(new_id)
    assert supplier.code == "ACME01"  # KashFlow makes a code when none is given
    assert (supplier.name, supplier.contact, supplier.postcode, supplier.payment_terms) == (
        "Acme Widgets", "Ann Smith", "LS2 2BB", 14)
    assert client.get_supplier("ACME01").id == new_id
    stored = [s for s in kashflow_account.state()["suppliers"] if s["SupplierID"] == new_id]
    assert stored[0]["VATNumber"] == "GB987654321"


def test_customers_by_list_code_and_id_and_insert(client):
    assert [c.code for c in client.get_customers()] == ["ACME01", "BRIG01", "CORN01",
                                                        "DUPO01"]
    acme = client.get_customer("ACME01")
    assert acme.email == "accounts@acme.example"
    assert client.get_customer_by_id(acme.id) == acme
    new_id = client.insert_customer(Customer(code="NEWCO", name="New Co Ltd",
                                             postcode="M1 1AA", payment_terms=7))
    customer = client.get_customer("NEWCO")
    assert (customer.id, customer.name, customer.postcode, customer.payment_terms) == (
        new_id, "New Co Ltd", "M1 1AA", 7)


# Purchases -------------------------------------------------------------------


def test_a_five_line_receipt_reads_back_as_sent(client, demo, kashflow_account):
    nominal = demo.nominal_ids
    supplier = demo.suppliers["BT01"]
    lines = [
        DocumentLine(D(2), "Printer paper", D("10.00"), nominal[7504], D(20), D("4.00")),
        DocumentLine(D(1), "Broadband, May", D("120.00"), nominal[7502], D(20), D("24.00")),
        DocumentLine(D(3), "Leaflets", D("1.50"), nominal[7500], D(0), D("0.00")),
        DocumentLine(D(1), "Stamps", D("45.00"), nominal[7501], D(-1), D(0)),
        DocumentLine(D(1), "Hotel", D("60.00"), nominal[7402], D(5), D("3.00"),
                     project_id=demo.project_id),
    ]
    number = client.insert_receipt(Document(
        party_id=supplier.id, date=MAY_1, lines=lines, reference="BT-2024-0501"))
    assert number > 0

    receipt = client.get_receipt(number)
    assert receipt.number == number and receipt.db_id > 0
    assert (receipt.party_id, receipt.party_code, receipt.party_name) == (
        supplier.id, "BT01", "BT Business")
    assert receipt.reference == "BT-2024-0501"
    assert receipt.date == MAY_1
    assert receipt.due_date == MAY_1 + dt.timedelta(days=30)  # the supplier's terms
    assert receipt.net_amount == D("249.50")
    assert receipt.vat_amount == D("31.00")
    assert receipt.gross_amount == D("280.50")
    assert (receipt.paid, receipt.amount_paid) == (False, D(0))
    assert [line.description for line in receipt.lines] == [line.description for line in lines]
    assert [line.nominal_id for line in receipt.lines] == [line.nominal_id for line in lines]
    assert [line.vat_rate for line in receipt.lines] == [D(20), D(20), D(0), D(-1), D(5)]
    assert [line.vat_amount for line in receipt.lines] == [line.vat_amount for line in lines]
    assert [line.sort for line in receipt.lines] == [1, 2, 3, 4, 5]
    assert receipt.lines[4].project_id == demo.project_id
    assert all(line.line_id > 0 for line in receipt.lines)

    # One insert, one document: the lines travelled inside it.
    [stored] = kashflow_account.state()["receipts"]
    assert len(stored["Lines"]) == 5
    assert all(line["_type"] == "InvoiceLine" for line in stored["Lines"])


def test_a_due_date_and_sort_order_are_kept(client, demo):
    supplier = demo.suppliers["OFF01"]
    number = client.insert_receipt(Document(
        party_id=supplier.id, date=MAY_1, due_date=dt.date(2024, 6, 15), lines=[
            DocumentLine(D(1), "Second", D("1.00"), 0, D(0), D(0), sort=2),
            DocumentLine(D(1), "First", D("2.00"), 0, D(0), D(0), sort=1)]))
    receipt = client.get_receipt(number)
    assert receipt.due_date == dt.date(2024, 6, 15)
    assert [line.description for line in receipt.lines] == ["First", "Second"]


def test_a_purchase_credit_note_is_a_negative_receipt(client, demo):
    number = client.insert_receipt(one_line_document(
        demo.suppliers["BT01"].id, demo.nominal_ids[7502], rate="-50.00", vat="-10.00"))
    credit = client.get_receipt(number)
    assert (credit.net_amount, credit.vat_amount) == (D("-50.00"), D("-10.00"))
    assert credit.lines[0].rate == D("-50.00")


def test_receipts_for_a_supplier_and_by_page(client, demo):
    bt, office = demo.suppliers["BT01"], demo.suppliers["OFF01"]
    numbers = [client.insert_receipt(one_line_document(party.id, demo.nominal_ids[7502],
                                                       reference=f"REF-{i}"))
               for i, party in enumerate([bt, office, bt])]
    for_bt = client.get_receipts_for_supplier(bt.id)
    assert sorted(r.number for r in for_bt) == [numbers[0], numbers[2]]
    assert {r.reference for r in for_bt} == {"REF-0", "REF-2"}

    first = client.get_receipts_page(page=1, per_page=2)
    assert (first.page, first.total_pages, first.total_records) == (1, 2, 3)
    assert [r.number for r in first.documents] == sorted(numbers, reverse=True)[:2]
    second = client.get_receipts_page(page=2, per_page=2, filter_by="Unpaid")
    assert [r.number for r in second.documents] == [min(numbers)]
    assert second.documents[0].lines[0].description == "Services"


def test_a_receipt_payment_marks_it_paid(client, demo, kashflow_account):
    number = client.insert_receipt(one_line_document(demo.suppliers["BT01"].id,
                                                     demo.nominal_ids[7502]))
    payment_id = client.insert_receipt_payment(Payment(
        document_number=number, date=dt.date(2024, 5, 20), amount=D("120.00"),
        method_id=demo.receipt_method_id, bank_account_id=demo.bank_account_id,
        note="Paid by card"))
    assert payment_id > 0
    receipt = client.get_receipt(number)
    assert (receipt.paid, receipt.amount_paid) == (True, D("120.00"))
    [stored] = kashflow_account.state()["payments"]
    assert (stored["PayID"], stored["PayInvoice"], stored["PayNote"]) == (
        payment_id, number, "Paid by card")
    assert stored["PayDate"].startswith("2024-05-20")


def test_a_file_attached_to_a_receipt_arrives(client, demo, kashflow_account):
    number = client.insert_receipt(one_line_document(demo.suppliers["BT01"].id,
                                                     demo.nominal_ids[7502]))
    content = b"%PDF-1.4\n% a scanned invoice\n" + bytes(range(256))
    attachment_id = client.attach_file_to_receipt(
        number, Attachment("bt-may.pdf", content, "application/pdf"))
    [stored] = kashflow_account.state()["attachments"]
    assert stored["AttachmentID"] == attachment_id
    assert stored["ReceiptNo"] == number
    assert (stored["Filename"], stored["ContentType"], stored["FileExtension"]) == (
        "bt-may.pdf", "application/pdf", "pdf")
    assert stored["FileSize"] == str(len(content))
    assert base64.b64decode(stored["Base64String"]) == content


def test_an_attachment_without_a_content_type_gets_one_from_its_name(client, demo,
                                                                       kashflow_account):
    number = client.insert_receipt(one_line_document(demo.suppliers["BT01"].id,
                                                     demo.nominal_ids[7502]))
    client.attach_file_to_receipt(number, Attachment("scan.png", b"\x89PNG fake"))
    assert kashflow_account.state()["attachments"][0]["ContentType"] == "image/png"


def test_deleting_a_receipt(client, demo, kashflow_account):
    number = client.insert_receipt(one_line_document(demo.suppliers["BT01"].id,
                                                     demo.nominal_ids[7502]))
    assert client.delete_receipt(number) is None
    assert kashflow_account.state()["receipts"] == []
    with pytest.raises(NotFoundError):
        client.get_receipt(number)


# Sales -----------------------------------------------------------------------


def test_an_invoice_reads_back_and_lists_for_its_customer(client, demo):
    acme = demo.customers["ACME01"]
    number = client.insert_invoice(Document(
        party_id=acme.id, date=MAY_1, reference="PO-77", project_id=demo.project_id, lines=[
            DocumentLine(D(3), "Consulting", D("150.00"), demo.nominal_ids[4001], D(20),
                         D("90.00")),
            DocumentLine(D(1), "Exempt training", D("80.00"), demo.nominal_ids[4000], D(-1),
                         D(0))]))
    invoice = client.get_invoice(number)
    assert (invoice.number, invoice.party_code, invoice.reference) == (number, "ACME01",
                                                                         "PO-77")
    assert invoice.project_id == demo.project_id
    assert (invoice.net_amount, invoice.vat_amount) == (D("530.00"), D("90.00"))
    assert [line.vat_rate for line in invoice.lines] == [D(20), D(-1)]
    assert [i.number for i in client.get_invoices_for_customer(acme.id)] == [number]
    assert client.get_invoices_for_customer(demo.customers["BRIG01"].id) == []


def test_an_invoice_payment_part_pays(client, demo):
    number = client.insert_invoice(one_line_document(demo.customers["ACME01"].id,
                                                     demo.nominal_ids[4000]))
    client.insert_invoice_payment(Payment(number, dt.date(2024, 5, 10), D("20.00"),
                                          demo.invoice_method_id, demo.bank_account_id))
    invoice = client.get_invoice(number)
    assert (invoice.paid, invoice.amount_paid) == (False, D("20.00"))
    client.insert_invoice_payment(Payment(number, dt.date(2024, 5, 11), D("100.00"),
                                          demo.invoice_method_id, demo.bank_account_id))
    assert client.get_invoice(number).paid is True


def test_a_credit_note_applied_to_an_invoice(client, demo, kashflow_account):
    acme = demo.customers["ACME01"].id
    invoice_number = client.insert_invoice(one_line_document(acme, demo.nominal_ids[4000]))
    credit_number = client.insert_invoice(one_line_document(
        acme, demo.nominal_ids[4000], rate="-40.00", vat="-8.00"))
    invoice, credit = client.get_invoice(invoice_number), client.get_invoice(credit_number)
    assert credit.gross_amount == D("-48.00")

    # By database ids, not by numbers.
    assert client.apply_credit_note(invoice.db_id, credit.db_id) is True
    invoice, credit = client.get_invoice(invoice_number), client.get_invoice(credit_number)
    assert (invoice.amount_paid, invoice.paid) == (D("48.00"), False)
    # The credit note is used up; the sign of its AmountPaid is the mock's convention.
    assert credit.paid is True and abs(credit.amount_paid) == D("48.00")
    assert kashflow_account.state()["credit_allocations"] == [
        {"InvoiceDBID": invoice.db_id, "CreditNoteDBID": credit.db_id, "Amount": "48.00"}]


def test_deleting_an_invoice(client, demo):
    number = client.insert_invoice(one_line_document(demo.customers["ACME01"].id,
                                                     demo.nominal_ids[4000]))
    client.delete_invoice(number)
    with pytest.raises(NotFoundError):
        client.get_invoice(number)


# The client object -----------------------------------------------------------


def test_the_client_is_built_without_the_network_and_keeps_the_password_out_of_repr():
    # An address nothing listens on: building the client must not call it.
    client = KashFlowClient("someone", "s3cret-Passw0rd", url="http://127.0.0.1:9/api")
    assert "s3cret-Passw0rd" not in repr(client)
    assert "someone" in repr(client)
    client.close()


def test_a_timeout_is_required():
    with pytest.raises(ValueError, match="timeout"):
        KashFlowClient("someone", "pw", timeout=0)


@pytest.mark.parametrize("url", ["securedwebapp.com/api/service.asmx", "file:///etc/hosts",
                                 "ftp://securedwebapp.com/api", "http://"])
def test_a_url_that_is_not_a_web_address(url):
    # Refused when used, not when built, so callers handle it as any KashFlowError.
    sleeps = []
    client = KashFlowClient("someone", "pw", url=url, sleep=sleeps.append)
    with pytest.raises(ConfigurationError, match="https://securedwebapp.com") as caught:
        client.insert_receipt(Document(party_id=1, date=MAY_1, lines=[]))
    assert isinstance(caught.value, KashFlowError)
    assert not isinstance(caught.value, TransientError) and sleeps == []


def test_floats_are_sent_as_the_decimals_they_print_as(client, demo):
    number = client.insert_receipt(Document(
        party_id=demo.suppliers["BT01"].id, date=MAY_1, lines=[
            DocumentLine(0.1, "Float", 33.3, demo.nominal_ids[7502], 20, 0.67)]))
    [line] = client.get_receipt(number).lines
    assert (line.quantity, line.rate, line.vat_amount) == (D("0.1"), D("33.3"), D("0.67"))


def test_account_state_helper(client, kashflow_account):
    state = account_state(kashflow_account.base_url, kashflow_account.username)
    assert state["username"] == kashflow_account.username


# Foreign currency ------------------------------------------------------------


def test_a_partners_currency_is_read_and_set(client, demo):
    assert client.get_supplier_currency("BT01") == "GBP"
    client.set_supplier_currency("BT01", "USD")
    assert client.get_supplier_currency("BT01") == "USD"
    client.set_customer_currency("ACME01", "EUR")
    assert client.get_customer_currency("ACME01") == "EUR"
    with pytest.raises(KashFlowError) as refused:
        client.set_customer_currency("ACME01", "JPY")
    assert refused.value.status_detail == "The currency JPY is not set up in this account"


def test_a_euro_sale_goes_in_euros_and_reads_back_so(client, demo, kashflow_account):
    client.set_customer_currency("ACME01", "EUR")
    sale = one_line_document(demo.customers["ACME01"].id, demo.nominal_ids[4000],
                             rate="117.00", vat="23.40")
    sale.currency_code, sale.exchange_rate = "EUR", D("1.17")
    number = client.insert_invoice(sale)
    invoice = client.get_invoice(number)
    assert (invoice.currency_code, invoice.exchange_rate) == ("EUR", D("1.17"))
    assert (invoice.net_amount, invoice.vat_amount) == (D("117.00"), D("23.40"))
    # The lines said their amounts were euros, so KashFlow did not convert them.
    [stored] = kashflow_account.state()["invoices"]
    assert stored["Lines"][0]["ValuesInCurrency"] == 1
    assert (stored["HomeNetAmount"], stored["HomeGrossAmount"]) == ("100.00", "120.00")


def test_amounts_are_marked_in_currency_against_the_accounts_own(kashflow_account, demo):
    """ValuesInCurrency says a line's amounts are in a currency other than the account's own:
    a client told the account keeps euros marks a sterling document's lines, not a euro one's."""
    with KashFlowClient(kashflow_account.username, kashflow_account.password,
                        url=kashflow_account.url, timeout=5.0,
                        home_currency="EUR") as in_euros:
        in_euros.insert_receipt(one_line_document(demo.suppliers["BT01"].id,
                                                  demo.nominal_ids[7502]))
        in_euros.set_customer_currency("ACME01", "EUR")
        sale = one_line_document(demo.customers["ACME01"].id, demo.nominal_ids[4000])
        sale.currency_code, sale.exchange_rate = "EUR", D("1.17")
        in_euros.insert_invoice(sale)
    state = kashflow_account.state()
    assert state["receipts"][0]["Lines"][0]["ValuesInCurrency"] == 1
    assert not state["invoices"][0]["Lines"][0].get("ValuesInCurrency")


def test_a_file_attached_to_a_sale_arrives(client, demo, kashflow_account):
    number = client.insert_invoice(one_line_document(demo.customers["ACME01"].id,
                                                     demo.nominal_ids[4000]))
    content = b"%PDF-1.4\n% our invoice\n"
    attachment_id = client.attach_file_to_invoice(number, Attachment("inv-7.pdf", content))
    [stored] = kashflow_account.state()["attachments"]
    assert (stored["AttachmentID"], stored["InvoiceNo"], stored["ContentType"]) == (
        attachment_id, number, "application/pdf")
    assert base64.b64decode(stored["Base64String"]) == content
