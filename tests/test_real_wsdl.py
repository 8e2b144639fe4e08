"""A zeep client built from KashFlow's REAL WSDL works against the mock, for every operation."""

import base64
import datetime as dt
from decimal import Decimal

import pytest
import zeep
from rawsoap import new_account
from reference import REAL_WSDL, needs_real_wsdl
from zeep import xsd

from mock_kashflow.schema import kashflow_schema

pytestmark = needs_real_wsdl


@pytest.fixture(scope="module")
def real_client():
    return zeep.Client(str(REAL_WSDL))


@pytest.mark.parametrize("binding", ["KashFlowAPISoap", "KashFlowAPISoap12"])
def test_every_operation_through_the_real_wsdl(mock_server, real_client, binding):
    account = new_account(mock_server.url, open_ips=False)
    service = real_client.create_service(f"{{KashFlow}}{binding}",
                                         f"{mock_server.url}/api/service.asmx")
    auth = {"UserName": account.username, "Password": account.password}
    called = set()

    def ok(operation, **params):
        called.add(operation)
        reply = getattr(service, operation)(**auth, **params)
        assert reply.Status == "OK", (operation, reply.StatusDetail)
        return reply

    ok("AutoAuthIP", appName="real wsdl", AutoAuthKey=account.autoauth_key)
    assert ok("GetCompanyDetails").GetCompanyDetailsResult.CompanyName == "Demo Trading Ltd"
    assert ok("isUserVATRegistered").isUserVATRegisteredResult is True
    nominals = ok("GetNominalCodes").GetNominalCodesResult.NominalCode
    extended = ok("GetNominalCodesExtended").GetNominalCodesExtendedResult.NominalCodeExtended
    assert [n.id for n in nominals] == [n.id for n in extended]
    rates = ok("GetVATRates").GetVATRatesResult.BasicDataset
    assert [r.Value for r in rates] == [Decimal(20), Decimal(5), Decimal(0)]
    suppliers = ok("GetSuppliers").GetSuppliersResult.Supplier
    supplier = suppliers[0]
    assert ok("GetSupplier", SupplierCode=supplier.Code).GetSupplierResult.Name == supplier.Name
    assert ok("GetSupplierByID", SupplierID=supplier.SupplierID).GetSupplierByIDResult.Code
    supplier_type = real_client.get_type("{KashFlow}Supplier")
    new_supplier = ok("InsertSupplier", supl=supplier_type(
        SupplierID=0, Code="ZEEP01", Name="Zeep Supplies", Created=dt.datetime(2026, 1, 1),
        Updated=dt.datetime(2026, 1, 1), EC=0, CurrencyID=1, PaymentTerms=30))
    assert new_supplier.InsertSupplierResult > 0
    customers = ok("GetCustomers").GetCustomersResult.Customer
    assert ok("GetCustomer", CustomerCode=customers[0].Code).GetCustomerResult.CustomerID
    assert ok("GetCustomerByID", CustomerID=customers[0].CustomerID).GetCustomerByIDResult.Name
    customer_type = real_client.get_type("{KashFlow}Customer")
    customer_fields = {name: 0 for name, element in customer_type.elements
                       if element.min_occurs and name not in ("Created", "Updated")}
    ok("InsertCustomer", custr=customer_type(**{
        **customer_fields, "Discount": Decimal(0), "ShowDiscount": False,
        "Created": dt.datetime(2026, 1, 1), "Updated": dt.datetime(2026, 1, 1),
        "Code": "ZEEPC", "Name": "Zeep Customer"}))
    banks = ok("GetBankAccounts").GetBankAccountsResult.BankAccount
    projects = ok("GetProjects").GetProjectsResult.BasicDataset
    assert projects[0].Description == "P001"
    ok("GetInvPayMethods")
    methods = ok("GetRecPayMethods").GetRecPayMethodsResult.PaymentMethod
    assert ok("GetCurrencies").GetCurrenciesResult.Currencies[0].CurrencyCode == "GBP"
    for noun, party in (("Supplier", suppliers[0]), ("Customer", customers[0])):
        code = {f"{noun}Code": party.Code}
        assert getattr(ok(f"Get{noun}Currency", **code), f"Get{noun}CurrencyResult") == "GBP"
        ok(f"Set{noun}Currency", CurrencyCode="EUR", **code)
        assert getattr(ok(f"Get{noun}Currency", **code), f"Get{noun}CurrencyResult") == "EUR"
        ok(f"Set{noun}Currency", CurrencyCode="GBP", **code)

    line_type = real_client.get_type("{KashFlow}InvoiceLine")
    invoice_type = real_client.get_type("{KashFlow}Invoice")

    def invoice(party_id, nominal_id, rate, vat, reference):
        line = line_type(Quantity=Decimal(2), Description="Widgets", Rate=Decimal(rate),
                         ChargeType=nominal_id, VatRate=Decimal(20), VatAmount=Decimal(vat),
                         ProductID=0, Sort=1, ProjID=projects[0].ID, LineID=0)
        return invoice_type(
            InvoiceDBID=0, InvoiceNumber=0, InvoiceDate=dt.datetime(2026, 11, 3),
            DueDate=dt.datetime(2026, 12, 3), CustomerID=party_id, Paid=0,
            CustomerReference=reference, SuppressTotal=0, ProjectID=0, ExchangeRate=Decimal(1),
            Lines={"anyType": [xsd.AnyObject(line_type, line)]}, NetAmount=0, VATAmount=0,
            AmountPaid=0, UseCustomDeliveryAddress=False)

    purchase_nominal = next(n.id for n in nominals if n.Code == 7502)
    number = ok("InsertReceipt", Inv=invoice(supplier.SupplierID, purchase_nominal, "10.00",
                                             "4.00", "BT-1")).InsertReceiptResult
    receipt = ok("GetReceipt", ReceiptNumber=number).GetReceiptResult
    assert (receipt.NetAmount, receipt.VATAmount, receipt.CustomerReference) == (
        Decimal("20.00"), Decimal("4.00"), "BT-1")
    assert receipt.Lines.anyType[0]["ChargeType"] == purchase_nominal
    assert ok("GetReceiptsForSupplier", SupplierID=supplier.SupplierID).GetReceiptsForSupplierResult
    page = ok("GetReceiptsWithPaging", Page=1, PerPage=10, FilterBy="All")
    assert (page.TotalRecords, page.TotalPages) == (1, 1)
    payment_type = real_client.get_type("{KashFlow}Payment")
    ok("InsertReceiptPayment", ReceiptPayment=payment_type(
        PayID=0, PayInvoice=number, PayDate=dt.datetime(2026, 11, 4), PayNote="paid",
        PayMethod=methods[0].MethodID, PayAccount=banks[0].AccountID, PayAmount=Decimal("24.00")))
    assert ok("GetReceipt", ReceiptNumber=number).GetReceiptResult.Paid == 1
    ok("AttachFileToReceipt", ReceiptNo=number, Base64String=base64.b64encode(b"pdf").decode(),
       ContentType="application/pdf", Filename="bt.pdf", FileExtension="pdf", FileSize="3")

    sales_nominal = next(n.id for n in nominals if n.Code == 4000)
    customer_id = customers[0].CustomerID
    invoice_number = ok("InsertInvoice", Inv=invoice(customer_id, sales_nominal, "50.00",
                                                     "20.00", "SO-1")).InsertInvoiceResult
    credit_number = ok("InsertInvoice", Inv=invoice(customer_id, sales_nominal, "-5.00", "-2.00",
                                                    "CN-1")).InsertInvoiceResult
    sale = ok("GetInvoice", InvoiceNumber=invoice_number).GetInvoiceResult
    credit = ok("GetInvoice", InvoiceNumber=credit_number).GetInvoiceResult
    assert ok("applyCreditNoteToInvoice", InvoiceID=sale.InvoiceDBID,
              CreditNoteID=credit.InvoiceDBID).applyCreditNoteToInvoiceResult is True
    ok("InsertInvoicePayment", InvoicePayment=payment_type(
        PayID=0, PayInvoice=invoice_number, PayDate=dt.datetime(2026, 11, 5), PayNote="",
        PayMethod=methods[2].MethodID, PayAccount=banks[0].AccountID, PayAmount=Decimal("10.00")))
    assert ok("GetInvoice", InvoiceNumber=invoice_number).GetInvoiceResult.AmountPaid == Decimal(
        "22.00")
    assert len(ok("GetInvoicesForCustomer", CustID=customer_id)
               .GetInvoicesForCustomerResult.Invoice) == 2
    ok("DeleteInvoice", InvoiceNumber=credit_number)
    ok("DeleteReceipt", ReceiptNumber=number)

    # AttachFileToInvoice is KashFlow's newer WSDL's only (test_mock_documents.py calls it).
    assert called == set(kashflow_schema().operations) - {"AttachFileToInvoice"}
